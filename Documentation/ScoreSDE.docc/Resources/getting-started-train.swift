let source = DistributionSource<Checkerboard, Float>(Checkerboard())
let standardizer = try source.fitStandardizer(seed: 1)  // train on zero-mean, unit-variance data
var trainer = try Trainer(
  process: VPSDE<Float>(),
  architecture: MLPConfiguration(inputDimension: 2, width: 64, depth: 2),
  source: source,
  configuration: TrainingConfiguration(
    seed: 1, batchSize: 256, steps: 800, learningRate: 3e-3, emaDecay: 0.99),
  standardizer: standardizer)
try trainer.train(progressInterval: 200) { progress in
  print("step \(progress.step) of \(progress.totalSteps): loss \(progress.smoothedLoss)")
}
