import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// A short run on 2-D Gaussian data N(μ, Σ) with the VP SDE drives the held-out ε-loss from its
/// untrained value toward the exact-score minimum, measured on the same held-out batch (same
/// times and noise) as the trainer's evaluation; then the model file round trip gives
/// bit-identical scores and divergences.
@Test func shortTrainingApproachesTheExactScoreMinimum() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 61)
  let train = data.sample(count: 20_000, using: &rng)
  let heldOut = data.sample(count: 20_000, using: &rng)
  let source = try DatasetSource(train, order: .epochShuffle)
  let configuration = TrainingConfiguration(
    seed: 62, batchSize: 256, steps: 400, learningRate: 3e-3,
    schedule: .warmupCosine(warmupSteps: 20, minimum: 1e-4), emaDecay: 0.98)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(width: 48, depth: 2, frequencies: 8), source: source,
    configuration: configuration)
  let untrained = trainer.evaluate(on: heldOut).loss
  try trainer.train()
  let trained = trainer.evaluate(on: heldOut)

  // The exact predictor on the evaluation's batch (stream 2⁶⁴ − 2, no dropout draws).
  let dsm = trainer.objective
  var evaluationRNG = Xoshiro256(seed: 62, stream: UInt64.max - 1)
  var batch = DenoisingBatch<Double>()
  dsm.prepare(heldOut, into: &batch, using: &evaluationRNG)
  let exact = Double(dsm.loss(output: exactOutput(data, VPSDE<Double>(), .noise, batch: batch), batch: batch))
  let minimum =
    logSimpson(from: 1e-5, to: 1) { t in
      let (a, s) = VPSDE<Double>().marginal(at: t)
      return s * s * data.minimumScoreError(scale: a, standardDeviation: s)
    } / (1 - 1e-5)
  // Measured: untrained 2.033; the exact score 0.554 on this batch (closed-form minimum 0.5425);
  // after 400 steps 0.5655 (current weights) and 0.5660 (EMA): 99.2 % of the way from the
  // untrained loss to the minimum.
  #expect(abs(exact - minimum) < 0.02, "the evaluation batch's exact loss \(exact) vs the minimum \(minimum)")
  #expect(untrained > 1.5)
  #expect(trained.loss >= exact - 0.01 && trained.averagedLoss >= exact - 0.01)
  #expect(
    trained.averagedLoss - exact < 0.025 * (untrained - exact),
    "untrained \(untrained), trained \(trained.loss) / EMA \(trained.averagedLoss), exact \(exact)")

  let url = temporaryURL("gaussian.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let model = try trainer.trainedModel(data: "N(μ, Σ)")
  try model.save(to: url)
  let loaded = try TrainedModel<MLP<Double>>.load(from: url)
  #expect(loaded.training == model.training && loaded.training.steps == 400 && loaded.training.seed == 62)
  #expect(loaded.training.finalLoss == trainer.smoothedLoss)
  let x = heldOut.rows(0..<64)
  for t in [1e-3, 0.2, 0.9] {
    #expect(loaded.scoreModel().score(x, at: t) == trainer.scoreModel.score(x, at: t))
  }
  var (w1, w2) = (loaded.scoreModel().makeWorkspace(rows: 64), trainer.scoreModel.makeWorkspace(rows: 64))
  var (s1, s2) = (Matrix<Double>(rows: 64, columns: 2), Matrix<Double>(rows: 64, columns: 2))
  var (d1, d2) = ([Double](repeating: 0, count: 64), [Double](repeating: 0, count: 64))
  loaded.scoreModel().scoreAndDivergence(x, at: 0.4, into: &s1, divergence: &d1, workspace: &w1)
  trainer.scoreModel.scoreAndDivergence(x, at: 0.4, into: &s2, divergence: &d2, workspace: &w2)
  #expect(s1 == s2 && d1 == d2)
}
