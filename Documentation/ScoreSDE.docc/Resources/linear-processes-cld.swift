let cld = CriticallyDampedLangevin<Double>(dimension: 2)  // M = 0.25, Γ = 1, β = 4, γ = 0.04
let covariance = Matrix<Double>([[0.5, 0.3], [0.3, 0.4]])
let oracle = try cld.oracle(weights: [1], means: [[1, -0.5]], covariances: [covariance])
var errors: [String: Double] = [:]
for kind in [SamplerKind<Double>.symmetricSplitting(steps: 20), .eulerMaruyama(steps: 20)]
  + [.symmetricSplitting(steps: 50), .eulerMaruyama(steps: 50)]
{
  let sampler = try Sampler(process: cld, score: oracle, options: SamplingOptions(kind: kind, seed: 2))
  let result = try sampler.sample(count: 2000, dimension: 2)  // positions; velocities beside
  let error = (result.samples.covariance() - covariance).elements.map(abs).max()!
  let label = "\(kind.name.rawValue) \(result.statistics.scoreEvaluations)"
  errors[label] = error
  print(label, "NFE: largest covariance error", error)
}
