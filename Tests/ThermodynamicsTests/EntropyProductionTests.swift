import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing
import Thermodynamics

/// The Monte Carlo rates from perturbed data and the exact score agree with the closed form for
/// Gaussian data, term by term, within 4 standard errors, at early, middle and late times.
@Test(arguments: Process.allCases)
func gaussianRatesMatchClosedForm(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let exact = try GaussianEntropyProduction(oracle)
    let ep = EntropyProduction(process: sde, score: oracle)
    var rng = Xoshiro256(seed: 11)
    let data = oracle.sample(count: heavyChecks ? 40_000 : 4000, using: &rng)
    for t in [0.05, 0.4, 0.9] {
      let estimate = ep.rates(at: t, data: data, using: &rng)
      let rates = exact.rates(at: t)
      #expect(rates.total >= 0)
      expectWithin(4, standardErrorsOf: estimate.total, exact: rates.total, "\(process) Ṡ_tot(\(t))")
      expectWithin(4, standardErrorsOf: estimate.system, exact: rates.system, "\(process) dS/dt(\(t))")
      expectWithin(4, standardErrorsOf: estimate.medium, exact: rates.medium, "\(process) Ṡ_m(\(t))")
    }
  }
  try process.run { try check($0) }
}

/// The closed-form system rate is the derivative of the closed-form entropy (central difference,
/// truncation `δ²S‴/6` ≈ 2e-8 relative at δ = 1e-5 for subVP at t = 0.1, the worst case, rounding
/// `ulp·S/δ` ≈ 1e-11), and the Gauss–Legendre integral of the total
/// rate matches Simpson's rule on the same closed form (both are deterministic quadratures of a
/// smooth integrand; 1e-7 relative is far above either's error at these grid sizes).
@Test(arguments: Process.allCases)
func gaussianClosedFormIsConsistent(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let exact = try GaussianEntropyProduction(GaussianData.oracle(sde))
    for t in [0.1, 0.5, 0.8] {
      let h = 1e-5
      let derivative = (exact.entropy(at: t + h) - exact.entropy(at: t - h)) / (2 * h)
      #expect(relativeError(exact.rates(at: t).system, derivative) < 1e-6, "\(process) dS/dt at \(t)")
    }
    let integral = exact.integrated(from: 1e-3, to: 1)
    let simpsonTotal = simpson(from: 1e-3, to: 1, intervals: 20_000) { exact.rates(at: $0).total }
    #expect(relativeError(integral.total, simpsonTotal) < 1e-7, "\(process) ΔS_tot")
    let simpsonSystem = simpson(from: 1e-3, to: 1, intervals: 20_000) { exact.rates(at: $0).system }
    #expect(relativeError(integral.system, simpsonSystem) < 1e-7, "\(process) ΔS")
  }
  try process.run { try check($0) }
}

/// The integrals over `[10⁻³, T]` by random times agree with the closed form within 4 SE.
@Test(arguments: Process.allCases)
func gaussianIntegralsMatchClosedForm(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let exact = try GaussianEntropyProduction(oracle).integrated(from: 1e-3, to: 1)
    var rng = Xoshiro256(seed: 12)
    let data = oracle.sample(count: 200, using: &rng)
    let estimate = EntropyProduction(process: sde, score: oracle)
      .integrated(from: 1e-3, to: 1, data: data, rounds: heavyChecks ? 2000 : 300, using: &rng)
    print("ΔS over [1e-3, 1] \(process): \(estimate); exact \(exact)")
    expectWithin(4, standardErrorsOf: estimate.total, exact: exact.total, "\(process) ΔS_tot")
    expectWithin(4, standardErrorsOf: estimate.system, exact: exact.system, "\(process) ΔS")
    expectWithin(4, standardErrorsOf: estimate.medium, exact: exact.medium, "\(process) ΔS_m")
  }
  try process.run { try check($0) }
}

/// A 1-D mixture: the rates by Simpson quadrature of `p_t·‖v‖²/D` (and of the system and medium
/// terms) over x, with the oracle's exact density and score, against the Monte Carlo estimate
/// (4 SE); and the quadrature's system rate against the finite-difference derivative of the
/// quadrature entropy `−∫p log p`, which checks the split `dS/dt = −E[v·∇log p]` itself.
@Test func mixtureRatesMatchQuadratureIn1D() throws {
  let sde = VPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.3, 0.7], means: [[-1.5], [1]], standardDeviations: [0.3, 0.5], process: sde)
  let ep = EntropyProduction(process: sde, score: oracle)
  func quadrature(_ t: Double) -> (total: Double, system: Double, medium: Double, entropy: Double) {
    let nodes = 8001
    let (lo, hi) = (-6.0, 6.0)
    let h = (hi - lo) / Double(nodes - 1)
    let x = Matrix<Double>(rows: nodes, columns: 1, elements: (0..<nodes).map { lo + Double($0) * h })
    let c = ep.contributions(of: x, at: t)
    let logp = oracle.logDensity(x, at: t)
    var sums = (0.0, 0.0, 0.0, 0.0)
    for k in 0..<nodes {
      let w = (k == 0 || k == nodes - 1 ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0)) * h / 3
      let p = Double.exp(logp[k])
      sums.0 += w * p * c.total[k]
      sums.1 += w * p * c.system[k]
      sums.2 += w * p * c.medium[k]
      sums.3 -= w * p * logp[k]
    }
    return sums
  }
  var rng = Xoshiro256(seed: 13)
  let data = oracle.sample(count: heavyChecks ? 40_000 : 5000, using: &rng)
  for t in [0.02, 0.2, 0.6] {
    let q = quadrature(t)
    let estimate = ep.rates(at: t, data: data, using: &rng)
    expectWithin(4, standardErrorsOf: estimate.total, exact: q.total, "1-D mixture Ṡ_tot(\(t))")
    expectWithin(4, standardErrorsOf: estimate.system, exact: q.system, "1-D mixture dS/dt(\(t))")
    expectWithin(4, standardErrorsOf: estimate.medium, exact: q.medium, "1-D mixture Ṡ_m(\(t))")
    let dt = 1e-4
    let derivative = (quadrature(t + dt).entropy - quadrature(t - dt).entropy) / (2 * dt)
    #expect(relativeError(q.system, derivative) < 1e-5, "dS/dt \(q.system) vs d/dt S \(derivative) at \(t)")
  }
}

/// A 2-D mixture of three components: Simpson quadrature on a 241 × 241 grid against the Monte
/// Carlo rates (4 SE).
@Test func mixtureRatesMatchQuadratureIn2D() throws {
  let sde = SubVPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.2, 0.3, 0.5], means: [[-2, 0], [2, 1], [0, -2.5]], standardDeviations: [0.35, 0.4, 0.3],
    process: sde)
  let ep = EntropyProduction(process: sde, score: oracle)
  let side = 241
  let (lo, hi) = (-5.0, 5.0)
  let h = (hi - lo) / Double(side - 1)
  var grid = Matrix<Double>(rows: side * side, columns: 2)
  for i in 0..<side {
    for j in 0..<side {
      grid[i * side + j, 0] = lo + Double(i) * h
      grid[i * side + j, 1] = lo + Double(j) * h
    }
  }
  func weight(_ k: Int) -> Double { (k == 0 || k == side - 1 ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0)) * h / 3 }
  var rng = Xoshiro256(seed: 14)
  let data = oracle.sample(count: heavyChecks ? 40_000 : 5000, using: &rng)
  for t in [0.05, 0.5] {
    let c = ep.contributions(of: grid, at: t)
    let logp = oracle.logDensity(grid, at: t)
    var q = (0.0, 0.0, 0.0)
    for i in 0..<side {
      for j in 0..<side {
        let k = i * side + j
        let w = weight(i) * weight(j) * Double.exp(logp[k])
        q.0 += w * c.total[k]
        q.1 += w * c.system[k]
        q.2 += w * c.medium[k]
      }
    }
    let estimate = ep.rates(at: t, data: data, using: &rng)
    expectWithin(4, standardErrorsOf: estimate.total, exact: q.0, "2-D mixture Ṡ_tot(\(t))")
    expectWithin(4, standardErrorsOf: estimate.system, exact: q.1, "2-D mixture dS/dt(\(t))")
    expectWithin(4, standardErrorsOf: estimate.medium, exact: q.2, "2-D mixture Ṡ_m(\(t))")
  }
}

/// The thermodynamics types store their score model as `model`, like the samplers, and the
/// deprecated `score` spelling reads the same model.
@available(*, deprecated, message: "exercises the deprecated `score` properties")
@Test func thermodynamicsTypesStoreTheScoreModelAsModel() {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let x = Matrix<Double>(
    rows: 2, columns: oracle.dimension, elements: (0..<(2 * oracle.dimension)).map { 0.3 * Double($0) - 0.5 })
  let expected = oracle.score(x, at: 0.4)
  let models = [
    EntropyProduction(process: sde, score: oracle).model,
    StochasticEntropyProduction(process: sde, score: oracle).model,
    ScoreLikelihoodBound(process: sde, score: oracle).model,
    BoltzmannGenerator(process: sde, score: oracle).model,
  ]
  let deprecated = [
    EntropyProduction(process: sde, score: oracle).score,
    StochasticEntropyProduction(process: sde, score: oracle).score,
    ScoreLikelihoodBound(process: sde, score: oracle).score,
    BoltzmannGenerator(process: sde, score: oracle).score,
  ]
  for model in models + deprecated { #expect(model.score(x, at: 0.4) == expected) }
}
