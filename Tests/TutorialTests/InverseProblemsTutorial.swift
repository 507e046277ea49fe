// Tutorial 9, "Conditioning and inverse problems": a model conditioned on a parameter at training
// time, then an inverse problem y = A(x) + n solved at sampling time with an unconditional prior,
// by diffusion posterior sampling and by replacement.
import Foundation
import ScoreSDE
import Testing

/// A ring model conditioned on its radius θ samples a ring of radius about θ.
@Test func parameterConditionedModelSamplesTheRadiusAsked() throws {
  // snippet: inverse-conditional
  // Rows (x₁, x₂, θ): the last column is the condition, fed to the network as it is.
  let family = RingFamily(noise: 0.1, parameterRange: 1...3)
  var trainer = try Trainer(
    process: VPSDE<Float>(),
    architecture: MLPConfiguration(inputDimension: 2, conditionDimension: 1, width: 64, depth: 2),
    source: DistributionSource<JointFamilyDistribution<RingFamily>, Float>(family.joint),
    configuration: TrainingConfiguration(
      seed: 5, batchSize: 256, steps: 600, learningRate: 3e-3, emaDecay: 0.99))
  try trainer.train()
  let model = trainer.scoreModel.conditioned(on: [2.25])
  let samples = try Sampler(
    process: VPSDE<Float>(), score: model, options: SamplingOptions(kind: .dpmSolver(steps: 20), seed: 1)
  ).sample(count: 1000, dimension: 2).samples
  let meanRadius = samples.rowNorms().map(Double.init).reduce(0, +) / 1000
  print("θ = 2.25: mean radius \(meanRadius)")
  // end-snippet
  #expect(abs(meanRadius - 2.25) < 0.25, "mean radius \(meanRadius)")
}

/// The inverse problem: a two-mode prior, the first coordinate observed; the exact conditional
/// mean of the second against replacement, DPS and ΠGDM.
@Test func inverseProblemByPosteriorSampling() throws {
  // snippet: inverse-prior
  let sde = VPSDE<Double>()
  // The prior: ½ N((−1, −1), 0.6² I) + ½ N((1, 1), 0.6² I), with its exact score.
  let prior = try GaussianMixtureScore(
    weights: [0.5, 0.5], means: [[-1, -1], [1, 1]], standardDeviations: [0.6, 0.6], process: sde)
  let y = 0.3
  // We observe y = x₁ + n = 0.3 with n ~ N(0, σ_y²). Given y, component k has weight
  // ∝ wₖ N(y; μₖ₁, 0.6² + σ_y²), and x₂ (independent of x₁ within a component) has mean μₖ₂.
  func exactMean(observationNoise: Double) -> Double {
    let variance = 0.36 + observationNoise * observationNoise
    let likelihoods = [-1.0, 1.0].map { exp(-0.5 * pow(y - $0, 2) / variance) }
    let upper = likelihoods[1] / (likelihoods[0] + likelihoods[1])
    return upper * 1 + (1 - upper) * -1
  }
  print(
    "exact E[x₂ | y]: \(exactMean(observationNoise: 0)) (σ_y = 0), \(exactMean(observationNoise: 0.1)) (σ_y = 0.1)"
  )
  // end-snippet

  // snippet: inverse-replacement
  let count = 2000
  let grid = TimeGrid<Double>(spacing: .uniform, steps: 200, process: sde)
  let replacement = ObservationReplacement(
    base: EulerMaruyama(process: sde, score: prior), process: sde,
    observation: Observation(columns: [0], values: [y]))
  var noise = RowStreams(seed: 1, count: count)
  var x = samplePrior(of: sde, dimension: 2, streams: &noise)
  var workspace = replacement.makeWorkspace(rows: count, columns: 2)
  replacement.replaceObserved(&x, at: grid.start, noise: &noise, workspace: &workspace)
  _ = try replacement.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
  let replacementMean = x.columnMeans()[1]
  print("replacement: E[x₂] ≈ \(replacementMean)")
  // end-snippet

  // snippet: inverse-dps
  // y = A x + n with A = [1 0] and σ_y = 0.1: nearly the same observation, now with noise.
  let observe = LinearObservation<Double>(selecting: [0], dimension: 2)
  func posteriorMean(_ likelihood: PosteriorLikelihoodApproximation<Double>) throws -> Double {
    let posterior = DiffusionPosteriorScore(
      process: sde, prior: prior, operator: observe, observation: [y], likelihood: likelihood)
    let sampler = EulerMaruyama(process: sde, score: posterior)
    var noise = RowStreams(seed: 1, count: count)
    var x = samplePrior(of: sde, dimension: 2, streams: &noise)
    var workspace = sampler.makeWorkspace(rows: count, columns: 2)
    _ = try sampler.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
    return x.columnMeans()[1]
  }
  let dpsMean = try posteriorMean(.gaussian(observationNoise: 0.1))
  let pigdmMean = try posteriorMean(.pseudoinverse(observationNoise: 0.1, dataVariance: 1.36))
  print("DPS: E[x₂] ≈ \(dpsMean); ΠGDM: E[x₂] ≈ \(pigdmMean)")
  // end-snippet

  // Measured (2000 samples): exact 0.682 / 0.670, replacement 0.19, DPS 1.36, ΠGDM 0.38; the
  // standard error of each sample mean is about 0.025.
  let (exactNoiseFree, exactNoisy) = (exactMean(observationNoise: 0), exactMean(observationNoise: 0.1))
  #expect(abs(exactNoiseFree - 0.6823) < 1e-3 && abs(exactNoisy - 0.6700) < 1e-3)
  #expect(replacementMean < exactNoiseFree - 0.3, "replacement \(replacementMean)")
  #expect(dpsMean > exactNoisy + 0.4, "DPS \(dpsMean)")
  #expect(
    abs(pigdmMean - exactNoisy) < min(abs(replacementMean - exactNoiseFree), abs(dpsMean - exactNoisy)),
    "ΠGDM \(pigdmMean)")
}
