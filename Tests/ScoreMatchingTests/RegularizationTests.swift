import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// The size-aware rule, value by value: standard settings but 20 000 steps from 1 000 rows on; below, the width
/// from (n·d)^¼, the batch the power of two ≥ n/2 in 64…512, 20 000 steps, dropout 0.1 and
/// weight decay 0.01.
@Test func sizeAwareDefaultsFollowTheRule() {
  var large = SizeAwareDefaults.standard
  large.steps = 20_000
  #expect(SizeAwareDefaults(trainingRows: 1_000, columns: 2) == large)
  #expect(SizeAwareDefaults(trainingRows: 100_000, columns: 64) == large)
  #expect(
    SizeAwareDefaults.standard
      == SizeAwareDefaults(
        width: 128, depth: 3, steps: 10_000, batchSize: 512, dropout: 0, weightDecay: 0))
  // wine: 142 × 13: (1846)^¼ = 6.55 → ⌈1.64⌉ = 2 → 128; batch 128 ≥ 71.
  #expect(
    SizeAwareDefaults(trainingRows: 142, columns: 13)
      == SizeAwareDefaults(
        width: 128, depth: 3, steps: 20_000, batchSize: 128, dropout: 0.1, weightDecay: 0.01))
  // 20 × 2: (40)^¼ = 2.5 → 64; batch 64.
  #expect(
    SizeAwareDefaults(trainingRows: 20, columns: 2)
      == SizeAwareDefaults(
        width: 64, depth: 3, steps: 20_000, batchSize: 64, dropout: 0.1, weightDecay: 0.01))
  // 999 × 64: width capped at 128, batch at 512.
  #expect(
    SizeAwareDefaults(trainingRows: 999, columns: 64)
      == SizeAwareDefaults(
        width: 128, depth: 3, steps: 20_000, batchSize: 512, dropout: 0.1, weightDecay: 0.01))
}

/// A validated run stopped at a checkpoint and resumed continues exactly: the same curve, the
/// same best weights and the same stopping step as the run that never stopped, because the
/// checkpoint holds the best weights, their loss and the patience count.
@Test func resumedRunKeepsEarlyStoppingState() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 95)
  let train = data.sample(count: 40, using: &rng)
  let heldOut = data.sample(count: 30, using: &rng)
  let configuration = TrainingConfiguration(
    seed: 96, batchSize: 40, steps: 1_200, learningRate: 1e-2, emaDecay: 0.9)
  let policy = ValidationPolicy(data: heldOut, interval: 20, patience: 3, drawsPerRow: 2)
  func makeTrainer() throws -> Trainer<MLP<Double>, VPSDE<Double>, DatasetSource<Double>> {
    try Trainer(
      process: VPSDE<Double>(), architecture: smallNetwork(width: 32, depth: 2, frequencies: 4),
      source: try DatasetSource(train), configuration: configuration)
  }
  var whole = try makeTrainer()
  let reference = try whole.train(validation: policy)
  #expect(reference.stoppedEarly, "curve \(reference.history.map(\.loss))")
  // Stop right after the evaluation that follows the best one: one evaluation of patience used.
  let cut = reference.bestStep + policy.interval
  var first = try makeTrainer()
  let url = temporaryURL("early-resume.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  _ = try first.train(until: cut, validation: policy, checkpoint: CheckpointPolicy(url: url, interval: cut))
  var resumed = try Trainer(resumingFrom: url, process: VPSDE<Double>(), source: try DatasetSource(train))
  let outcome = try resumed.train(validation: policy)
  #expect(outcome.history == reference.history)
  #expect(outcome.bestStep == reference.bestStep && outcome.bestLoss == reference.bestLoss)
  #expect(tensors(outcome.bestParameters) == tensors(reference.bestParameters))
  #expect(outcome.stoppedEarly && resumed.completedSteps == whole.completedSteps)
}

/// The held-out NLL is measured at the 1st, (1 + k)-th, … evaluations and at the last, with the
/// averaged network, and recorded in the points.
@Test func heldOutLikelihoodIsMeasuredEveryKEvaluations() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 97)
  let train = data.sample(count: 50, using: &rng)
  let heldOut = data.sample(count: 10, using: &rng)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(), source: try DatasetSource(train),
    configuration: TrainingConfiguration(seed: 98, batchSize: 16, steps: 50))
  var policy = ValidationPolicy(data: heldOut, interval: 5)
  policy.likelihoodInterval = 4
  var calls = 0
  let outcome = try trainer.train(validation: policy) { network in
    calls += 1
    // A stand-in for the NLL that identifies the weights: their first entry.
    return Double(network.parameters.tensor(at: 0)[0, 0])
  }
  let measured = outcome.history.filter { $0.negativeLogLikelihood != nil }.map(\.step)
  #expect(measured == [5, 25, 45, 50])
  #expect(calls == 4)
  #expect(
    outcome.history.last!.negativeLogLikelihood == Double(trainer.averagedParameters.tensor(at: 0)[0, 0]))
}

/// Training with dropout: p = 0 is today's run bit for bit; p > 0 changes the steps, and a
/// batch cut into two row blocks on threads gets the same masks: the first step's loss (same
/// weights, same batch) agrees to rounding, where other masks would move it by ~10⁻².
@Test func trainerDropout() throws {
  let data = GaussianData()
  var rng = Xoshiro256(seed: 99)
  let train = data.sample(count: 256, using: &rng)
  func run(dropout: Double, threads: Int = 1) throws -> [Double] {
    var trainer = try Trainer(
      process: VPSDE<Double>(), architecture: smallNetwork(width: 16), source: try DatasetSource(train),
      configuration: TrainingConfiguration(seed: 5, batchSize: 128, steps: 5, dropout: dropout))
    trainer.threads = threads
    return try (0..<5).map { _ in Double(try trainer.step()) }
  }
  let plain = try run(dropout: 0)
  var reference = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(width: 16), source: try DatasetSource(train),
    configuration: TrainingConfiguration(seed: 5, batchSize: 128, steps: 5))
  #expect(try (0..<5).map { _ in Double(try reference.step()) } == plain)
  let dropped = try run(dropout: 0.3)
  #expect(dropped != plain)
  let split = try run(dropout: 0.3, threads: 2)
  #expect(abs(dropped[0] - split[0]) <= 1e-12 * abs(dropped[0]))
}
