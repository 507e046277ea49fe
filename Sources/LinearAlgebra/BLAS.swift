internal import CLinearAlgebra
import Synchronization

/// Settings of the BLAS library (OpenBLAS) under ScoreSDE.
public enum BLAS {
  /// The number of threads OpenBLAS uses for each matrix product.
  ///
  /// OpenBLAS reads `OPENBLAS_NUM_THREADS` at start-up (all cores by default); set this
  /// property to change it from Swift, for example to 1 when you parallelise over batches
  /// yourself. The setting is process-wide. Inside ``withSingleThreadedCalls(_:)`` OpenBLAS runs
  /// on one thread while this property keeps (and a write records) the setting to restore.
  public static var threadCount: Int {
    get {
      state.withLock { s in s.depth > 0 ? s.saved : Int(openblas_get_num_threads()) }
    }
    set {
      precondition(newValue >= 1, "BLAS.threadCount must be at least 1, got \(newValue)")
      state.withLock { s in
        if s.depth > 0 {
          s.saved = newValue
        } else {
          openblas_set_num_threads(Int32(newValue))
        }
      }
    }
  }

  /// Runs `body` with OpenBLAS single-threaded, for callers that run several BLAS calls
  /// concurrently on their own threads (row blocks of a batch). Calls may nest and overlap
  /// across threads: OpenBLAS returns to ``threadCount`` when the last one ends.
  ///
  /// ```swift
  /// BLAS.withSingleThreadedCalls {
  ///   DispatchQueue.concurrentPerform(iterations: 2) { block in /* gemm on block's rows */ }
  /// }
  /// ```
  ///
  /// - Parameter body: the work.
  /// - Returns: what `body` returns.
  public static func withSingleThreadedCalls<R>(_ body: () throws -> R) rethrows -> R {
    state.withLock { s in
      if s.depth == 0 {
        s.saved = Int(openblas_get_num_threads())
        if s.saved != 1 { openblas_set_num_threads(1) }
      }
      s.depth += 1
    }
    defer {
      state.withLock { s in
        s.depth -= 1
        if s.depth == 0 && s.saved != 1 { openblas_set_num_threads(Int32(s.saved)) }
      }
    }
    return try body()
  }

  /// OpenBLAS's description of its build (version, kernel, threading), for reports.
  public static var configuration: String {
    guard let c = openblas_get_config() else { return "unknown" }
    return String(cString: c)
  }

  /// How many ``withSingleThreadedCalls(_:)`` are running, and the thread count to restore.
  private struct State {
    var depth = 0
    var saved = 1
  }

  private static let state = Mutex(State())
}
