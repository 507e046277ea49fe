import RealModule

/// The Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite matrix (LAPACK
/// `potrf`), with the solves and the log-determinant it makes cheap.
///
/// ```swift
/// let chol = try Cholesky(covariance)
/// let logDet = chol.logDeterminant          // log det Σ = 2 Σ log Lᵢᵢ
/// let whitened = chol.solveLower(centeredᵀ)   // L⁻¹ (x − μ)
/// ```
public struct Cholesky<Scalar: BLASScalar>: Sendable {
  /// The lower-triangular factor `L` (upper triangle zero).
  public let lower: Matrix<Scalar>

  /// Factors `a`, which must be square; only its lower triangle is read.
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` or `.nonFinite`.
  public init(_ a: Matrix<Scalar>) throws {
    precondition(a.rows == a.columns, "Cholesky needs a square matrix, got \(a.shapeDescription)")
    guard a.isFinite else { throw LinearAlgebraError.nonFinite(operation: "Cholesky") }
    let n = a.rows
    var l = a
    if n > 0 {
      let info = l.withUnsafeMutableBufferPointer { Scalar._potrf(n: n, a: $0.baseAddress!, lda: n) }
      if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: n, leadingMinor: Int(info)) }
      precondition(info == 0, "LAPACK potrf rejected argument \(-info)")
      l.withUnsafeMutableBufferPointer { e in
        for i in 0..<n { for j in (i + 1)..<n { e[i * n + j] = 0 } }
      }
    }
    lower = l
  }

  /// The order `n` of the factored `n × n` matrix.
  public var order: Int { lower.rows }

  /// `log det A = 2 Σᵢ log Lᵢᵢ`.
  public var logDeterminant: Scalar {
    var s: Scalar = 0
    for i in 0..<order { s += Scalar.log(lower[i, i]) }
    return 2 * s
  }

  /// Solves `A X = B` (LAPACK `potrs`); `b` is `n × k`.
  public func solve(_ b: Matrix<Scalar>) -> Matrix<Scalar> {
    solving(b, "Cholesky.solve") { l, x in
      let info = Scalar._potrs(
        n: order, rightHandSides: b.columns, factor: l, lda: order, b: x, ldb: b.columns)
      precondition(info == 0, "LAPACK potrs rejected argument \(-info)")
    }
  }

  /// Solves `L X = B` (forward substitution, LAPACK `trtrs`); `b` is `n × k`.
  public func solveLower(_ b: Matrix<Scalar>) -> Matrix<Scalar> {
    triangularSolve(b, transposed: false)
  }

  /// Solves `Lᵀ X = B` (back substitution); `b` is `n × k`.
  public func solveLowerTransposed(_ b: Matrix<Scalar>) -> Matrix<Scalar> {
    triangularSolve(b, transposed: true)
  }

  private func triangularSolve(_ b: Matrix<Scalar>, transposed: Bool) -> Matrix<Scalar> {
    solving(b, "Cholesky") { l, x in
      let info = Scalar._trtrs(
        transpose: transposed, n: order, rightHandSides: b.columns, factor: l, lda: order, b: x,
        ldb: b.columns)
      precondition(info == 0, "LAPACK trtrs returned \(info) for a factor with a positive diagonal")
    }
  }

  /// A copy of the right-hand side `b` (`n × k`, checked in the name of `caller`), overwritten in
  /// place by `lapack` with the factor `L` and the copy; `b` itself when there is nothing to solve.
  private func solving(
    _ b: Matrix<Scalar>, _ caller: String,
    _ lapack: (_ factor: UnsafePointer<Scalar>, _ x: UnsafeMutablePointer<Scalar>) -> Void
  ) -> Matrix<Scalar> {
    precondition(b.rows == order, "\(caller): right-hand side \(b.shapeDescription) for order \(order)")
    var x = b
    if order == 0 || b.columns == 0 { return x }
    lower.withUnsafeBufferPointer { l in
      x.withUnsafeMutableBufferPointer { px in lapack(l.baseAddress!, px.baseAddress!) }
    }
    return x
  }
}

extension Matrix {
  /// The lower Cholesky factor `L` with `L Lᵀ = self`.
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` when the matrix is not symmetric
  ///   positive definite, `.nonFinite` for NaN or infinite entries.
  public func cholesky() throws -> Matrix {
    try Cholesky(self).lower
  }
}
