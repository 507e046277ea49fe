internal import CLinearAlgebra

/// Settings of the BLAS library (OpenBLAS) under ScoreSDE.
public enum BLAS {
  /// The number of threads OpenBLAS uses for each matrix product.
  ///
  /// OpenBLAS reads `OPENBLAS_NUM_THREADS` at start-up (all cores by default); set this
  /// property to change it from Swift, for example to 1 when you parallelise over batches
  /// yourself. The setting is process-wide.
  public static var threadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set {
      precondition(newValue >= 1, "BLAS.threadCount must be at least 1, got \(newValue)")
      openblas_set_num_threads(Int32(newValue))
    }
  }

  /// OpenBLAS's description of its build (version, kernel, threading), for reports.
  public static var configuration: String {
    guard let c = openblas_get_config() else { return "unknown" }
    return String(cString: c)
  }
}
