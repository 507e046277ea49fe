import RealModule

extension Matrix {
  /// The eigenvalues (ascending) and orthonormal eigenvectors (the columns of `vectors`) of a
  /// symmetric matrix, so that `V Λ Vᵀ = self` (LAPACK `syevd`; only the lower triangle is
  /// read).
  /// - Throws: `.nonFinite` for NaN or infinite entries, `.noConvergence` if LAPACK fails.
  public func symmetricEigendecomposition() throws -> (values: [Scalar], vectors: Matrix) {
    let (v, w, info) = try lapackFactorization("symmetricEigendecomposition", output: Scalar(0)) {
      n, a, values in Scalar._syevd(n: n, a: a, lda: n, w: values)
    }
    if info > 0 { throw LinearAlgebraError.noConvergence(operation: "syevd", info: Int(info)) }
    precondition(info == 0, "LAPACK syevd rejected argument \(-info)")
    return (w, v)
  }

  /// The LU factorisation with partial pivoting of a square matrix, in LAPACK's packed form.
  func luFactorization(_ operation: String) throws -> (lu: Matrix, pivots: [Int32]) {
    let (lu, pivots, info) = try lapackFactorization(operation, output: Int32(0)) { n, a, p in
      Scalar._getrf(n: n, a: a, lda: n, pivots: p)
    }
    if info > 0 { throw LinearAlgebraError.singular(order: rows, pivot: Int(info)) }
    precondition(info == 0, "LAPACK getrf rejected argument \(-info)")
    return (lu, pivots)
  }

  /// Runs the LAPACK factorisation `lapack` on a copy of this square, finite matrix (`n × n`)
  /// with an `n`-entry output array that starts as `initial` (pivots, eigenvalues), and returns
  /// both with LAPACK's `info`; nothing runs when `n` is 0. `operation` names the caller.
  /// - Throws: `.nonFinite` for NaN or infinite entries.
  private func lapackFactorization<Output>(
    _ operation: String, output initial: Output,
    _ lapack: (_ n: Int, _ a: UnsafeMutablePointer<Scalar>, _ output: UnsafeMutablePointer<Output>) -> Int32
  ) throws -> (factor: Matrix, output: [Output], info: Int32) {
    precondition(rows == columns, "\(operation) needs a square matrix, got \(shapeDescription)")
    guard isFinite else { throw LinearAlgebraError.nonFinite(operation: operation) }
    let n = rows
    var factor = self
    var output = [Output](repeating: initial, count: n)
    if n == 0 { return (factor, output, 0) }
    let info = factor.withUnsafeMutableBufferPointer { a in
      output.withUnsafeMutableBufferPointer { o in lapack(n, a.baseAddress!, o.baseAddress!) }
    }
    return (factor, output, info)
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
