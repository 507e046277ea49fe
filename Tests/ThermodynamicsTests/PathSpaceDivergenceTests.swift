import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing
import Thermodynamics

/// The exact score has zero divergence from itself, exactly (no Monte Carlo noise at all).
@Test func girsanovDivergenceVanishesForExactScore() {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  var rng = Xoshiro256(seed: 31)
  let data = oracle.sample(count: 100, using: &rng)
  let kl = PathSpaceDivergence(process: sde, model: oracle, reference: oracle)
    .divergence(from: 1e-3, to: 1, data: data, rounds: 20, using: &rng)
  #expect(kl.mean == 0 && kl.standardError == 0, "\(kl)")
}

/// A score off by a constant `c` has `KL = ½‖c‖² ∫g²` (Simpson quadrature of `g²`): the estimate
/// is within 4 SE of it on every process.
@Test(arguments: Process.allCases)
func girsanovDivergenceOfOffsetScoreMatchesClosedForm(process: Process) {
  func check<P: GaussianSDE>(_ sde: P) where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let c = [0.3, -0.2]
    let model = OffsetScore(base: oracle, offset: c)
    var rng = Xoshiro256(seed: 32)
    let data = oracle.sample(count: 50, using: &rng)
    let kl = PathSpaceDivergence(process: sde, model: model, reference: oracle)
      .divergence(from: 1e-3, to: 1, data: data, rounds: heavyChecks ? 4000 : 400, using: &rng)
    let g2 = simpson(from: 1e-3, to: 1, intervals: 20_000) { sde.diffusion(at: $0) * sde.diffusion(at: $0) }
    let exact = (c[0] * c[0] + c[1] * c[1]) / 2 * g2
    expectWithin(4, standardErrorsOf: kl, exact: exact, "\(process) offset KL")
  }
  process.run { check($0) }
}

/// A score scaled by `1 + δ` on Gaussian data: `KL = ½δ² ∫ g² tr Σ_t⁻¹ dt` (Simpson quadrature of
/// the closed-form trace), within 4 SE.
@Test(arguments: Process.allCases)
func girsanovDivergenceOfScaledScoreMatchesQuadrature(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let delta = 0.1
    let closed = try GaussianEntropyProduction(oracle)
    var rng = Xoshiro256(seed: 33)
    let data = oracle.sample(count: 200, using: &rng)
    let kl = PathSpaceDivergence(
      process: sde, model: ScaledScore(base: oracle, factor: 1 + delta), reference: oracle
    )
    .divergence(from: 1e-3, to: 1, data: data, rounds: heavyChecks ? 4000 : 400, using: &rng)
    let exact = simpson(from: 1e-3, to: 1, intervals: 20_000) { t in
      let g = sde.diffusion(at: t)
      return g * g / 2 * delta * delta * closed.marginalEigenvalues(at: t).reduce(0) { $0 + 1 / $1 }
    }
    expectWithin(4, standardErrorsOf: kl, exact: exact, "\(process) scaled-score KL")
  }
  try process.run { try check($0) }
}

/// On a 1-D mixture under VP, a score scaled by `1 + δ` has `KL = ½δ² ∫ g² E_{p_t}s² dt`, with
/// the inner expectation by Simpson quadrature in x (the oracle's exact density and score) and
/// the outer by Simpson in t: the estimate is within 4 SE.
@Test func girsanovDivergenceOnMixtureMatchesQuadrature() throws {
  let sde = VPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.3, 0.7], means: [[-1.5], [1]], standardDeviations: [0.3, 0.5], process: sde)
  let delta = 0.1
  let nodes = 2001
  let grid = Matrix<Double>(
    rows: nodes, columns: 1, elements: (0..<nodes).map { -6 + 12 * Double($0) / 2000 })
  func expectedSquaredScore(_ t: Double) -> Double {
    let s = oracle.score(grid, at: t)
    let logp = oracle.logDensity(grid, at: t)
    var sum = 0.0
    for k in 0..<nodes {
      let w = (k == 0 || k == nodes - 1 ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0)) * (12.0 / 2000) / 3
      sum += w * Double.exp(logp[k]) * s[k, 0] * s[k, 0]
    }
    return sum
  }
  let exact = simpson(from: 1e-3, to: 1, intervals: 400) { t in
    let g = sde.diffusion(at: t)
    return g * g / 2 * delta * delta * expectedSquaredScore(t)
  }
  var rng = Xoshiro256(seed: 34)
  let data = oracle.sample(count: 200, using: &rng)
  let kl = PathSpaceDivergence(
    process: sde, model: ScaledScore(base: oracle, factor: 1 + delta), reference: oracle
  )
  .divergence(from: 1e-3, to: 1, data: data, rounds: heavyChecks ? 4000 : 400, using: &rng)
  print("mixture scaled-score KL: \(kl), quadrature \(exact)")
  expectWithin(4, standardErrorsOf: kl, exact: exact, "1-D mixture scaled-score KL")
}
