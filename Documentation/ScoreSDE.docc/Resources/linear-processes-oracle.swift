let oracle = try LinearGaussianMixtureScore(
  weights: [0.4, 0.6], means: [[-1, 0, 1], [1.5, 0.5, -0.5]],
  covariances: [Matrix(diagonal: [0.2, 0.1, 0.3]), Matrix(diagonal: [0.1, 0.3, 0.2])], process: sde)
let sampler = try Sampler(
  process: sde, score: oracle,
  options: SamplingOptions(kind: .probabilityFlow(.rungeKutta4(steps: 25, spacing: .logSNR)), seed: 1))
let samples = try sampler.sample(count: 1000, dimension: 3).samples
print("sample mean", samples.columnMeans(), "data mean", oracle.marginalMean(at: 0))
