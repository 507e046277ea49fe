import DiffusionProcesses
import LinearAlgebra
import RealModule
import ScoreMatching
import TestSupport
import Testing

/// A Gaussian SDE that forwards only what `GaussianSDE` requires, so that the protocol's
/// bisection `time(atLogSignalToNoiseRatio:)` is what inverts the importance CDF.
struct BisectedVP: GaussianSDE {
  typealias Scalar = Double
  let base = VPSDE<Double>(betaMin: 0.5, betaMax: 12)
  var endTime: Double { base.endTime }
  func drift(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    base.drift(x, at: t, into: &out)
  }
  func diffusion(at t: Double) -> Double { base.diffusion(at: t) }
  func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G) -> Matrix<Double>
  {
    base.samplePrior(count: count, dimension: dimension, using: &rng)
  }
  func priorLogDensity(_ x: Matrix<Double>) -> [Double] { base.priorLogDensity(x) }
  func marginal(at t: Double) -> (scale: Double, standardDeviation: Double) { base.marginal(at: t) }
}

/// A process for the importance-sampling checks.
struct ProposalCase: Sendable, CustomTestStringConvertible {
  let name: String
  let sampler:
    @Sendable (Double) -> (time: (Double) -> Double, cdf: (Double) -> Double, g2OverS2: (Double) -> Double)
  var testDescription: String { name }
}

/// The importance CDF `F(t) = ∫_ε^t g²/σ² / ∫_ε^T g²/σ²` by quadrature on a log grid of `nodes`
/// points plus the `breakpoints` (kinks of g), from `diffusion(at:)` and `marginal(at:)` alone (not
/// the log-SNR identity).
func referenceCDF<P: GaussianSDE<Double>>(
  _ process: P, from eps: Double, breakpoints: [Double] = [], nodes: Int = 4001
) -> (times: [Double], cdf: [Double], total: Double) {
  let (lo, hi) = (Double.log(eps), Double.log(process.endTime))
  let times = ((0..<nodes).map { Double.exp(lo + (hi - lo) * Double($0) / Double(nodes - 1)) } + breakpoints)
    .sorted()
  func density(_ t: Double) -> Double {
    let g = process.diffusion(at: t)
    return g * g / process.marginalVariance(at: t)
  }
  var cumulative = [0.0]
  for k in 1..<times.count {
    // Simpson on each cell, in u = log t.
    let (a, b) = (times[k - 1], times[k])
    let m = (a * b).squareRoot()
    let h = Double.log(b / a)
    cumulative.append(cumulative[k - 1] + h / 6 * (density(a) * a + 4 * density(m) * m + density(b) * b))
  }
  let total = cumulative.last!
  return (times, cumulative.map { $0 / total }, total)
}

/// Draws 20 000 importance-sampled times and checks them against the reference CDF with a
/// Kolmogorov–Smirnov bound (1.95/√n, a 0.1 % test), and checks the library's CDF and density
/// against the reference.
func checkImportanceSampling<P: GaussianSDE<Double>>(
  _ process: P, eps: Double, breakpoints: [Double] = [], label: String
) {
  let sampler = TimeSampler(process: process, proposal: .importance, smallTimeCutoff: eps)
  let (grid, cdf, total) = referenceCDF(process, from: eps, breakpoints: breakpoints)
  for k in stride(from: 0, to: grid.count, by: 97) {
    #expect(abs(sampler.cumulativeProbability(at: grid[k]) - cdf[k]) < 1e-9, "\(label): F(\(grid[k]))")
  }
  #expect(
    relativeError(sampler.importanceNormalizer, sampler.logSNRAtCutoff - sampler.logSNRAtEnd) < 1e-15)
  for t in [eps, 0.01, 0.4, 0.99] {
    let g = process.diffusion(at: t)
    #expect(relativeError(sampler.density(at: t), g * g / (process.marginalVariance(at: t) * total)) < 1e-8)
  }
  var rng = Xoshiro256(seed: 31)
  var times = [Double](repeating: 0, count: 20_000)
  sampler.sample(into: &times, sampling: .independent, using: &rng)
  times.sort()
  #expect(times.first! >= eps && times.last! <= process.endTime)
  var worst = 0.0
  var j = 0
  for (k, t) in grid.enumerated() {
    while j < times.count && times[j] <= t { j += 1 }
    worst = max(worst, abs(Double(j) / Double(times.count) - cdf[k]))
  }
  #expect(worst < 1.95 / Double(times.count).squareRoot(), "\(label): KS distance \(worst)")
}

@Test func importanceSampledTimesFollowGSquaredOverSigmaSquared() {
  checkImportanceSampling(VPSDE<Double>(), eps: 1e-5, label: "vp")
  // The cosine schedule's β is clipped at 20 from t* = (1+s)(2/π)·atan(20(1+s)/π) − s on.
  let clip = 1.008 * 2 / Double.pi * Double.atan(20 * 1.008 / Double.pi) - 0.008
  checkImportanceSampling(VPSDE<Double>(schedule: .cosine()), eps: 1e-5, breakpoints: [clip], label: "cosine")
  checkImportanceSampling(SubVPSDE<Double>(), eps: 1e-5, label: "subvp")
  checkImportanceSampling(VESDE<Double>(), eps: 1e-5, label: "ve")
  checkImportanceSampling(OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: 1, sigma: 0.7), eps: 1e-4, label: "ou")
  checkImportanceSampling(BisectedVP(), eps: 1e-3, label: "bisection")
}

/// Uniform quantiles map to `ε + u(T − ε)`; stratified quantiles put exactly one time in each of
/// the `n` equal-probability strata; antithetic pairs have CDFs summing to 1.
@Test(arguments: TimeProposal.allCases)
func stratifiedAndAntitheticTimesHaveTheirStructure(_ proposal: TimeProposal) {
  let sampler = TimeSampler(process: VPSDE<Double>(), proposal: proposal, smallTimeCutoff: 1e-3)
  #expect(abs(sampler.time(atQuantile: 0) - 1e-3) <= 1e-18)
  #expect(abs(sampler.time(atQuantile: 1) - 1) < 1e-12)
  if proposal == .uniform { #expect(sampler.time(atQuantile: 0.25) == 1e-3 + 0.25 * (1 - 1e-3)) }
  var rng = Xoshiro256(seed: 32)
  var times = [Double](repeating: 0, count: 64)
  sampler.sample(into: &times, sampling: .stratified, using: &rng)
  for (i, t) in times.enumerated() {
    let u = sampler.cumulativeProbability(at: t)
    #expect(u >= Double(i) / 64 - 1e-9 && u <= Double(i + 1) / 64 + 1e-9, "row \(i): F = \(u)")
  }
  var odd = [Double](repeating: 0, count: 9)
  sampler.sample(into: &odd, sampling: .antithetic, using: &rng)
  for j in 0..<4 {
    let sum =
      sampler.cumulativeProbability(at: odd[2 * j]) + sampler.cumulativeProbability(at: odd[2 * j + 1])
    #expect(abs(sum - 1) < 1e-9, "pair \(j)")
  }
  #expect(odd[8] >= 1e-3 && odd[8] <= 1)
  let moments = SampleMoments(
    (0..<2000).map { _ -> Double in
      var t = [Double](repeating: 0, count: 1)
      sampler.sample(into: &t, sampling: .independent, using: &rng)
      return sampler.cumulativeProbability(at: t[0])
    })
  #expect(abs(moments.mean - 0.5) < 4.5 * (1.0 / 12 / 2000).squareRoot(), "quantiles are uniform")
}

/// The likelihood-weighted loss has the same mean with importance-sampled times as with uniform
/// times (both estimate J; 4.5 combined standard errors), and the importance-sampled estimator
/// has a smaller variance (the point of sampling t ∝ g²/σ²; 3.7 times smaller at ε = 10⁻², and
/// the plain estimator's variance grows like 1/ε). An ε-space offset keeps the value away from
/// the minimum.
@Test func importanceWeightedLikelihoodLossHasThePlainMean() {
  let data = GaussianData()
  let process = VPSDE<Double>()
  func estimate(_ proposal: TimeProposal, seed: UInt64) -> (mean: Double, error: Double, variance: Double) {
    let dsm = DenoisingScoreMatching(
      process: process,
      options: DenoisingOptions(weighting: .likelihood, proposal: proposal, smallTimeCutoff: 1e-2))
    var rng = Xoshiro256(seed: seed)
    var batch = DenoisingBatch<Double>()
    var all: [Double] = []
    var rows = [Double](repeating: 0, count: 4000)
    for _ in 0..<15 {
      dsm.prepare(data.sample(count: 4000, using: &rng), into: &batch, using: &rng)
      dsm.rowLosses(
        output: exactOutput(data, process, .noise, batch: batch, eta: [0.5, 0.5]), batch: batch, into: &rows)
      all += rows
    }
    let m = SampleMoments(all)
    return (m.mean, m.standardErrorOfMean, m.variance)
  }
  let plain = estimate(.uniform, seed: 33)
  let weighted = estimate(.importance, seed: 34)
  let combined = (plain.error * plain.error + weighted.error * weighted.error).squareRoot()
  #expect(abs(plain.mean - weighted.mean) < 4.5 * combined, "plain \(plain), importance \(weighted)")
  #expect(combined < 0.02 * weighted.mean)
  #expect(
    weighted.variance * 2 < plain.variance,
    "variance: importance \(weighted.variance), plain \(plain.variance)")
}

/// EDM's log-normal noise levels: the quantile map inverts the CDF, the density is the CDF's
/// derivative, and sampled `ln(σ/a)` has the truncated normal's moments (VP and VE).
@Test(arguments: [false, true])
func logNormalNoiseLevelsAreTheTruncatedNormal(ve: Bool) {
  func check<P: GaussianSDE<Double>>(_ process: P) {
    let eps = 1e-3
    let levels = LogNormalNoiseLevels(process: process, smallTimeCutoff: eps)
    for u in [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999] {
      let t = levels.time(atQuantile: u)
      #expect(abs(levels.cumulativeProbability(at: t) - u) < 1e-9, "u = \(u)")
    }
    #expect(
      abs(levels.time(atQuantile: 0) - eps) < 1e-9 && abs(levels.time(atQuantile: 1) - process.endTime) < 1e-9
    )
    for t in [0.01, 0.2, 0.6] {
      #expect(
        relativeError(levels.density(at: t), logNormalDensity(process, at: t, smallTimeCutoff: eps)) < 1e-6)
    }
    // ln σ̃ of stratified quantiles: the truncated normal's mean, from its closed form.
    let n = 20_000
    let logs = (0..<n).map { i -> Double in
      let (a, s) = process.marginal(at: levels.time(atQuantile: (Double(i) + 0.5) / Double(n)))
      return Double.log(s / a)
    }
    let mean = logs.reduce(0, +) / Double(n)
    func standardize(_ t: Double) -> Double {
      let (a, s) = process.marginal(at: t)
      return (Double.log(s / a) + 1.2) / 1.2
    }
    let (alpha, beta) = (standardize(eps), standardize(process.endTime))
    let phi = { (x: Double) in Double.exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
    let cdf = { (x: Double) in 0.5 * Double.erfc(-x / 2.0.squareRoot()) }
    let expected = -1.2 + 1.2 * (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    #expect(abs(mean - expected) < 1e-3, "mean ln σ̃ \(mean), truncated normal \(expected)")
  }
  if ve { check(VESDE<Double>()) } else { check(VPSDE<Double>()) }
}
