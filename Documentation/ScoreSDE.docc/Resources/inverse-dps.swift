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
