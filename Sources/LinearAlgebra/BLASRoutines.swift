internal import CLinearAlgebra

/// The cblas and LAPACKE routines of one precision (`cblas_s…`/`LAPACKE_s…` for `Float`,
/// `cblas_d…`/`LAPACKE_d…` for `Double`), as a conformance's `_routines` gives them.
///
/// The table is all a precision supplies: the underscored kernels of ``BLASScalar`` (`_gemm`,
/// `_potrf`, …) are written once, here, and pass every call on with the same conventions —
/// row-major storage, the lower triangle, unit strides. Its contents are internal; it is made
/// only by the two conformances.
public struct BLASRoutines<Scalar>: Sendable {
  typealias Pointer = UnsafePointer<Scalar>?
  typealias MutablePointer = UnsafeMutablePointer<Scalar>?
  typealias Transpose = CBLAS_TRANSPOSE

  let gemm:
    @Sendable (
      CBLAS_ORDER, Transpose, Transpose, Int32, Int32, Int32, Scalar, Pointer, Int32, Pointer, Int32, Scalar,
      MutablePointer, Int32
    ) -> Void
  let gemv:
    @Sendable (
      CBLAS_ORDER, Transpose, Int32, Int32, Scalar, Pointer, Int32, Pointer, Int32, Scalar, MutablePointer,
      Int32
    ) -> Void
  let axpy: @Sendable (Int32, Scalar, Pointer, Int32, MutablePointer, Int32) -> Void
  let dot: @Sendable (Int32, Pointer, Int32, Pointer, Int32) -> Scalar
  let potrf: @Sendable (Int32, CChar, Int32, MutablePointer, Int32) -> Int32
  let potrs: @Sendable (Int32, CChar, Int32, Int32, Pointer, Int32, MutablePointer, Int32) -> Int32
  let trtrs:
    @Sendable (Int32, CChar, CChar, CChar, Int32, Int32, Pointer, Int32, MutablePointer, Int32) -> Int32
  let syevd: @Sendable (Int32, CChar, CChar, Int32, MutablePointer, Int32, MutablePointer) -> Int32
  let getrf: @Sendable (Int32, Int32, Int32, MutablePointer, Int32, UnsafeMutablePointer<Int32>?) -> Int32
  let getrs:
    @Sendable (Int32, CChar, Int32, Int32, Pointer, Int32, UnsafePointer<Int32>?, MutablePointer, Int32) ->
      Int32
}

/// A LAPACK option character (`"L"`, `"N"`).
private func option(_ letter: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: letter)) }

/// `CblasTrans` or `CblasNoTrans`.
private func cblasTranspose(_ transpose: Bool) -> CBLAS_TRANSPOSE { transpose ? CblasTrans : CblasNoTrans }

extension BLASScalar {
  /// C ← α·op(A)·op(B) + β·C on row-major storage (`cblas_?gemm`).
  @_specialize(exported:true,where Self == Float)
  @_specialize(exported:true,where Self == Double)
  public static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
  ) {
    _routines.gemm(
      CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB), Int32(m), Int32(n), Int32(k),
      alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y ← α·op(A)·x + β·y on row-major storage (`cblas_?gemv`).
  @_specialize(exported:true,where Self == Float)
  @_specialize(exported:true,where Self == Double)
  public static func _gemv(
    transpose: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>
  ) {
    _routines.gemv(
      CblasRowMajor, cblasTranspose(transpose), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
  }

  /// y ← α·x + y (`cblas_?axpy`).
  @_specialize(exported:true,where Self == Float)
  @_specialize(exported:true,where Self == Double)
  public static func _axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>) {
    _routines.axpy(Int32(count), alpha, x, 1, y, 1)
  }

  /// Σ xᵢyᵢ (`cblas_?dot`).
  @_specialize(exported:true,where Self == Float)
  @_specialize(exported:true,where Self == Double)
  public static func _dot(count: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self {
    _routines.dot(Int32(count), x, 1, y, 1)
  }

  /// Cholesky factor, lower triangle, in place (`LAPACKE_?potrf`). Returns LAPACK's `info`.
  public static func _potrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int32 {
    _routines.potrf(LAPACK_ROW_MAJOR, option("L"), Int32(n), a, Int32(lda))
  }

  /// Solves A X = B from a lower Cholesky factor, in place in B (`LAPACKE_?potrs`).
  public static func _potrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32 {
    _routines.potrs(
      LAPACK_ROW_MAJOR, option("L"), Int32(n), Int32(rightHandSides), factor, Int32(lda), b, Int32(ldb))
  }

  /// Solves L X = B (or Lᵀ X = B) for lower-triangular L, in place in B (`LAPACKE_?trtrs`).
  public static func _trtrs(
    transpose: Bool, n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32 {
    _routines.trtrs(
      LAPACK_ROW_MAJOR, option("L"), option(transpose ? "T" : "N"), option("N"), Int32(n),
      Int32(rightHandSides), factor, Int32(lda), b, Int32(ldb))
  }

  /// Eigenvalues (ascending, into `w`) and eigenvectors (columns, in place in `a`) of a
  /// symmetric matrix (`LAPACKE_?syevd`). Returns LAPACK's `info`.
  public static func _syevd(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>)
    -> Int32
  {
    _routines.syevd(LAPACK_ROW_MAJOR, option("V"), option("L"), Int32(n), a, Int32(lda), w)
  }

  /// LU factorisation with partial pivoting, in place (`LAPACKE_?getrf`).
  public static func _getrf(
    n: Int, a: UnsafeMutablePointer<Self>, lda: Int, pivots: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    _routines.getrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), a, Int32(lda), pivots)
  }

  /// Solves A X = B from an LU factorisation, in place in B (`LAPACKE_?getrs`).
  public static func _getrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    pivots: UnsafePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32 {
    _routines.getrs(
      LAPACK_ROW_MAJOR, option("N"), Int32(n), Int32(rightHandSides), factor, Int32(lda), pivots, b,
      Int32(ldb))
  }
}
