let model = try trainer.trainedModel()  // network, SDE and standardiser in one value
let sampler = Sampler(
  process: model.sde, score: model.scoreModel(),
  options: SamplingOptions(kind: .dpmSolver(steps: 20), seed: 7))
let result = try sampler.sample(count: 2000, dimension: 2)
var samples = result.samples
model.toDataScale(&samples)  // undo the standardisation
print("\(samples.rows) samples with \(result.statistics.scoreEvaluations) score evaluations each")
