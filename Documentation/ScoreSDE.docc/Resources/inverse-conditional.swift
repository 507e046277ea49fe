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
