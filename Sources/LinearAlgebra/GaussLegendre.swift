/// Composite Gauss–Legendre quadrature in `Double`: an `n`-point rule, exact for polynomials of
/// degree `2n − 1`, on each of `panels` equal panels of `[a, b]` (Abramowitz & Stegun, 25.4.29).
///
///     ∫ₐᵇ f ≈ Σ_panels (h/2) Σᵢ wᵢ f(m + (h/2) xᵢ),   m the panel's midpoint, h its width.
///
/// For a smooth `f` the error is `O(h²ⁿ)`; across a kink (the clipped cosine schedule's β) it is
/// `O(h²)`, so such integrands want many panels.
///
/// One rule for the package: the numerical noise schedules' `∫ β` (`DiffusionProcesses`, five
/// points), the splitting kernel of critically-damped Langevin sampling (`Samplers`, eight points)
/// and the closed-form entropy production's time integrals (`Thermodynamics`, five points).
///
/// ```swift
/// let area = GaussLegendre.fivePoint.integrate(from: 0, to: 1, panels: 4) { $0 * $0 }   // 1/3
/// ```
@usableFromInline
package struct GaussLegendre: Sendable {
  /// The nodes `xᵢ` on `[−1, 1]`, increasing.
  @usableFromInline package let nodes: [Double]
  /// The weights `wᵢ` (they sum to 2).
  @usableFromInline package let weights: [Double]

  @usableFromInline
  init(nodes: [Double], weights: [Double]) {
    precondition(
      nodes.count == weights.count, "GaussLegendre: \(nodes.count) nodes, \(weights.count) weights")
    (self.nodes, self.weights) = (nodes, weights)
  }

  /// The 5-point rule (exact to degree 9).
  @usableFromInline package static let fivePoint = GaussLegendre(
    nodes: [
      -0.906_179_845_938_663_99, -0.538_469_310_105_683_09, 0, 0.538_469_310_105_683_09,
      0.906_179_845_938_663_99,
    ],
    weights: [
      0.236_926_885_056_189_09, 0.478_628_670_499_366_47, 0.568_888_888_888_888_89,
      0.478_628_670_499_366_47, 0.236_926_885_056_189_09,
    ])

  /// The 8-point rule (exact to degree 15).
  @usableFromInline package static let eightPoint = GaussLegendre(
    nodes: [
      -0.960_289_856_497_536_2, -0.796_666_477_413_626_7, -0.525_532_409_916_329_0,
      -0.183_434_642_495_649_8, 0.183_434_642_495_649_8, 0.525_532_409_916_329_0, 0.796_666_477_413_626_7,
      0.960_289_856_497_536_2,
    ],
    weights: [
      0.101_228_536_290_376_3, 0.222_381_034_453_374_5, 0.313_706_645_877_887_3, 0.362_683_783_378_362_0,
      0.362_683_783_378_362_0, 0.313_706_645_877_887_3, 0.222_381_034_453_374_5, 0.101_228_536_290_376_3,
    ])

  /// `∫ₐᵇ f` on `panels` equal panels (the last one ends at `b` exactly); 0 when `a == b`.
  /// - Precondition: `panels ≥ 1`.
  @inlinable
  package func integrate(from a: Double, to b: Double, panels: Int, _ f: (Double) -> Double) -> Double {
    precondition(panels >= 1, "GaussLegendre.integrate needs at least one panel, got \(panels)")
    if a == b { return 0 }
    let h = (b - a) / Double(panels)
    var sum = 0.0
    for k in 0..<panels {
      let lo = a + Double(k) * h
      sum += integrate(panelFrom: lo, to: k == panels - 1 ? b : lo + h, f)
    }
    return sum
  }

  /// `∫ₐᵇ f` by the rule on the one panel `[a, b]`.
  @inlinable
  package func integrate(panelFrom a: Double, to b: Double, _ f: (Double) -> Double) -> Double {
    let (mid, half) = ((a + b) / 2, (b - a) / 2)
    var sum = 0.0
    for i in nodes.indices { sum += weights[i] * f(mid + half * nodes[i]) }
    return sum * half
  }
}
