public import RealModule

extension Matrix {
  /// `self ← a·x + b`, entry by entry (the drift `a(t)·x + b(t)` of a linear SDE).
  ///
  /// ```swift
  /// drift.assign(x, scaledBy: -beta / 2, offset: 0)     // the VP drift −½β·x
  /// ```
  ///
  /// - Parameters:
  ///   - x: a matrix of `self`'s shape.
  ///   - a: the factor.
  ///   - b: the offset added to every entry.
  @inlinable
  public mutating func assign(_ x: Matrix, scaledBy a: Scalar, offset b: Scalar) {
    checkSameShape(x, "assign(_:scaledBy:offset:)")
    storage.withUnsafeMutableBufferPointer { o in
      x.storage.withUnsafeBufferPointer { px in
        if b == 0 {
          for i in o.indices { o[i] = a * px[i] }
        } else {
          for i in o.indices { o[i] = a * px[i] + b }
        }
      }
    }
  }

  /// `self ← c·self + a·x + b`, entry by entry (a drift correction such as
  /// `f − λg²·s = −λg²·s + a·x + b`).
  ///
  /// ```swift
  /// score.scale(by: -g * g / 2, adding: x, scaledBy: a, offset: b)   // the PF-ODE velocity
  /// ```
  ///
  /// - Parameters:
  ///   - c: the factor on `self`.
  ///   - x: a matrix of `self`'s shape.
  ///   - a: the factor on `x` (1 by default).
  ///   - b: the offset added to every entry (0 by default).
  @inlinable
  public mutating func scale(by c: Scalar, adding x: Matrix, scaledBy a: Scalar = 1, offset b: Scalar = 0) {
    checkSameShape(x, "scale(by:adding:scaledBy:offset:)")
    storage.withUnsafeMutableBufferPointer { o in
      x.storage.withUnsafeBufferPointer { px in
        if a == 1 && b == 0 {
          for i in o.indices { o[i] = c * o[i] + px[i] }
        } else {
          for i in o.indices { o[i] = c * o[i] + a * px[i] + b }
        }
      }
    }
  }

  /// `log N(xᵢ; μ·1, v·I)` for every row `xᵢ ∈ ℝᵈ`:
  ///
  ///     log N(xᵢ; μ·1, v·I) = −d/2·log(2π·v) − ‖xᵢ − μ·1‖²/(2v),
  ///
  /// the log-density of an isotropic Gaussian prior (`N(0, I)`, `N(0, σ_max² I)`).
  ///
  /// ```swift
  /// let logp = x.isotropicGaussianLogDensity(mean: 0, variance: 1)   // one entry per row
  /// ```
  ///
  /// - Parameters:
  ///   - mean: `μ`, the same in every coordinate.
  ///   - variance: `v > 0`.
  /// - Returns: `rows` log-densities.
  @inlinable
  public func isotropicGaussianLogDensity(mean: Scalar, variance: Scalar) -> [Scalar] {
    let d = columns
    let constant = -Scalar(d) / 2 * Scalar.log(2 * Scalar.pi * variance)
    return storage.withUnsafeBufferPointer { e in
      (0..<rows).map { i in
        var sum: Scalar = 0
        for j in (i * d)..<((i + 1) * d) {
          let c = e[j] - mean
          sum += c * c
        }
        return constant - sum / (2 * variance)
      }
    }
  }
}
