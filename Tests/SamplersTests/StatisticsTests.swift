import DiffusionProcesses
import LinearAlgebra
import Samplers
import TestSupport
import Testing

/// Tweedie's formula against the closed-form posterior mean of Gaussian data,
/// `E[x₀ | x_t] = μ + scale·Σ·Σ_t⁻¹(x_t − scale·μ − shift)`, at a time with plenty of noise.
@Test(arguments: Process.allCases)
func tweedieDenoiserIsThePosteriorMean(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let t = 0.4
    var rng = Xoshiro256(seed: 60)
    let x = Matrix<Double>.randomNormal(rows: 20, columns: 2, using: &rng)
    var denoised = x
    let denoiser = TweedieDenoiser(process: sde, score: oracle)
    var workspace = denoiser.makeWorkspace(rows: 20, columns: 2)
    denoiser.denoise(&denoised, at: t, workspace: &workspace)
    let a = sde.marginal(at: t).scale
    var centered = x
    centered.addToEachRow(oracle.marginalMean(at: t).map { -$0 })
    let gain = try GaussianData.covariance * oracle.marginalCovariance(at: t).inverse()
    var expected = Matrix<Double>.product(centered, gain, transposingB: true) * a
    expected.addToEachRow(GaussianData.mean)
    #expect(maxAbsDifference(denoised, expected) < 1e-10, "\(process)")
  }
  try process.run { try check($0) }
}

/// `denoise` applies Tweedie at ε after the last step and costs one more evaluation; the
/// trajectory holds the prior draw, every k-th step and the final samples, with their times.
/// Euler–Maruyama's defaults are ε = 1e-3 and denoising.
@Test func denoisingAndTrajectory() throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  var options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 30), seed: 61)
  let byDefault = try Sampler(process: sde, score: oracle, options: options).sample(count: 100, dimension: 2)
  options.trajectoryStride = 10
  options.batchSize = 40
  options.denoise = false
  let plain = try Sampler(process: sde, score: oracle, options: options).sample(count: 100, dimension: 2)
  #expect(plain.statistics.scoreEvaluations == 30 && plain.statistics.acceptedSteps == 30)
  #expect(plain.statistics.batches == 3 && plain.statistics.wallTime > .zero)
  // 3 batches × snapshots after 0, 10, 20, 30 steps.
  #expect(plain.trajectory.map(\.step) == [0, 10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30])
  #expect(plain.trajectory.map(\.firstRow) == [0, 0, 0, 0, 40, 40, 40, 40, 80, 80, 80, 80])
  let grid = TimeGrid(spacing: .uniform, steps: 30, process: sde, to: 1e-3)
  #expect(
    plain.trajectory.prefix(4).map(\.time) == [grid.times[0], grid.times[10], grid.times[20], grid.times[30]])
  #expect(plain.trajectory[3].states == plain.samples.rows(0..<40))
  #expect(plain.trajectory[11].states == plain.samples.rows(80..<100))

  options.denoise = true
  let denoised = try Sampler(process: sde, score: oracle, options: options).sample(count: 100, dimension: 2)
  #expect(denoised.statistics.scoreEvaluations == 31)
  var expected = plain.samples
  let denoiser = TweedieDenoiser(process: sde, score: oracle)
  var workspace = denoiser.makeWorkspace(rows: 100, columns: 2)
  denoiser.denoise(&expected, at: 1e-3, workspace: &workspace)
  #expect(maxAbsDifference(denoised.samples, expected) < 1e-12)
  #expect(denoised.trajectory.last!.states == denoised.samples.rows(80..<100))
  #expect(denoised.trajectory.last!.time == 1e-3)
  #expect(byDefault.samples == denoised.samples && byDefault.statistics.scoreEvaluations == 31)
}

/// Adaptive sampling reports accepted and rejected steps, and its NFE follows from them.
@Test func adaptiveSamplingStatistics() throws {
  let sde = VESDE<Double>()
  var options = SamplingOptions<Double>(
    kind: .probabilityFlow(.adaptive(PIController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6))),
    seed: 62)
  options.trajectoryStride = 1
  let result = try Sampler(process: sde, score: MixtureData.oracle(sde), options: options).sample(
    count: 200, dimension: 2)
  let s = result.statistics
  #expect(s.acceptedSteps > 10)
  #expect(s.scoreEvaluations == 2 + 6 * (s.acceptedSteps + s.rejectedSteps))
  #expect(result.trajectory.count == s.acceptedSteps + 1)
  #expect(result.trajectory.last!.time == 1e-3)
}
