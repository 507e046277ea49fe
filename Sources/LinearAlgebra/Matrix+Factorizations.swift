import RealModule

extension Matrix {
  /// The eigenvalues (ascending) and orthonormal eigenvectors (the columns of `vectors`) of a
  /// symmetric matrix, so that `V Λ Vᵀ = self` (LAPACK `syevd`; only the lower triangle is
  /// read).
  /// - Throws: `.nonFinite` for NaN or infinite entries, `.noConvergence` if LAPACK fails.
  public func symmetricEigendecomposition() throws -> (values: [Scalar], vectors: Matrix) {
    precondition(
      rows == columns, "symmetricEigendecomposition needs a square matrix, got \(shapeDescription)")
    guard isFinite else { throw LinearAlgebraError.nonFinite(operation: "symmetricEigendecomposition") }
    let n = rows
    var v = self
    var w = [Scalar](repeating: 0, count: n)
    if n == 0 { return (w, v) }
    let info = v.withUnsafeMutableBufferPointer { a in
      w.withUnsafeMutableBufferPointer { pw in
        Scalar._syevd(n: n, a: a.baseAddress!, lda: n, w: pw.baseAddress!)
      }
    }
    if info > 0 { throw LinearAlgebraError.noConvergence(operation: "syevd", info: Int(info)) }
    precondition(info == 0, "LAPACK syevd rejected argument \(-info)")
    return (w, v)
  }

  /// The LU factorisation with partial pivoting of a square matrix, in LAPACK's packed form.
  func luFactorization(_ operation: String) throws -> (lu: Matrix, pivots: [Int32]) {
    precondition(rows == columns, "\(operation) needs a square matrix, got \(shapeDescription)")
    guard isFinite else { throw LinearAlgebraError.nonFinite(operation: operation) }
    let n = rows
    var lu = self
    var pivots = [Int32](repeating: 0, count: n)
    if n == 0 { return (lu, pivots) }
    let info = lu.withUnsafeMutableBufferPointer { a in
      pivots.withUnsafeMutableBufferPointer { p in
        Scalar._getrf(n: n, a: a.baseAddress!, lda: n, pivots: p.baseAddress!)
      }
    }
    if info > 0 { throw LinearAlgebraError.singular(order: n, pivot: Int(info)) }
    precondition(info == 0, "LAPACK getrf rejected argument \(-info)")
    return (lu, pivots)
  }

  /// Solves `self · X = B` for a square, non-singular `self` (LU with partial pivoting,
  /// LAPACK `getrf` + `getrs`).
  /// - Throws: `LinearAlgebraError.singular` or `.nonFinite`.
  public func solve(_ b: Matrix) throws -> Matrix {
    precondition(
      b.rows == rows, "solve: right-hand side \(b.shapeDescription) for a \(shapeDescription) matrix")
    guard b.isFinite else { throw LinearAlgebraError.nonFinite(operation: "solve") }
    let (lu, pivots) = try luFactorization("solve")
    var x = b
    if rows == 0 || b.columns == 0 { return x }
    let info = lu.withUnsafeBufferPointer { a in
      pivots.withUnsafeBufferPointer { p in
        x.withUnsafeMutableBufferPointer { px in
          Scalar._getrs(
            n: rows, rightHandSides: b.columns, factor: a.baseAddress!, lda: rows,
            pivots: p.baseAddress!, b: px.baseAddress!, ldb: b.columns)
        }
      }
    }
    precondition(info == 0, "LAPACK getrs rejected argument \(-info)")
    return x
  }

  /// The inverse of a square, non-singular matrix.
  /// - Throws: `LinearAlgebraError.singular` or `.nonFinite`.
  public func inverse() throws -> Matrix {
    try solve(.identity(rows))
  }

  /// `log |det A|` and the sign of `det A` (LU with partial pivoting), so that
  /// `det A = sign · exp(logAbsoluteValue)` without overflow.
  /// - Throws: `LinearAlgebraError.singular` or `.nonFinite`.
  public func logDeterminant() throws -> (logAbsoluteValue: Scalar, sign: Scalar) {
    let (lu, pivots) = try luFactorization("logDeterminant")
    var logAbs: Scalar = 0
    var sign: Scalar = 1
    for i in 0..<rows {
      let d = lu[i, i]
      logAbs += Scalar.log(Swift.abs(d))
      if d < 0 { sign = -sign }
      if pivots[i] != Int32(i + 1) { sign = -sign }
    }
    return (logAbs, sign)
  }
}
