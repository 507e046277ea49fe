import DiffusionProcesses
import LinearAlgebra
import Samplers
import TestSupport
import Testing

/// The documented defaults: every kind stops at ε = 1e-3 (never below the process's cutoff);
/// the reverse-SDE kinds then denoise with Tweedie's step, the probability-flow kinds do not; an
/// explicit setting wins.
@Test(arguments: SamplerName.allCases.filter { !$0.needsPhaseSpace })
func samplingDefaultsFollowTheKind(name: SamplerName) {
  let sde = VPSDE<Double>()
  var options = SamplingOptions<Double>(kind: SamplerKind(name))
  #expect(options.smallTime == nil && options.denoise == nil)
  #expect(options.resolvedSmallTime(for: sde) == 1e-3, "\(name)")
  #expect(options.resolvedSmallTime(for: SlowStart()) == 0.01, "\(name): the process's larger cutoff")
  #expect(options.resolvedDenoise == name.isStochastic, "\(name)")
  options.smallTime = 0.02
  options.denoise = !name.isStochastic
  #expect(options.resolvedSmallTime(for: sde) == 0.02)
  #expect(options.resolvedDenoise == !name.isStochastic)
}

/// Euler–Maruyama's defaults are exactly ε = 1e-3 and the final Tweedie step: the same samples,
/// bit for bit, and one more evaluation than the steps.
@Test func eulerMaruyamaDefaultsAreTheEndTimeAndDenoising() throws {
  let sde = VPSDE<Double>()
  let oracle = MixtureData.oracle(sde)
  let byDefault = try Sampler(
    process: sde, score: oracle, options: SamplingOptions(kind: .eulerMaruyama(steps: 40), seed: 8)
  ).sample(count: 50, dimension: 2)
  var explicit = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 40), seed: 8)
  explicit.smallTime = 1e-3
  explicit.denoise = true
  let sampler = Sampler(process: sde, score: oracle, options: explicit)
  let spelled = try sampler.sample(count: 50, dimension: 2)
  #expect(byDefault.samples == spelled.samples)
  #expect(byDefault.statistics.scoreEvaluations == 41)
  #expect(sampler.grid == TimeGrid.uniform(steps: 40, from: 1, to: 1e-3))
}

/// With the defaults, Euler–Maruyama does not get worse with more steps: on the exact score of
/// the 2-D Gaussian data, each coordinate's sample mean and variance at 1000 steps are no
/// further from the truth than at 200 steps, beyond 3 standard errors of the difference of two
/// independent estimates (√2 σ/√n for a mean, √2·√(2/(n−1))·σ² for a variance), and within 4
/// standard errors of the truth.
@Test func eulerMaruyamaDoesNotDegradeWithMoreSteps() throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let n = 4000
  func errors(steps: Int) throws -> [(error: Double, standardError: Double)] {
    let x = try Sampler(
      process: sde, score: oracle, options: SamplingOptions(kind: .eulerMaruyama(steps: steps), seed: 31)
    ).sample(count: n, dimension: 2).samples
    return (0..<2).flatMap { j -> [(error: Double, standardError: Double)] in
      let column = (0..<n).map { x[$0, j] }
      let mean = column.reduce(0, +) / Double(n)
      let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
      let truth = GaussianData.covariance[j, j]
      return [
        (mean - GaussianData.mean[j], (truth / Double(n)).squareRoot()),
        (variance - truth, truth * (2 / Double(n - 1)).squareRoot()),
      ]
    }
  }
  let coarse = try errors(steps: 200)
  let fine = try errors(steps: 1000)
  for (c, f) in zip(coarse, fine) {
    #expect(abs(f.error) <= abs(c.error) + 3 * 2.0.squareRoot() * f.standardError, "200: \(c), 1000: \(f)")
    #expect(abs(f.error) < 4 * f.standardError, "1000 steps: \(f)")
  }
}

/// A VP-SDE whose own small-time cutoff, 0.01, is above the samplers' default end time.
struct SlowStart: SDE {
  let base = VPSDE<Double>()
  var smallTimeCutoff: Double { 0.01 }
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
}

/// The library's default sampler is the command line's: DPM-Solver++ of order 3, 20 log-SNR steps.
@Test func libraryDefaultSamplerIsTheCommandLines() {
  #expect(SamplingOptions<Double>().kind == .dpmSolver(steps: 20, order: 3, spacing: .logSNR))
}
