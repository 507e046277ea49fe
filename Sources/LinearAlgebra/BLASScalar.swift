public import RealModule

/// A floating-point type that has BLAS and LAPACK kernels: `Float` (the `s` routines) and
/// `Double` (the `d` routines).
///
/// Everything in ScoreSDE is written once, generic over `BLASScalar`; each precision maps to
/// its cblas / LAPACKE routine exactly once, in `Float+BLASScalar.swift` and
/// `Double+BLASScalar.swift`. The underscored requirements are the raw kernels on row-major
/// storage; call the `Matrix` API instead of them.
public protocol BLASScalar: BinaryFloatingPoint, Real, Sendable, Codable
where RawSignificand: FixedWidthInteger {
  /// A short name of the precision: `"float"` or `"double"`.
  static var precisionName: String { get }

  /// C ← α·op(A)·op(B) + β·C on row-major storage (`cblas_?gemm`).
  static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// y ← α·op(A)·x + β·y on row-major storage (`cblas_?gemv`).
  static func _gemv(
    transpose: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)

  /// y ← α·x + y (`cblas_?axpy`).
  static func _axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)

  /// Σ xᵢyᵢ (`cblas_?dot`).
  static func _dot(count: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self

  /// Cholesky factor, lower triangle, in place (`LAPACKE_?potrf`). Returns LAPACK's `info`.
  static func _potrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int32

  /// Solves A X = B from a lower Cholesky factor, in place in B (`LAPACKE_?potrs`).
  static func _potrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32

  /// Solves L X = B (or Lᵀ X = B) for lower-triangular L, in place in B (`LAPACKE_?trtrs`).
  static func _trtrs(
    transpose: Bool, n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32

  /// Eigenvalues (ascending, into `w`) and eigenvectors (columns, in place in `a`) of a
  /// symmetric matrix (`LAPACKE_?syevd`). Returns LAPACK's `info`.
  static func _syevd(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>)
    -> Int32

  /// LU factorisation with partial pivoting, in place (`LAPACKE_?getrf`).
  static func _getrf(
    n: Int, a: UnsafeMutablePointer<Self>, lda: Int, pivots: UnsafeMutablePointer<Int32>
  ) -> Int32

  /// Solves A X = B from an LU factorisation, in place in B (`LAPACKE_?getrs`).
  static func _getrs(
    n: Int, rightHandSides: Int, factor: UnsafePointer<Self>, lda: Int,
    pivots: UnsafePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int32
}
