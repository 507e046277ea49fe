let proposal = try GaussianMixtureScore(
  weights: [0.5, 0.5], means: [[-1, 0], [1, 0]],
  covariances: [Matrix(diagonal: [0.3, 2.5]), Matrix(diagonal: [0.3, 2.5])], process: sde)
let generator = BoltzmannGenerator(process: sde, score: proposal, startTime: 1e-3)
let (x, logq) = try generator.sample(count: 300, dimension: 2, seed: 4)
let well = DoubleWell(barrier: 3, temperature: 1)
let logZ = FreeEnergy.logPartitionFunction(logTarget: well.unnormalizedLogDensity(x), logProposal: logq)
print("log Z = \(logZ.logNormalizer) ± \(logZ.standardError), quadrature \(well.logNormalizer)")
