import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// A small set (fewer than 200 rows: 40 training rows, 60 held out) and a network large enough
/// to fit the training rows' own score: the held-out loss falls, then rises or stalls; with a
/// patience of 4 evaluations training stops long before its 4 000 steps, and the weights kept
/// are exactly those with the lowest held-out loss, not the last ones.
@Test func earlyStoppingOnASmallSetKeepsTheBestAveragedWeights() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 91)
  let train = data.sample(count: 40, using: &rng)
  let heldOut = data.sample(count: 60, using: &rng)
  let source = try DatasetSource(train, order: .epochShuffle)
  let configuration = TrainingConfiguration(
    seed: 92, batchSize: 40, steps: 4_000, learningRate: 1e-2, emaDecay: 0.9)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(width: 64, depth: 2, frequencies: 8), source: source,
    configuration: configuration)
  let policy = ValidationPolicy(data: heldOut, interval: 25, patience: 4, drawsPerRow: 4)
  var seen: [ValidationPoint] = []
  let outcome = try trainer.train(validation: policy, validated: { seen.append($0) })

  #expect(outcome.stoppedEarly, "ran \(trainer.completedSteps) steps; curve \(outcome.history.map(\.loss))")
  #expect(trainer.completedSteps < 4_000)
  #expect(seen == outcome.history)
  #expect(outcome.history.last?.step == trainer.completedSteps)
  // The best is the curve's minimum, and patience ran out exactly 4 evaluations after it.
  let minimum = outcome.history.min { $0.loss < $1.loss }!
  #expect(outcome.bestLoss == minimum.loss && outcome.bestStep == minimum.step)
  #expect(outcome.history.filter { $0.step > outcome.bestStep }.count == 4)
  #expect(outcome.history.filter(\.isBest).last?.step == outcome.bestStep)

  // The model keeps the best weights: their held-out loss, recomputed from the model file's
  // network on the documented draws (rows tiled 4 times, stream 2⁶⁴ − 3), is the best loss, and
  // below the last averaged weights' loss.
  let model = try trainer.trainedModel(keeping: outcome, data: "40 rows")
  #expect(tensors(model.network.parameters) == tensors(outcome.bestParameters))
  #expect(model.training.validation == outcome.summary)
  #expect(model.training.validation?.stoppedEarly == true)
  var tiled = Matrix<Double>(rows: 240, columns: 2)
  for r in 0..<4 { tiled.copyRows(0..<60, of: heldOut, to: 60 * r) }
  var drawRNG = Xoshiro256(seed: 92, stream: UInt64.max - 2)
  var batch = DenoisingBatch<Double>()
  trainer.objective.prepare(tiled, into: &batch, using: &drawRNG)
  var workspace = NetworkLossWorkspace(network: model.network, rows: 240)
  let kept = Double(
    trainer.objective.loss(network: model.network, batch: batch, condition: nil, workspace: &workspace))
  #expect(kept == outcome.bestLoss)
  let last = trainer.heldOutLoss(on: heldOut, drawsPerRow: 4)
  #expect(last == outcome.history.last!.loss)
  #expect(last > kept)

  // The summary survives the model file.
  let url = temporaryURL("early.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  #expect(try TrainedModel<MLP<Double>>.load(from: url).training == model.training)
}

/// The held-out loss uses fixed draws: the same weights give the same loss, whatever step the
/// training is at, and without patience the run goes to its last step, evaluating there too.
@Test func heldOutLossIsFixedAndWithoutPatienceTrainingRunsToTheEnd() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 93)
  let train = data.sample(count: 50, using: &rng)
  let heldOut = data.sample(count: 30, using: &rng)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(), source: try DatasetSource(train),
    configuration: TrainingConfiguration(seed: 94, batchSize: 16, steps: 30))
  #expect(trainer.heldOutLoss(on: heldOut) == trainer.heldOutLoss(on: heldOut))
  let outcome = try trainer.train(validation: ValidationPolicy(data: heldOut, interval: 8))
  #expect(!outcome.stoppedEarly && trainer.completedSteps == 30)
  #expect(outcome.history.map(\.step) == [8, 16, 24, 30])
  #expect(outcome.history.last!.loss == trainer.heldOutLoss(on: heldOut))
}
