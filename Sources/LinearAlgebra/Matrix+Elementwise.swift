extension Matrix {
  @inlinable
  func checkSameShape(_ other: Matrix, _ operation: String) {
    precondition(
      rows == other.rows && columns == other.columns,
      "\(operation): shapes \(shapeDescription) and \(other.shapeDescription) differ")
  }

  /// Sets every entry to `value`.
  @inlinable
  public mutating func fill(with value: Scalar) {
    storage.withUnsafeMutableBufferPointer { e in
      for i in e.indices { e[i] = value }
    }
  }

  /// Overwrites `self` with the entries of `other`, which must have the same shape (no
  /// allocation when `self` is uniquely referenced).
  @inlinable
  public mutating func assign(_ other: Matrix) {
    checkSameShape(other, "assign")
    storage.withUnsafeMutableBufferPointer { e in
      other.storage.withUnsafeBufferPointer { o in
        for i in e.indices { e[i] = o[i] }
      }
    }
  }

  /// Applies `transform` to every entry in place.
  @inlinable
  public mutating func apply(_ transform: (Scalar) -> Scalar) {
    storage.withUnsafeMutableBufferPointer { e in
      for i in e.indices { e[i] = transform(e[i]) }
    }
  }

  /// `self ← self + α·x` (an `axpy` written so it vectorises).
  @inlinable
  public mutating func add(_ x: Matrix, scaledBy alpha: Scalar = 1) {
    checkSameShape(x, "add(_:scaledBy:)")
    storage.withUnsafeMutableBufferPointer { e in
      x.storage.withUnsafeBufferPointer { o in
        for i in e.indices { e[i] += alpha * o[i] }
      }
    }
  }

  /// Multiplies entry by entry in place (the Hadamard product `self ⊙ x`).
  @inlinable
  public mutating func multiplyElementwise(by x: Matrix) {
    checkSameShape(x, "multiplyElementwise(by:)")
    storage.withUnsafeMutableBufferPointer { e in
      x.storage.withUnsafeBufferPointer { o in
        for i in e.indices { e[i] *= o[i] }
      }
    }
  }

  /// The Hadamard (entry-by-entry) product `self ⊙ x`.
  @inlinable
  public func multipliedElementwise(by x: Matrix) -> Matrix {
    var r = self
    r.multiplyElementwise(by: x)
    return r
  }

  /// Adds the row vector `v` to every row (broadcasting over rows, as a bias is added).
  @inlinable
  public mutating func addToEachRow(_ v: [Scalar]) {
    precondition(
      v.count == columns, "addToEachRow: a vector of \(v.count) entries for a \(shapeDescription) matrix")
    broadcastOverRows(v) { $0 += $1 }
  }

  /// Multiplies row `i` by `factors[i]` (per-sample scaling, such as `α(tᵢ)·xᵢ`).
  @inlinable
  public mutating func scaleRows(by factors: [Scalar]) {
    precondition(
      factors.count == rows, "scaleRows: \(factors.count) factors for a \(shapeDescription) matrix")
    let (r, c) = (rows, columns)
    storage.withUnsafeMutableBufferPointer { e in
      for i in 0..<r {
        let f = factors[i]
        let row = e.baseAddress! + i * c
        for j in 0..<c { row[j] *= f }
      }
    }
  }

  /// Multiplies column `j` by `factors[j]`.
  @inlinable
  public mutating func scaleColumns(by factors: [Scalar]) {
    precondition(
      factors.count == columns, "scaleColumns: \(factors.count) factors for a \(shapeDescription) matrix")
    broadcastOverRows(factors) { $0 *= $1 }
  }

  /// `update(&self[i, j], v[j])` for every entry: a row vector broadcast over the rows, the one
  /// loop of ``addToEachRow(_:)`` and ``scaleColumns(by:)``.
  @inlinable @inline(__always)
  mutating func broadcastOverRows(_ v: [Scalar], _ update: (inout Scalar, Scalar) -> Void) {
    let (r, c) = (rows, columns)
    storage.withUnsafeMutableBufferPointer { e in
      v.withUnsafeBufferPointer { pv in
        for i in 0..<r {
          let row = e.baseAddress! + i * c
          for j in 0..<c { update(&row[j], pv[j]) }
        }
      }
    }
  }

  /// Entry-by-entry sum.
  @inlinable
  public static func + (a: Matrix, b: Matrix) -> Matrix {
    var r = a
    r += b
    return r
  }

  /// Entry-by-entry difference.
  @inlinable
  public static func - (a: Matrix, b: Matrix) -> Matrix {
    var r = a
    r -= b
    return r
  }

  /// Every entry negated.
  @inlinable
  public static prefix func - (a: Matrix) -> Matrix {
    a * -1
  }

  /// Every entry times `s`.
  @inlinable
  public static func * (a: Matrix, s: Scalar) -> Matrix {
    var r = a
    r *= s
    return r
  }

  /// Every entry times `s`.
  @inlinable
  public static func * (s: Scalar, a: Matrix) -> Matrix {
    a * s
  }

  /// Adds `b` entry by entry.
  @inlinable
  public static func += (a: inout Matrix, b: Matrix) {
    a.add(b)
  }

  /// Subtracts `b` entry by entry.
  @inlinable
  public static func -= (a: inout Matrix, b: Matrix) {
    a.add(b, scaledBy: -1)
  }

  /// Multiplies every entry by `s`.
  @inlinable
  public static func *= (a: inout Matrix, s: Scalar) {
    a.storage.withUnsafeMutableBufferPointer { e in
      for i in e.indices { e[i] *= s }
    }
  }
}
