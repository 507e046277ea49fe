internal import CLinearAlgebra
import RealModule

extension Double: BLASScalar {
  /// `"double"`: the name of the precision in file metadata and messages.
  public static var precisionName: String { "double" }

  /// The `cblas_d…` and `LAPACKE_d…` routines.
  public static let _routines = BLASRoutines<Double>(
    gemm: cblas_dgemm, gemv: cblas_dgemv, axpy: cblas_daxpy, dot: cblas_ddot, potrf: LAPACKE_dpotrf,
    potrs: LAPACKE_dpotrs, trtrs: LAPACKE_dtrtrs, syevd: LAPACKE_dsyevd, getrf: LAPACKE_dgetrf,
    getrs: LAPACKE_dgetrs)
}
