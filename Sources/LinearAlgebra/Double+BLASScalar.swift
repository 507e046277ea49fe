internal import CLinearAlgebra
import RealModule

extension Double: BLASScalar {
  /// `"double"`: the name of the precision in file metadata and messages.
  public static var precisionName: String { "double" }

  public static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c,
      Int32(ldc))
  }

  public static func _gemv(
    transpose: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
  ) {
    cblas_dgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a,
      Int32(lda), x, 1, beta, y, 1)
  }

  public static func _axpy(
    count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
  ) {
    cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
  }

  public static func _dot(count: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
    cblas_ddot(Int32(count), x, 1, y, 1)
  }

  public static func _potrf(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int32 {
    LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
  }

  public static func _potrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Double>, lda: Int,
    b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int32 {
    LAPACKE_dpotrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(rightHandSides), factor,
      Int32(lda), b, Int32(ldb))
  }

  public static func _trtrs(
    transpose: Bool, n: Int, rightHandSides: Int, factor: UnsafePointer<Double>, lda: Int,
    b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int32 {
    LAPACKE_dtrtrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: transpose ? "T" : "N")),
      CChar(UInt8(ascii: "N")), Int32(n), Int32(rightHandSides), factor, Int32(lda), b,
      Int32(ldb))
  }

  public static func _syevd(
    n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>
  )
    -> Int32
  {
    LAPACKE_dsyevd(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a,
      Int32(lda), w)
  }

  public static func _getrf(
    n: Int, a: UnsafeMutablePointer<Double>, lda: Int, pivots: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    LAPACKE_dgetrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), a, Int32(lda), pivots)
  }

  public static func _getrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Double>, lda: Int,
    pivots: UnsafePointer<Int32>, b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int32 {
    LAPACKE_dgetrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), Int32(n), Int32(rightHandSides), factor,
      Int32(lda), pivots, b, Int32(ldb))
  }
}
