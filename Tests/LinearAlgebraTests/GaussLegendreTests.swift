import LinearAlgebra
import RealModule
import Testing

/// The `n`-point rules have exactly degree `2n − 1`: on one panel of `[−1, 2]` they integrate every
/// monomial `xᵏ`, `k ≤ 2n − 1`, to rounding (relative 1e-14), and miss `x²ⁿ` by more than 1e-6
/// (a wrong node or weight breaks the first; a rule of higher degree would pass the second only
/// by accident).
@Test(arguments: [(5, "fivePoint"), (8, "eightPoint")])
func gaussLegendreRuleHasDegreeTwoNMinusOne(points: Int, name: String) {
  let rule = points == 5 ? GaussLegendre.fivePoint : GaussLegendre.eightPoint
  #expect(rule.nodes.count == points && abs(rule.weights.reduce(0, +) - 2) < 1e-15)
  func exact(_ k: Int) -> Double { (Double.pow(2, k + 1) - Double.pow(-1, k + 1)) / Double(k + 1) }
  for k in 0..<(2 * points) {
    let value = rule.integrate(panelFrom: -1, to: 2) { Double.pow($0, k) }
    #expect(abs(value - exact(k)) <= 1e-14 * abs(exact(k)), "\(name), x^\(k): \(value) vs \(exact(k))")
  }
  let k = 2 * points
  let miss = abs(rule.integrate(panelFrom: -1, to: 2) { Double.pow($0, k) } - exact(k)) / exact(k)
  #expect(miss > 1e-6, "\(name), x^\(k): relative error \(miss)")
}

/// The composite rule: exact for a degree-9 polynomial on 3 panels; on `∫₀¹⁰ eˣ` with the 5-point
/// rule the error falls with the panel width `h` like `h¹⁰` (observed order 9.8 from 4 to 8
/// panels, relative error 3.5e-12 at 8); reversed limits change the sign and equal ones give 0.
@Test func compositeGaussLegendreConvergesAtOrderTen() {
  let rule = GaussLegendre.fivePoint
  let polynomial = rule.integrate(from: -1, to: 2, panels: 3) { x in 3 * Double.pow(x, 9) - x * x + 1 }
  let polynomialExact = 3 * (Double.pow(2, 10) - 1) / 10 - (8 + 1) / 3.0 + 3
  #expect(abs(polynomial - polynomialExact) < 1e-12 * polynomialExact)
  let exact = Double.exp(10) - 1
  let coarse = abs(rule.integrate(from: 0, to: 10, panels: 4) { Double.exp($0) } - exact) / exact
  let fine = abs(rule.integrate(from: 0, to: 10, panels: 8) { Double.exp($0) } - exact) / exact
  let order = Double.log2(coarse / fine)
  #expect(order > 9.5 && order < 10.5, "observed order \(order) (errors \(coarse), \(fine))")
  #expect(fine < 1e-11)
  let forward = rule.integrate(from: 0.5, to: 3, panels: 7) { Double.sin($0) }
  #expect(rule.integrate(from: 3, to: 0.5, panels: 7) { Double.sin($0) } == -forward)
  #expect(rule.integrate(from: 2, to: 2, panels: 5) { _ in 1 } == 0)
}
