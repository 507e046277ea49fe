extension Matrix {
  /// Writes `x + α·k` into `self`, entry by entry, without allocating (a stage of an explicit
  /// Runge–Kutta method, `xᵢ = x₀ + h Σⱼ aᵢⱼkⱼ`, starts this way).
  ///
  /// ```swift
  /// stage.assign(x, adding: slope, scaledBy: h / 2)   // stage = x + (h/2)·slope
  /// ```
  ///
  /// - Parameters:
  ///   - x: the base, of `self`'s shape.
  ///   - k: the increment, of `self`'s shape.
  ///   - alpha: `α`.
  /// - Complexity: O(rows × columns), one pass.
  @inlinable
  public mutating func assign(_ x: Matrix, adding k: Matrix, scaledBy alpha: Scalar) {
    checkShape(of: x, "assign(_:adding:scaledBy:)")
    checkShape(of: k, "assign(_:adding:scaledBy:)")
    x.storage.withUnsafeBufferPointer { px in
      k.storage.withUnsafeBufferPointer { pk in
        storage.withUnsafeMutableBufferPointer { o in
          for i in o.indices { o[i] = px[i] + alpha * pk[i] }
        }
      }
    }
  }

  /// `self ← a·self + b·y + c·z`, entry by entry, in one pass and without allocating: the update
  /// of most sampler steps (a drift or score term and a noise term).
  ///
  /// Every entry is computed as `a·selfᵢ + b·yᵢ + c·zᵢ` in that order, so the result is the
  /// same bit for bit on every call.
  ///
  /// ```swift
  /// // Euler–Maruyama: x ← x + h·drift + g√|h|·z
  /// x.scale(by: 1, adding: drift, scaledBy: h, noise, scaledBy: g * (-h).squareRoot())
  /// ```
  ///
  /// - Parameters:
  ///   - a: the factor on `self`.
  ///   - y: the first term, of `self`'s shape.
  ///   - b: its factor.
  ///   - z: the second term, of `self`'s shape.
  ///   - c: its factor.
  /// - Complexity: O(rows × columns), one pass.
  @inlinable
  public mutating func scale(
    by a: Scalar, adding y: Matrix, scaledBy b: Scalar, _ z: Matrix, scaledBy c: Scalar
  ) {
    checkShape(of: y, "scale(by:adding:scaledBy:_:scaledBy:)")
    checkShape(of: z, "scale(by:adding:scaledBy:_:scaledBy:)")
    y.storage.withUnsafeBufferPointer { py in
      z.storage.withUnsafeBufferPointer { pz in
        storage.withUnsafeMutableBufferPointer { o in
          for i in o.indices { o[i] = a * o[i] + b * py[i] + c * pz[i] }
        }
      }
    }
  }

  /// `self ← a·self + b·y`, entry by entry, in one pass and without allocating.
  ///
  /// ```swift
  /// x.scale(by: sigmaRatio, adding: prediction, scaledBy: alpha * phi)   // a DDIM step
  /// ```
  ///
  /// - Parameters:
  ///   - a: the factor on `self`.
  ///   - y: the term added, of `self`'s shape.
  ///   - b: its factor.
  /// - Complexity: O(rows × columns), one pass.
  @inlinable
  public mutating func scale(by a: Scalar, adding y: Matrix, scaledBy b: Scalar) {
    checkShape(of: y, "scale(by:adding:scaledBy:)")
    y.storage.withUnsafeBufferPointer { py in
      storage.withUnsafeMutableBufferPointer { o in
        for i in o.indices { o[i] = a * o[i] + b * py[i] }
      }
    }
  }

  /// Resizes to `rows × columns` when the shape differs; keeps the storage (and the entries)
  /// when it already has that shape. A workspace buffer calls this at the top of every step, so
  /// it allocates only when the batch shape changes.
  ///
  /// ```swift
  /// workspace.score.ensureShape(rows: x.rows, columns: x.columns)
  /// ```
  ///
  /// - Parameters:
  ///   - rows: the rows wanted.
  ///   - columns: the columns wanted.
  @inlinable
  public mutating func ensureShape(rows: Int, columns: Int) {
    if self.rows != rows || self.columns != columns { resize(rows: rows, columns: columns) }
  }

  /// Resizes to the shape of `other` when it differs (see ``ensureShape(rows:columns:)``).
  ///
  /// ```swift
  /// workspace.noise.ensureShape(of: x)
  /// ```
  ///
  /// - Parameter other: the matrix whose shape `self` takes.
  @inlinable
  public mutating func ensureShape(of other: Matrix) {
    ensureShape(rows: other.rows, columns: other.columns)
  }

  /// `precondition` that `other` has `self`'s shape, naming the operation and both shapes. The
  /// name is a `StaticString`, so a passing check retains nothing.
  @inlinable
  func checkShape(of other: Matrix, _ operation: StaticString) {
    precondition(
      rows == other.rows && columns == other.columns,
      "\(operation): shapes \(shapeDescription) and \(other.shapeDescription) differ")
  }
}
