import RealModule

/// A fitted monotone map that makes one column roughly standard normal: the empirical CDF
/// pushed through Φ⁻¹, interpolated linearly between knots, with linear tails.
///
/// Fitted on values `v₁ ≤ … ≤ vₙ` whose distinct values are `x₀ < … < x_{m−1}` (`m ≥ 2`), knot
/// `k` sits at `x_k` with the mid-rank probability and its normal score
///
///     p_k = (#{vᵢ < x_k} + ½·#{vᵢ = x_k}) / n,     z_k = Φ⁻¹(p_k),
///
/// so that `p_k ∈ (0, 1)` and both the `x_k` and the `z_k` increase strictly. (With more than
/// ``defaultMaximumKnots`` distinct values, that many are kept, evenly spaced in rank, the
/// first and last among them.) The map is
///
///     T(x) = z_k + s_k·(x − x_k)               for x_k ≤ x < x_{k+1},  s_k = (z_{k+1} − z_k)/(x_{k+1} − x_k)
///     T(x) = z₀ + s·(x − x₀)                    for x < x₀
///     T(x) = z_{m−1} + s·(x − x_{m−1})          for x ≥ x_{m−1},       s = (z_{m−1} − z₀)/(x_{m−1} − x₀)
///
/// continuous, strictly increasing and onto ℝ, so it is defined for every real `x` (held-out
/// rows beyond the training range included) and every `z` has one preimage. The tails take the
/// mean slope `s` over the knots, not the end segment's: a single far outlier makes the end
/// segment nearly flat, and its inverse would throw samples far out.
///
/// Its derivative is piecewise constant: ``logDerivative(_:)`` returns `log s_k` on
/// `[x_k, x_{k+1})` (the right derivative at a knot) and `log s` in the tails, the exact
/// `log |∂T/∂x|` that a density in data units needs.
///
/// ```swift
/// let map = try QuantileMap(fitting: incomes)      // heavy-tailed column
/// let z = map.value(52_000)                         // ≈ N(0, 1)-distributed over the column
/// let x = map.inverse(z)                            // 52 000 again (to rounding)
/// ```
public struct QuantileMap: Sendable, Codable, Hashable {
  /// The knots' data values `x_k`, strictly increasing.
  public let knots: [Double]
  /// The knots' normal scores `z_k = Φ⁻¹(p_k)`, strictly increasing.
  public let scores: [Double]

  /// The most knots a fit keeps by default.
  public static let defaultMaximumKnots = 1_000

  /// A map through the given knots (as read from a model file); see ``validationFailure``.
  ///
  /// - Parameters:
  ///   - knots: at least 2 strictly increasing finite values.
  ///   - scores: as many strictly increasing finite scores.
  public init(knots: [Double], scores: [Double]) {
    self.knots = knots
    self.scores = scores
    if let failure = validationFailure { preconditionFailure("QuantileMap: \(failure)") }
  }

  /// Fits the map to a column's values.
  ///
  /// - Parameters:
  ///   - values: the column (any order), finite.
  ///   - maximumKnots: the most knots kept, at least 2.
  /// - Returns: `nil` when the values have fewer than 2 distinct values, or when two knots are
  ///   so close that a slope overflows.
  public init?(fitting values: [Double], maximumKnots: Int = defaultMaximumKnots) {
    precondition(maximumKnots >= 2, "QuantileMap: maximumKnots must be at least 2, got \(maximumKnots)")
    precondition(values.allSatisfy(\.isFinite), "QuantileMap: the values must be finite")
    let sorted = values.sorted()
    let n = Double(sorted.count)
    var distinct: [Double] = []
    var probabilities: [Double] = []
    var start = 0
    while start < sorted.count {
      var end = start + 1
      while end < sorted.count && sorted[end] == sorted[start] { end += 1 }
      distinct.append(sorted[start])
      probabilities.append((Double(start) + Double(end - start) / 2) / n)
      start = end
    }
    guard distinct.count >= 2 else { return nil }
    var kept = Array(distinct.indices)
    if distinct.count > maximumKnots {
      let last = distinct.count - 1
      kept = (0..<maximumKnots).map { ($0 * last + (maximumKnots - 1) / 2) / (maximumKnots - 1) }
    }
    let knots = kept.map { distinct[$0] }
    let scores = kept.map { StandardNormal.quantile(probabilities[$0]) }
    self.knots = knots
    self.scores = scores
    guard validationFailure == nil else { return nil }
  }

  /// The mean slope over the knots, `s = (z_{m−1} − z₀)/(x_{m−1} − x₀)`, which the tails take.
  public var tailSlope: Double { (scores.last! - scores[0]) / (knots.last! - knots[0]) }

  /// The index `k` of the segment `[x_k, x_{k+1})` holding `x` among `values`, or `nil` in a
  /// tail (below the first or at or above the last value).
  static func segment(of x: Double, in values: [Double]) -> Int? {
    guard x >= values[0] && x < values[values.count - 1] else { return nil }
    var low = 0
    var high = values.count - 1  // values[low] ≤ x < values[high]
    while high - low > 1 {
      let middle = (low + high) / 2
      if values[middle] <= x { low = middle } else { high = middle }
    }
    return low
  }

  /// `T(x)`.
  public func value(_ x: Double) -> Double {
    Self.interpolate(x, from: knots, to: scores, tailSlope: tailSlope)
  }

  /// `T⁻¹(z)`: the same interpolation with the roles of knots and scores exchanged.
  public func inverse(_ z: Double) -> Double {
    Self.interpolate(z, from: scores, to: knots, tailSlope: 1 / tailSlope)
  }

  /// `log T′(x)`: the log-slope of the segment holding `x` (right derivative at a knot), or of
  /// the tails.
  public func logDerivative(_ x: Double) -> Double {
    guard let k = Self.segment(of: x, in: knots) else { return Double.log(tailSlope) }
    return Double.log((scores[k + 1] - scores[k]) / (knots[k + 1] - knots[k]))
  }

  /// Piecewise-linear interpolation through `(from_k, to_k)` with linear tails of slope
  /// `tailSlope`.
  static func interpolate(_ x: Double, from: [Double], to: [Double], tailSlope: Double) -> Double {
    let last = from.count - 1
    if x < from[0] { return to[0] + tailSlope * (x - from[0]) }
    guard let k = segment(of: x, in: from) else { return to[last] + tailSlope * (x - from[last]) }
    let fraction = (x - from[k]) / (from[k + 1] - from[k])
    return to[k] + fraction * (to[k + 1] - to[k])
  }

  /// Why the knots do not make a strictly increasing map with finite slopes, or `nil`.
  public var validationFailure: String? {
    guard knots.count >= 2, knots.count == scores.count else {
      return "\(knots.count) knots and \(scores.count) scores (at least 2 of each, as many of each)"
    }
    guard knots.allSatisfy(\.isFinite), scores.allSatisfy(\.isFinite) else {
      return "a knot or score is not finite"
    }
    for k in 1..<knots.count {
      let slope = (scores[k] - scores[k - 1]) / (knots[k] - knots[k - 1])
      guard knots[k] > knots[k - 1], scores[k] > scores[k - 1], slope.isFinite, slope > 0 else {
        return "knots \(k - 1) and \(k) do not increase strictly with a finite positive slope"
      }
    }
    let s = tailSlope
    guard s.isFinite, s > 0 else { return "the tail slope \(s) is not finite and positive" }
    return nil
  }
}
