internal import CLinearAlgebra
import RealModule

extension Float: BLASScalar {
  /// `"float"`: the name of the precision in file metadata and messages.
  public static var precisionName: String { "float" }

  /// The `cblas_s…` and `LAPACKE_s…` routines.
  public static let _routines = BLASRoutines<Float>(
    gemm: cblas_sgemm, gemv: cblas_sgemv, axpy: cblas_saxpy, dot: cblas_sdot, potrf: LAPACKE_spotrf,
    potrs: LAPACKE_spotrs, trtrs: LAPACKE_strtrs, syevd: LAPACKE_ssyevd, getrf: LAPACKE_sgetrf,
    getrs: LAPACKE_sgetrs)
}
