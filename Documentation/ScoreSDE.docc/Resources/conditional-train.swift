let family = RingFamily(noise: 0.1, parameterRange: 1...3)
// Rows (x₁, x₂, θ): θ ~ U[1, 3], then x on the ring of radius θ; the last column is the condition.
let source = DistributionSource<JointFamilyDistribution<RingFamily>, Float>(family.joint)
var trainer = try Trainer(
  process: VPSDE<Float>(),
  architecture: MLPConfiguration(inputDimension: 2, conditionDimension: 1, width: 64, depth: 2),
  source: source,
  configuration: TrainingConfiguration(
    seed: 5, batchSize: 256, steps: 600, learningRate: 3e-3, emaDecay: 0.99))
try trainer.train()
