/// Sliced 1-Wasserstein distance of a sampler's output to the exact draws, and its NFE.
func quality(_ options: SamplingOptions<Double>) throws -> (nfe: Int, distance: Double) {
  let result = try Sampler(process: sde, score: oracle, options: options).sample(count: 2000, dimension: 2)
  var directions = Xoshiro256(seed: 3)
  let distance = slicedWassersteinDistance(
    result.samples, exact, projections: 64, order: 1, using: &directions)
  return (result.statistics.scoreEvaluations, distance)
}
