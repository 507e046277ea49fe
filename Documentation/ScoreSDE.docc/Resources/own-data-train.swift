var trainer = try Trainer(
  process: VPSDE<Float>(),
  architecture: MLPConfiguration(inputDimension: data.columns, width: 32, depth: 2),
  source: source,
  configuration: TrainingConfiguration(
    seed: 1, batchSize: 128, steps: 400, learningRate: 3e-3, emaDecay: 0.99))
try trainer.train()
let model = try trainer.trainedModel(data: "events.npy")
