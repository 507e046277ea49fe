import LinearAlgebra

extension Matrix {
  /// `self ← x + α·k` (shapes checked by the caller; no allocation).
  @inlinable
  mutating func assign(_ x: Matrix, plus alpha: Scalar, times k: Matrix) {
    x.withUnsafeBufferPointer { px in
      k.withUnsafeBufferPointer { pk in
        withUnsafeMutableBufferPointer { o in
          for i in o.indices { o[i] = px[i] + alpha * pk[i] }
        }
      }
    }
  }

  /// `self ← a·self + b·y + c·z`, entry by entry (shapes checked by the caller).
  @inlinable
  mutating func combine(_ a: Scalar, _ b: Scalar, _ y: Matrix, _ c: Scalar, _ z: Matrix) {
    y.withUnsafeBufferPointer { py in
      z.withUnsafeBufferPointer { pz in
        withUnsafeMutableBufferPointer { o in
          for i in o.indices { o[i] = a * o[i] + b * py[i] + c * pz[i] }
        }
      }
    }
  }

  /// Resizes to `rows × columns` when the shape differs (entries are then unspecified).
  @inlinable
  mutating func ensureShape(rows: Int, columns: Int) {
    if self.rows != rows || self.columns != columns { resize(rows: rows, columns: columns) }
  }

  /// Resizes to the shape of `other` when it differs.
  @inlinable
  mutating func ensureShape(of other: Matrix) {
    ensureShape(rows: other.rows, columns: other.columns)
  }

  /// `precondition` that `self` and `other` have one shape, naming both.
  @inlinable
  func checkShape(_ other: Matrix, _ operation: String) {
    precondition(
      rows == other.rows && columns == other.columns,
      "\(operation): shapes \(shapeDescription) and \(other.shapeDescription) differ")
  }
}
