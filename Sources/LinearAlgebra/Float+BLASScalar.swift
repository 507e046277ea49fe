internal import CLinearAlgebra
import RealModule

extension Float: BLASScalar {
  /// `"float"`: the name of the precision in file metadata and messages.
  public static var precisionName: String { "float" }

  public static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c,
      Int32(ldc))
  }

  public static func _gemv(
    transpose: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    cblas_sgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a,
      Int32(lda), x, 1, beta, y, 1)
  }

  public static func _axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>)
  {
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  public static func _dot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
    cblas_sdot(Int32(count), x, 1, y, 1)
  }

  public static func _potrf(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int32 {
    LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
  }

  public static func _potrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Float>, lda: Int,
    b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int32 {
    LAPACKE_spotrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(rightHandSides), factor,
      Int32(lda), b, Int32(ldb))
  }

  public static func _trtrs(
    transpose: Bool, n: Int, rightHandSides: Int, factor: UnsafePointer<Float>, lda: Int,
    b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int32 {
    LAPACKE_strtrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: transpose ? "T" : "N")),
      CChar(UInt8(ascii: "N")), Int32(n), Int32(rightHandSides), factor, Int32(lda), b,
      Int32(ldb))
  }

  public static func _syevd(n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>)
    -> Int32
  {
    LAPACKE_ssyevd(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a,
      Int32(lda), w)
  }

  public static func _getrf(
    n: Int, a: UnsafeMutablePointer<Float>, lda: Int, pivots: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    LAPACKE_sgetrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), a, Int32(lda), pivots)
  }

  public static func _getrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Float>, lda: Int,
    pivots: UnsafePointer<Int32>, b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int32 {
    LAPACKE_sgetrs(
      LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), Int32(n), Int32(rightHandSides), factor,
      Int32(lda), pivots, b, Int32(ldb))
  }
}
