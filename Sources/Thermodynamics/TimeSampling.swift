public import LinearAlgebra

/// Where the times of a time-integral estimator come from.
///
/// An integral `∫ₐᵇ h(t) dt` of an expectation is estimated without bias by drawing
/// `t ~ Uniform[a, b]` and averaging `(b − a)·h(t)`. Every estimator here draws one time per
/// *round* and evaluates a whole batch of points at it (score models take one time per call), so
/// the independent units of the standard error are the rounds, each the batch average.
enum TimeSampling {
  /// `count` independent uniform times on `[a, b]`.
  static func uniformTimes<Scalar: BLASScalar, G: RandomNumberGenerator>(
    _ count: Int, from a: Scalar, to b: Scalar, using rng: inout G
  ) -> [Scalar] {
    (0..<count).map { _ in a + (b - a) * Scalar.randomOpenUnit(using: &rng) }
  }
}

/// `∫ₐᵇ h(t) dt` by composite 5-point Gauss–Legendre on `panels` equal panels: exact for
/// polynomials of degree 9 on each panel, error `O(h¹⁰ h⁽¹⁰⁾)` for smooth `h` and `O(panel²)`
/// across a kink (the clipped cosine schedule).
func gaussLegendre(from a: Double, to b: Double, panels: Int, _ h: (Double) -> Double) -> Double {
  precondition(panels > 0, "gaussLegendre needs at least one panel, got \(panels)")
  let nodes: [Double] = [
    0, -0.538_469_310_105_683_1, 0.538_469_310_105_683_1, -0.906_179_845_938_664_0, 0.906_179_845_938_664_0,
  ]
  let weights: [Double] = [
    0.568_888_888_888_888_9, 0.478_628_670_499_366_5, 0.478_628_670_499_366_5, 0.236_926_885_056_189_1,
    0.236_926_885_056_189_1,
  ]
  let width = (b - a) / Double(panels)
  var sum = 0.0
  for p in 0..<panels {
    let mid = a + (Double(p) + 0.5) * width
    for (x, w) in zip(nodes, weights) { sum += w * h(mid + x * width / 2) }
  }
  return sum * width / 2
}
