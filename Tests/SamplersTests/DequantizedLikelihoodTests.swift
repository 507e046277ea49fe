import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import Testing

/// The exact score of data uniform on `[0, L)` pushed through a Gaussian process with kernel
/// `N(a x₀, σ²)`: `p_t(x) = (Φ(z₁) − Φ(z₂))/(aL)`, `z₁ = x/σ`, `z₂ = (x − aL)/σ`, so
/// `s = (φ(z₁) − φ(z₂))/(σ D)` with `D = Φ(z₁) − Φ(z₂)`, and `s' = (z₂φ(z₂) − z₁φ(z₁))/(σ² D) − s²`.
struct UniformIntervalScore: DivergenceScoreModel {
  typealias Scalar = Double
  let process: VPSDE<Double>
  let length: Double

  /// `(s, s')` at `x` and `t`.
  func scoreAndDerivative(_ x: Double, at t: Double) -> (Double, Double) {
    let (a, sigma) = process.marginal(at: t)
    let (z1, z2) = (x / sigma, (x - a * length) / sigma)
    // Φ(z₁) − Φ(z₂) through the tail that keeps its digits.
    let d =
      z2 > 0
      ? 0.5 * (erfc(z2 / 2.0.squareRoot()) - erfc(z1 / 2.0.squareRoot()))
      : 0.5 * (erfc(-z1 / 2.0.squareRoot()) - erfc(-z2 / 2.0.squareRoot()))
    func phi(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
    let s = (phi(z1) - phi(z2)) / (sigma * d)
    return (s, (z2 * phi(z2) - z1 * phi(z1)) / (sigma * sigma * d) - s * s)
  }

  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    for i in 0..<x.rows { out[i, 0] = scoreAndDerivative(x[i, 0], at: t).0 }
  }

  func scoreAndDivergence(
    _ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>, divergence: inout [Double],
    workspace: inout Void
  ) {
    for i in 0..<x.rows { (out[i, 0], divergence[i]) = scoreAndDerivative(x[i, 0], at: t) }
  }

  func scoreAndVectorJacobianProduct(
    _ x: Matrix<Double>, at t: Double, probe: Matrix<Double>, into out: inout Matrix<Double>,
    vjp: inout Matrix<Double>, workspace: inout Void
  ) {
    for i in 0..<x.rows {
      let (s, ds) = scoreAndDerivative(x[i, 0], at: t)
      out[i, 0] = s
      vjp[i, 0] = probe[i, 0] * ds
    }
  }
}

/// A known answer for the discrete bound: integers `k ∈ {0, …, 9}` on a grid of width
/// `w = 0.5` (values 0, 0.5, …, 4.5), uniform, have discrete entropy `log 10`. Dequantised they
/// are uniform on `[0, 5)`, whose exact score gives, through the probability-flow ODE,
/// `−log p = log 5` at every point; the bound `E_u[−log p(k + w·u)] − log w` is
/// `log 5 − log 0.5 = log 10`, the exact entropy (the bound is tight for a uniform density).
@Test func theDequantizedBoundOfUniformIntegersIsTheirEntropy() throws {
  let dequantization = Dequantization(columns: [0], binWidths: [0.5])
  var points = Matrix<Double>(rows: 200, columns: 1)
  for i in 0..<200 { points[i, 0] = 0.5 * Double(i % 10) }
  var rng = Xoshiro256(seed: 2016)
  dequantization.dequantize(&points, using: &rng)
  #expect(points.elements.allSatisfy { $0 >= 0 && $0 < 5 })

  let process = VPSDE<Double>()
  let result = try ProbabilityFlowLikelihood(
    process: process, score: UniformIntervalScore(process: process, length: 5)
  ).logLikelihood(of: points)
  let continuous = -result.logLikelihoods.reduce(0, +) / 200
  let bound = dequantization.discreteBound(continuousNLL: continuous)
  #expect(abs(continuous - log(5.0)) < 5e-3, "continuous NLL \(continuous) vs log 5 = \(log(5.0))")
  #expect(abs(bound - log(10.0)) < 5e-3, "bound \(bound) vs log 10 = \(log(10.0))")
}
