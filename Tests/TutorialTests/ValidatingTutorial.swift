// Tutorial 6, "Validating a pipeline with exact Gaussian-mixture scores": the exact score takes
// the network out of the loop, so every other part of a pipeline can be checked on its own.
import ScoreSDE
import Testing

/// With the exact score, the sampler reproduces the mixture weights (each within 4.5 standard
/// errors) and the trained network's score is closer to the exact one than the best Gaussian's.
@Test func exactScoresValidateSamplerAndNetwork() throws {
  // snippet: validating-oracle
  let sde = VPSDE<Double>()
  let weights = [0.25, 0.75]
  let means: [[Double]] = [[-1, -1], [1, 1]]
  let oracle = try GaussianMixtureScore(
    weights: weights, means: means, standardDeviations: [0.3, 0.3], process: sde)
  // end-snippet

  // snippet: validating-weights
  var options = SamplingOptions<Double>(kind: .dpmSolver(steps: 20), seed: 6)
  options.smallTime = 1e-3
  let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: 2000, dimension: 2)
    .samples
  // Each sample's component: the one whose responsibility is largest at t = ε.
  let responsibilities = oracle.responsibilities(samples, at: 1e-3)
  let inFirst = (0..<samples.rows).filter { responsibilities[$0, 0] > responsibilities[$0, 1] }.count
  let fraction = Double(inFirst) / Double(samples.rows)
  let standardError = (weights[0] * weights[1] / Double(samples.rows)).squareRoot()
  print("first component: \(fraction) of the samples, weight \(weights[0]) ± \(standardError)")
  // end-snippet
  #expect(abs(fraction - weights[0]) < 4.5 * standardError, "fraction \(fraction)")

  // snippet: validating-network
  let mixture = GaussianMixture(means: means, standardDeviations: [0.3, 0.3], weights: weights)
  var trainer = try Trainer(
    process: sde, architecture: MLPConfiguration(inputDimension: 2, width: 64, depth: 2),
    source: DistributionSource<GaussianMixture, Double>(mixture),
    configuration: TrainingConfiguration(
      seed: 6, batchSize: 256, steps: 400, learningRate: 3e-3, emaDecay: 0.99))
  try trainer.train()

  // Points of p_t at t = 0.3, and three scores there: exact, learned, and the best Gaussian's.
  let t = 0.3
  var rng = Xoshiro256(seed: 8)
  let clean = oracle.sample(count: 1000, using: &rng)
  let (x, _) = sde.perturb(clean, at: [Double](repeating: t, count: 1000), using: &rng)
  let gaussian = try GaussianScore(mean: clean.columnMeans(), covariance: clean.covariance(), process: sde)
  var exactScore = Matrix<Double>(rows: 1000, columns: 2)
  var learned = exactScore
  var baseline = exactScore
  oracle.score(x, at: t, into: &exactScore)
  trainer.scoreModel.score(x, at: t, into: &learned)
  gaussian.score(x, at: t, into: &baseline)
  func relativeError(_ s: Matrix<Double>) -> Double {
    var difference = s
    difference.add(exactScore, scaledBy: -1)
    return (difference.frobeniusNorm() / exactScore.frobeniusNorm())
  }
  print(
    "relative score error at t = \(t): network \(relativeError(learned)),",
    "best Gaussian \(relativeError(baseline))")
  // end-snippet
  #expect(relativeError(learned) < 0.75 * relativeError(baseline))
}
