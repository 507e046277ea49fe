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
