import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing
import Thermodynamics

/// The time grid of the trajectory tests: `steps` equal steps on `[t₀, t₁]`.
func uniformGrid(from t0: Double, to t1: Double, steps: Int) -> [Double] {
  (0...steps).map { t0 + (t1 - t0) * Double($0) / Double(steps) }
}

/// Gaussian data and an interval, per process, on which `e^{−Δs_tot}` has a finite variance (so a
/// standard error means something): `∫ρ̃²/p_{t₀} < ∞` needs the reversed-protocol density at `t₀`
/// less than twice as wide as `p_{t₀}` in every direction. VP and sub-VP relax toward `N(0, I)`,
/// so the data are near it; OU toward `N(1, 0.16 I)`; VE only spreads, so its interval is short.
struct FluctuationRegime {
  let mean: [Double]
  let covariance: Matrix<Double>
  let start: Double
  let end: Double

  init(_ process: Process) {
    switch process {
    case .vp, .subVP:
      (mean, covariance, start, end) = ([0.3, -0.2], Matrix([[0.9, 0.1], [0.1, 0.8]]), 0.05, 1)
    case .ve:
      (mean, covariance, start, end) = (GaussianData.mean, GaussianData.covariance, 0.05, 0.4)
    case .ou:
      (mean, covariance, start, end) = ([1.2, 0.8], Matrix([[0.2, 0.03], [0.03, 0.15]]), 0.05, 1)
    }
  }

  func oracle<P: GaussianSDE>(_ process: P, covarianceFactor: Double = 1) -> GaussianScore<P>
  where P.Scalar == Double {
    try! GaussianScore(mean: mean, covariance: covariance * covarianceFactor, process: process)
  }
}

/// Seifert's integral fluctuation theorem `⟨e^{−Δs_tot}⟩ = 1` along exactly sampled forward
/// paths with the exact score, to 3 standard errors, for Gaussian data on every process.
@Test(arguments: Process.allCases)
func integralFluctuationTheoremHoldsWithExactScore(process: Process) {
  func check<P: GaussianSDE>(_ sde: P) where P.Scalar == Double {
    let regime = FluctuationRegime(process)
    let oracle = regime.oracle(sde)
    var rng = Xoshiro256(seed: 21)
    let data = oracle.sample(count: heavyChecks ? 20_000 : 2000, using: &rng)
    let grid = uniformGrid(from: regime.start, to: regime.end, steps: heavyChecks ? 400 : 100)
    let paths = StochasticEntropyProduction(process: sde, score: oracle).simulate(
      data: data, times: grid, seed: 5)
    let ift = paths.integralFluctuationTheorem
    print("IFT \(process): \(ift); ⟨Δs_tot⟩ = \(paths.averages.total)")
    expectWithin(3, standardErrorsOf: ift, exact: 1, "\(process) ⟨exp(−Δs_tot)⟩")
  }
  process.run { check($0) }
}

/// The path averages are the ensemble integrals: `⟨Δs_tot⟩ = ∫Ṡ_tot`, `⟨Δs_sys⟩ = S(t₁) − S(t₀)`
/// and `⟨Δs_m⟩ = ∫Ṡ_m` (closed forms), within 4 SE, on the noising of the narrow data over
/// `[0.05, 1]` (far from equilibrium; the averages, unlike the exponential one, have finite
/// variance here).
@Test(arguments: Process.allCases)
func trajectoryAveragesMatchEnsembleEntropyProduction(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let exact = try GaussianEntropyProduction(oracle).integrated(from: 0.05, to: 1)
    var rng = Xoshiro256(seed: 22)
    let data = oracle.sample(count: heavyChecks ? 20_000 : 2000, using: &rng)
    for rule in [MediumEntropyDiscretization.transitionRatio, .stratonovichMidpoint] {
      let averages = StochasticEntropyProduction(process: sde, score: oracle)
        .simulate(
          data: data, times: uniformGrid(from: 0.05, to: 1, steps: heavyChecks ? 400 : 100), seed: 6,
          medium: rule
        )
        .averages
      print("averages \(process) \(rule): \(averages) exact \(exact)")
      expectWithin(4, standardErrorsOf: averages.total, exact: exact.total, "\(process) \(rule) ⟨Δs_tot⟩")
      expectWithin(4, standardErrorsOf: averages.system, exact: exact.system, "\(process) \(rule) ⟨Δs_sys⟩")
      expectWithin(4, standardErrorsOf: averages.medium, exact: exact.medium, "\(process) \(rule) ⟨Δs_m⟩")
    }
  }
  try process.run { try check($0) }
}

/// The two discretisations of the medium entropy converge to the same Stratonovich integral: on
/// sub-VP (where `a/D` varies in time, so they differ) the mean absolute per-path difference falls
/// by at least 4 when the step is divided by 4 (measured: 0.0172 at 50 steps, 0.00112 at 200, a
/// factor 15, i.e. second order; first order would be the least a consistent pair could show).
@Test func mediumEntropyDiscretizationsConverge() {
  let sde = SubVPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  var rng = Xoshiro256(seed: 25)
  let data = oracle.sample(count: 500, using: &rng)
  let ep = StochasticEntropyProduction(process: sde, score: oracle)
  func gap(_ steps: Int) -> Double {
    let grid = uniformGrid(from: 0.05, to: 1, steps: steps)
    let a = ep.simulate(data: data, times: grid, seed: 9, medium: .transitionRatio).medium
    let b = ep.simulate(data: data, times: grid, seed: 9, medium: .stratonovichMidpoint).medium
    return zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(a.count)
  }
  let (coarse, fine) = (gap(50), gap(200))
  print("medium-entropy rules differ by \(coarse) at 50 steps, \(fine) at 200")
  #expect(coarse > 4 * fine, "differences \(coarse) at 50 steps, \(fine) at 200")
}

/// With a deliberately wrong score (the exact score of data with twice the covariance) the
/// theorem visibly fails in the regime where it holds for the exact score: `⟨e^{−Δs_tot}⟩` is more
/// than 10 standard errors from 1.
@Test func integralFluctuationTheoremFailsWithWrongScore() {
  let sde = VPSDE<Double>()
  let regime = FluctuationRegime(.vp)
  var rng = Xoshiro256(seed: 23)
  let data = regime.oracle(sde).sample(count: 2000, using: &rng)
  let ift = StochasticEntropyProduction(process: sde, score: regime.oracle(sde, covarianceFactor: 2))
    .simulate(data: data, times: uniformGrid(from: regime.start, to: regime.end, steps: 100), seed: 5)
    .integralFluctuationTheorem
  print("IFT with a wrong score: \(ift)")
  #expect(ift.standardErrors(from: 1) > 10, "wrong score: \(ift)")
}

/// A 1-D mixture (no closed form for `Δs`): the theorem holds with the exact mixture score to 3
/// standard errors (components wider than `½` so the variance is finite under VP).
@Test func integralFluctuationTheoremHoldsForMixture() throws {
  let sde = VPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.4, 0.6], means: [[-1], [0.8]], standardDeviations: [0.8, 0.9], process: sde)
  var rng = Xoshiro256(seed: 24)
  let data = oracle.sample(count: heavyChecks ? 20_000 : 2000, using: &rng)
  let ift = StochasticEntropyProduction(process: sde, score: oracle)
    .simulate(data: data, times: uniformGrid(from: 0.05, to: 1, steps: heavyChecks ? 400 : 100), seed: 7)
    .integralFluctuationTheorem
  print("IFT mixture: \(ift)")
  expectWithin(3, standardErrorsOf: ift, exact: 1, "1-D mixture ⟨exp(−Δs_tot)⟩")
}

/// Along reverse-SDE paths with the exact score the velocity is `−v`, so the entropy produced is
/// the forward process's: `⟨Δs_tot⟩ = ∫Ṡ_tot` and `⟨Δs_sys⟩ = S(t₀) − S(t₁)` (closed forms) within
/// 4 SE, on VP and VE; and the integral fluctuation theorem holds along them to 3 SE in the
/// finite-variance regime. Euler–Maruyama's `O(Δt)` error in the path law is below the standard
/// error at 200 steps.
@Test(arguments: [Process.vp, .ve])
func reverseSDEPathsProduceTheForwardEntropy(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let steps = heavyChecks ? 800 : 200
    let regime = FluctuationRegime(process)
    let oracle = regime.oracle(sde)
    let grid = uniformGrid(from: regime.start, to: regime.end, steps: steps)
    let exact = try GaussianEntropyProduction(oracle).integrated(from: regime.start, to: regime.end)
    var rng = Xoshiro256(seed: 26)
    let data = oracle.sample(count: heavyChecks ? 20_000 : 2000, using: &rng)
    let paths = StochasticEntropyProduction(process: sde, score: oracle).simulateReverse(
      data: data, times: grid, seed: 8)
    let averages = paths.averages
    print("reverse \(process): \(averages), IFT \(paths.integralFluctuationTheorem); exact \(exact)")
    expectWithin(4, standardErrorsOf: averages.total, exact: exact.total, "\(process) reverse ⟨Δs_tot⟩")
    expectWithin(4, standardErrorsOf: averages.system, exact: -exact.system, "\(process) reverse ⟨Δs_sys⟩")
    expectWithin(3, standardErrorsOf: paths.integralFluctuationTheorem, exact: 1, "\(process) reverse IFT")
  }
  try process.run { try check($0) }
}
