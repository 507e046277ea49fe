import Foundation
import ScoreSDE

let source = DistributionSource<Checkerboard, Float>(Checkerboard())
var trainer = try Trainer(
  process: VPSDE<Float>(),
  architecture: MLPConfiguration(inputDimension: 2, width: 64, depth: 2),
  source: source,
  configuration: TrainingConfiguration(
    seed: 1, batchSize: 256, steps: 800, learningRate: 3e-3, emaDecay: 0.99),
  standardizer: try source.fitStandardizer(seed: 1))
try trainer.train(progressInterval: 200) { print("step \($0.step): loss \($0.smoothedLoss)") }

let model = try trainer.trainedModel()
let sampler = Sampler(
  process: model.sde, score: model.scoreModel(), options: SamplingOptions(kind: .dpmSolver(steps: 20)))
var samples = try sampler.sample(count: 1000, dimension: 2).samples
model.toDataScale(&samples)

var rng = Xoshiro256(seed: 2)
let data: Matrix<Float> = Checkerboard().sample(count: 1000, using: &rng)
print("sample means \(samples.columnMeans()), data means \(data.columnMeans())")
print("sliced Wasserstein distance to the data: \(slicedWassersteinDistance(samples, data, using: &rng))")
let plot = FileManager.default.temporaryDirectory.appendingPathComponent("checkerboard.svg")
try Plots.scatter(samples: samples, over: data, title: "Checkerboard").write(to: plot)
print("wrote \(plot.path)")
