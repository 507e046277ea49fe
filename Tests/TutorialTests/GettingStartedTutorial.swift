// Tutorial 1, "Getting started": train a score model on the checkerboard, sample it, plot it.
// The regions between `// snippet: NAME` and `// end-snippet` are the tutorial's code:
// Documentation/sync-snippets.py copies them into Documentation/ScoreSDE.docc/Resources.
import Foundation
import ScoreSDE
import Testing

/// The tutorial at test size: a few hundred steps of a small network. Its claims: the plot is
/// written, DPM-Solver used 20 score evaluations per sample, and the samples are closer to the
/// checkerboard (sliced Wasserstein-2, 2000 points each) than the best Gaussian is.
@Test func gettingStartedTrainsSamplesAndPlotsTheCheckerboard() throws {
  // snippet: getting-started-train
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
  // end-snippet

  // snippet: getting-started-sample
  let model = try trainer.trainedModel()  // network, SDE and standardiser in one value
  let sampler = Sampler(
    process: model.sde, score: model.scoreModel(),
    options: SamplingOptions(kind: .dpmSolver(steps: 20), seed: 7))
  let result = try sampler.sample(count: 2000, dimension: 2)
  var samples = result.samples
  model.toDataScale(&samples)  // undo the standardisation
  print("\(samples.rows) samples with \(result.statistics.scoreEvaluations) score evaluations each")
  // end-snippet

  // snippet: getting-started-plot
  var rng = Xoshiro256(seed: 3)
  let data: Matrix<Float> = Checkerboard().sample(count: 2000, using: &rng)
  let plot = Plots.scatter(samples: samples, over: data, title: "Checkerboard: data and samples")
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("checkerboard.svg")
  try plot.write(to: url)
  // end-snippet
  try keepFigure(url, as: "getting-started-checkerboard.svg")
  let svg = try String(contentsOf: url, encoding: .utf8)
  #expect(svg.contains("<svg") && svg.contains("<circle"))
  try? FileManager.default.removeItem(at: url)
  #expect(result.statistics.scoreEvaluations == 20)

  // snippet: getting-started-check
  // The best a Gaussian can do: each coordinate of the board is uniform on [-4, 4), sd 8/√12.
  var baseline = Matrix<Float>(rows: 2000, columns: 2)
  baseline.fillNormal(using: &rng)
  baseline = baseline.map { $0 * 8 / Float(12).squareRoot() }
  let distance = slicedWassersteinDistance(samples, data, using: &rng)
  let gaussianDistance = slicedWassersteinDistance(baseline, data, using: &rng)
  print("sliced Wasserstein distance to the data: \(distance), a Gaussian's: \(gaussianDistance)")
  // end-snippet
  #expect(distance < 0.75 * gaussianDistance, "SW \(distance) vs the Gaussian's \(gaussianDistance)")
}
