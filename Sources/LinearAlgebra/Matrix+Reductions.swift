extension Matrix {
  /// The sum of all entries.
  @inlinable
  public func sum() -> Scalar {
    storage.withUnsafeBufferPointer { e in
      var s: Scalar = 0
      for x in e { s += x }
      return s
    }
  }

  /// The sum of each column (a row vector of `columns` entries).
  @inlinable
  public func columnSums() -> [Scalar] {
    var s = [Scalar](repeating: 0, count: columns)
    let c = columns
    storage.withUnsafeBufferPointer { e in
      s.withUnsafeMutableBufferPointer { ps in
        for i in 0..<rows {
          let row = e.baseAddress! + i * c
          for j in 0..<c { ps[j] += row[j] }
        }
      }
    }
    return s
  }

  /// The mean of each column (the sample mean when rows are samples).
  @inlinable
  public func columnMeans() -> [Scalar] {
    precondition(rows > 0, "columnMeans of a matrix with no rows")
    let n = Scalar(rows)
    return columnSums().map { $0 / n }
  }

  /// The sum of each row.
  @inlinable
  public func rowSums() -> [Scalar] { rowSums(of: { $0 }) }

  /// The squared Euclidean norm of each row, `‖xᵢ‖²`.
  @inlinable
  public func squaredRowNorms() -> [Scalar] { rowSums(of: { $0 * $0 }) }

  /// `Σⱼ term(xᵢⱼ)` for each row `i`, summed left to right.
  @inlinable
  func rowSums(of term: (Scalar) -> Scalar) -> [Scalar] {
    let c = columns
    return storage.withUnsafeBufferPointer { e in
      (0..<rows).map { i in
        var s: Scalar = 0
        for j in 0..<c { s += term(e[i * c + j]) }
        return s
      }
    }
  }

  /// The Euclidean norm of each row, `‖xᵢ‖`.
  @inlinable
  public func rowNorms() -> [Scalar] {
    squaredRowNorms().map { $0.squareRoot() }
  }

  /// The Frobenius norm `√Σ aᵢⱼ²`.
  @inlinable
  public func frobeniusNorm() -> Scalar {
    storage.withUnsafeBufferPointer { e in
      var s: Scalar = 0
      for x in e { s += x * x }
      return s.squareRoot()
    }
  }

  /// The largest absolute entry (0 for an empty matrix).
  @inlinable
  public func maxAbs() -> Scalar {
    storage.withUnsafeBufferPointer { e in
      var m: Scalar = 0
      for x in e { m = Swift.max(m, Swift.abs(x)) }
      return m
    }
  }

  /// The sample covariance of the rows, `1/(n−1) Σ (xᵢ − x̄)(xᵢ − x̄)ᵀ` (`columns × columns`).
  @inlinable
  public func covariance() -> Matrix {
    precondition(rows > 1, "covariance needs at least two rows, got \(rows)")
    var centered = self
    centered.addToEachRow(columnMeans().map { -$0 })
    var c = Matrix(rows: columns, columns: columns)
    c.formProduct(centered, centered, transposingA: true, alpha: 1 / Scalar(rows - 1))
    return c
  }
}
