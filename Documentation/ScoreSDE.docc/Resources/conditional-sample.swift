var meanRadii: [Double] = []
for radius in [1.5, 2.25, 2.75] {
  let model = trainer.scoreModel.conditioned(on: [Float(radius)])
  let sampler = Sampler(
    forward: VPSDE<Float>(), score: model, options: SamplingOptions(kind: .dpmSolver, steps: 20, seed: 1))
  let samples = try sampler.sample(count: 1000, dimension: 2).samples
  let meanRadius = samples.rowNorms().map(Double.init).reduce(0, +) / 1000
  print("θ = \(radius): mean radius of the samples \(meanRadius)")
  meanRadii.append(meanRadius)
}
