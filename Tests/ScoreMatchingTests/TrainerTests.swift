import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `rows` rows `(x₁, x₂, θ)`: a noisy ring of radius θ ~ U[1, 3].
func ringData(rows: Int, seed: UInt64) -> Matrix<Double> {
  var rng = Xoshiro256(seed: seed)
  var data = Matrix<Double>(rows: rows, columns: 3)
  for i in 0..<rows {
    let theta = 1 + 2 * Double.random(in: 0..<1, using: &rng)
    let angle = 2 * Double.pi * Double.random(in: 0..<1, using: &rng)
    data[i, 0] = theta * Double.cos(angle) + 0.1 * Double.randomNormal(using: &rng)
    data[i, 1] = theta * Double.sin(angle) + 0.1 * Double.randomNormal(using: &rng)
    data[i, 2] = theta
  }
  return data
}

/// Trains `total` steps straight, and `split` steps + checkpoint + a new trainer from the file +
/// the rest; both must end bit-identical (weights, EMA, optimizer state and counters, loss
/// statistics).
func checkResume<P: GaussianSDE, S: TrainingDataSource>(
  process: P, architecture: MLPConfiguration, source: S, configuration: TrainingConfiguration,
  standardizer: Standardizer? = nil, total: Int, split: Int
) throws where S.Scalar == P.Scalar {
  try checkResume(
    process: process, network: MLP<P.Scalar>.self, architecture: architecture, source: source,
    configuration: configuration, standardizer: standardizer, total: total, split: split)
}

/// ``checkResume(process:architecture:source:configuration:standardizer:total:split:)`` for any
/// network.
func checkResume<N: ScoreNetwork, P: GaussianSDE, S: TrainingDataSource>(
  process: P, network: N.Type, architecture: N.Configuration, source: S, configuration: TrainingConfiguration,
  standardizer: Standardizer? = nil, total: Int, split: Int
) throws where S.Scalar == P.Scalar, N.Scalar == P.Scalar {
  let url = temporaryURL("resume.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let fresh = try Trainer(
    process: process, network: network, architecture: architecture, source: source,
    configuration: configuration,
    standardizer: standardizer)
  var straight = fresh
  try straight.train(until: total)
  var first = fresh
  try first.train(until: split, checkpoint: CheckpointPolicy(url: url, interval: 1000))
  var resumed = try Trainer(resumingFrom: url, network: network, process: process, source: source)
  #expect(resumed.completedSteps == split && resumed.optimizerStep == split)
  #expect(tensors(resumed.network.parameters) == tensors(first.network.parameters))
  try resumed.train(until: total)

  #expect(
    tensors(straight.network.parameters) != tensors(fresh.network.parameters), "training moved the weights")
  #expect(tensors(resumed.network.parameters) == tensors(straight.network.parameters), "weights")
  #expect(tensors(resumed.averagedParameters) == tensors(straight.averagedParameters), "EMA")
  #expect(resumed.optimizerState == straight.optimizerState, "optimizer moments")
  #expect(resumed.optimizerStep == total && straight.optimizerStep == total)
  #expect(resumed.lastLoss.bitPattern == straight.lastLoss.bitPattern)
  #expect(resumed.smoothedLoss.bitPattern == straight.smoothedLoss.bitPattern)
  #expect(resumed.network.namedTensors() == straight.network.namedTensors(), "Fourier frequencies too")
}

@Test func resumingFromACheckpointIsBitIdenticalOnFreshSamples() throws {
  var configuration = TrainingConfiguration(
    seed: 5, batchSize: 32, steps: 12, schedule: .warmupCosine(warmupSteps: 3, minimum: 1e-5), emaDecay: 0.9,
    emaWarmup: true, gradientClipNorm: 1)
  configuration.loss.timeSampling = .stratified
  try checkResume(
    process: VPSDE<Float>(), architecture: smallNetwork(),
    source: DistributionSource<Checkerboard, Float>(Checkerboard()),
    configuration: configuration, total: 12, split: 5)
}

@Test func resumingIsBitIdenticalWithEpochShufflesConditionsAndDropout() throws {
  let data = ringData(rows: 150, seed: 51)
  let source = try DatasetSource(data, conditioningColumns: 1, order: .epochShuffle)
  let configuration = TrainingConfiguration(
    seed: 6, batchSize: 40, steps: 12, optimizer: .sgd(momentum: 0.9, nesterov: true), learningRate: 1e-2,
    emaDecay: 0.95, gradientClipNorm: 1,
    loss: DenoisingOptions(
      parameterization: .data, weighting: .likelihood, timeSampling: .antithetic, smallTimeCutoff: 1e-3),
    conditionDropout: 0.2)
  try checkResume(
    process: SubVPSDE<Double>(), architecture: smallNetwork(condition: 2), source: source,
    configuration: configuration, standardizer: try source.fitStandardizer(), total: 12, split: 7)
}

@Test func resumingIsBitIdenticalWithReplacementSampling() throws {
  let data = Matrix<Float>(ringData(rows: 64, seed: 52).elements.map { Float($0) }, rows: 64, columns: 3)
  let source = try DatasetSource(data, order: .withReplacement)
  let configuration = TrainingConfiguration(
    seed: 7, batchSize: 16, steps: 10, optimizer: .adamW(weightDecay: 0.01),
    loss: DenoisingOptions(parameterization: .score, weighting: .uniform, proposal: .importance))
  try checkResume(
    process: VESDE<Float>(sigmaMin: 0.01, sigmaMax: 5), architecture: smallNetwork(dimension: 3),
    source: source,
    configuration: configuration, total: 10, split: 4)
}

extension Matrix {
  init(_ elements: [Scalar], rows: Int, columns: Int) {
    self.init(rows: rows, columns: columns, elements: elements)
  }
}

/// A source that passes a data set's rows through, except that step `poisonedStep` gets a NaN.
struct PoisonedSource: TrainingDataSource {
  var base: DatasetSource<Float>
  let poisonedStep: Int
  var columns: Int { base.columns }
  var conditioningColumns: Int { base.conditioningColumns }
  mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Float>, step: Int, seed: UInt64, using rng: inout G
  ) {
    base.fill(&batch, step: step, seed: seed, using: &rng)
    if step == poisonedStep { batch[3, 1] = .nan }
  }
}

/// A NaN in the data of the 4th step stops training with an error naming step 4, and the trainer
/// keeps its state from before that step.
@Test func nonFiniteDataStopsTrainingAtItsStep() throws {
  var rng = Xoshiro256(seed: 53)
  let data = Matrix<Float>.randomNormal(rows: 100, columns: 2, using: &rng)
  let source = PoisonedSource(base: try DatasetSource(data), poisonedStep: 3)
  var trainer = try Trainer(
    process: VPSDE<Float>(), architecture: smallNetwork(), source: source,
    configuration: TrainingConfiguration(batchSize: 20, steps: 10))
  do {
    try trainer.train()
    Issue.record("training went through a NaN")
  } catch {
    guard case .nonFiniteLoss(let step, let value) = error else {
      Issue.record("unexpected error \(error)")
      return
    }
    #expect(step == 4 && value.isNaN)
    #expect(error.description.contains("Step 4"))
  }
  #expect(trainer.completedSteps == 3)
}

/// A learning rate far too high makes the loss or the gradient non-finite: the error names the
/// step, the trainer is unchanged by that step, the last checkpoint's bytes are untouched, and it
/// resumes to the trainer's state.
@Test func divergingTrainingKeepsTheLastGoodCheckpoint() throws {
  let url = temporaryURL("diverging.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let source = DistributionSource<Checkerboard, Float>(Checkerboard())
  var trainer = try Trainer(
    process: VPSDE<Float>(), architecture: smallNetwork(), source: source,
    configuration: TrainingConfiguration(batchSize: 32, steps: 50, learningRate: 1e30))
  var lastGood = Data()
  var failure: TrainingError?
  for _ in 0..<50 {
    let before = tensors(trainer.network.parameters)
    do {
      try trainer.step()
    } catch {
      failure = error
      #expect(tensors(trainer.network.parameters) == before, "the failed step changed nothing")
      break
    }
    try trainer.saveCheckpoint(to: url)
    lastGood = try Data(contentsOf: url)
  }
  guard let failure else {
    Issue.record("a learning rate of 1e30 did not diverge")
    return
  }
  #expect(failure.step == trainer.completedSteps + 1, "\(failure)")
  #expect(trainer.completedSteps >= 1)
  #expect(try Data(contentsOf: url) == lastGood)
  let resumed = try Trainer(resumingFrom: url, process: VPSDE<Float>(), source: source)
  #expect(resumed.completedSteps == trainer.completedSteps)
  #expect(tensors(resumed.network.parameters) == tensors(trainer.network.parameters))

  // The same through train(checkpoint:): the error propagates and the file holds the last good step.
  var again = try Trainer(
    process: VPSDE<Float>(), architecture: smallNetwork(), source: source,
    configuration: TrainingConfiguration(batchSize: 32, steps: 50, learningRate: 1e30))
  #expect(throws: TrainingError.self) { try again.train(checkpoint: CheckpointPolicy(url: url, interval: 1)) }
  #expect(try Data(contentsOf: url) == lastGood)
}

/// Non-finite training data is rejected before training, naming the entry.
@Test func nonFiniteDataSetsAreRejectedUpFront() {
  var data = Matrix<Double>(rows: 5, columns: 2, repeating: 1)
  data[3, 1] = .infinity
  #expect(throws: DataError.nonFinite(source: "training data", row: 3, column: 1, value: .infinity, count: 1))
  {
    _ = try DatasetSource(data)
  }
  #expect(throws: DataError.self) { _ = try DatasetSource(Matrix<Double>(rows: 0, columns: 2)) }
  #expect(throws: DataError.self) { _ = try DatasetSource(data, conditioningColumns: 2) }
}

/// Inconsistent settings are thrown as `.invalidConfiguration`, naming what is wrong.
@Test func inconsistentConfigurationsAreRejected() throws {
  let source = try DatasetSource(ringData(rows: 20, seed: 54), conditioningColumns: 1)
  func reason(
    _ architecture: MLPConfiguration, _ configuration: TrainingConfiguration = TrainingConfiguration(),
    standardizer: Standardizer? = nil
  ) -> String? {
    do {
      _ = try Trainer(
        process: VPSDE<Double>(), architecture: architecture, source: source, configuration: configuration,
        standardizer: standardizer)
      return nil
    } catch {
      guard case .invalidConfiguration(let reason) = error else { return "wrong error \(error)" }
      return reason
    }
  }
  #expect(reason(smallNetwork(condition: 1)) == nil)
  #expect(reason(smallNetwork(dimension: 3, condition: 1))?.contains("data columns") == true)
  #expect(
    reason(smallNetwork(condition: 1), TrainingConfiguration(conditionDropout: 0.1))?.contains("mask") == true
  )
  #expect(reason(smallNetwork(condition: 2), TrainingConfiguration(conditionDropout: 0.1)) == nil)
  #expect(
    reason(smallNetwork(condition: 1), TrainingConfiguration(learningRate: .nan))?.contains("learningRate")
      == true)
  #expect(
    reason(
      smallNetwork(condition: 1),
      TrainingConfiguration(steps: 10, schedule: .warmupCosine(warmupSteps: 10, minimum: 0)))?
      .contains("warm-up") == true)
  #expect(
    reason(smallNetwork(condition: 1), standardizer: Standardizer(means: [0], standardDeviations: [1]))?
      .contains("standardizer") == true)
  let unconditional = try DatasetSource(ringData(rows: 20, seed: 55))
  #expect(throws: TrainingError.self) {
    _ = try Trainer(
      process: VPSDE<Double>(), architecture: smallNetwork(dimension: 3), source: unconditional,
      configuration: TrainingConfiguration(conditionDropout: 0.1))
  }
}

/// Checkpoints of another process, data layout or precision, and files that are not checkpoints,
/// are refused with typed errors.
@Test func incompatibleCheckpointsAreRefused() throws {
  let url = temporaryURL("other.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let source = try DatasetSource(ringData(rows: 30, seed: 56), conditioningColumns: 1)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 1), source: source,
    configuration: TrainingConfiguration(batchSize: 10))
  try trainer.step()
  try trainer.saveCheckpoint(to: url)
  func failure<P: GaussianSDE, S: TrainingDataSource>(_ process: P, _ source: S) -> TrainingError?
  where S.Scalar == P.Scalar {
    do {
      _ = try Trainer(resumingFrom: url, process: process, source: source)
      return nil
    } catch { return error }
  }
  #expect(failure(VPSDE<Double>(), source) == nil)
  guard case .incompatibleCheckpoint(_, let r1) = failure(VPSDE<Double>(betaMax: 10), source) else {
    Issue.record("another process was accepted")
    return
  }
  #expect(r1.contains("VPSDE"))
  let wider = try DatasetSource(Matrix<Double>(rows: 5, columns: 4, repeating: 1), conditioningColumns: 1)
  #expect(failure(VPSDE<Double>(), wider).map { "\($0)" }?.contains("columns") == true)
  let floats = try DatasetSource(Matrix<Float>(rows: 5, columns: 3, repeating: 1), conditioningColumns: 1)
  #expect(failure(VPSDE<Float>(), floats).map { "\($0)" }?.contains("double") == true)
  try Data("not a checkpoint".utf8).write(to: url)
  guard case .checkpointFile = failure(VPSDE<Double>(), source) else {
    Issue.record("a malformed file was accepted")
    return
  }
}

/// Rows are split into data (first d columns) and conditions (last k), each standardised with its
/// own μ, σ, and each kept condition carries mask 1; dropped ones are all zeros, with frequency
/// p (4.5 standard errors over 2000 rows).
@Test func conditionColumnsAreSplitStandardisedAndDropped() throws {
  let data = ringData(rows: 80, seed: 57)
  let source = try DatasetSource(data, conditioningColumns: 1, order: .withReplacement)
  let standardizer = try source.fitStandardizer()
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 2), source: source,
    configuration: TrainingConfiguration(batchSize: 100, conditionDropout: 0.3), standardizer: standardizer)
  let (mu, sigma) = (standardizer.means, standardizer.standardDeviations)
  var dropped = 0
  for _ in 0..<20 {
    try trainer.step()
    let x = trainer.lastData
    let c = trainer.lastConditions!
    #expect(c.columns == 2)
    for i in 0..<100 {
      // The source row this training row came from.
      guard
        let r = (0..<80).first(where: { r in
          (0..<2).allSatisfy { (data[r, $0] - mu[$0]) / sigma[$0] == x[i, $0] }
        })
      else {
        Issue.record("row \(i) is no standardised data row")
        continue
      }
      if c[i, 1] == 0 {
        dropped += 1
        #expect(c[i, 0] == 0)
      } else {
        #expect(c[i, 1] == 1 && c[i, 0] == (data[r, 2] - mu[2]) / sigma[2])
      }
    }
  }
  let expected = 0.3 * 2000
  #expect(abs(Double(dropped) - expected) < 4.5 * (2000 * 0.3 * 0.7).squareRoot(), "\(dropped) dropped")
}

/// A `ParameterizedFamily.joint` distribution's last column is the condition: each training x
/// lies on the ring whose radius is its condition.
@Test func jointFamilySamplesPairDataWithTheirParameter() throws {
  let source = DistributionSource<JointFamilyDistribution<RingFamily>, Double>(RingFamily().joint)
  #expect(source.conditioningColumns == 1 && source.dataColumns == 2)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 1), source: source,
    configuration: TrainingConfiguration(batchSize: 64))
  try trainer.step()
  let (x, c) = (trainer.lastData, trainer.lastConditions!)
  for i in 0..<64 {
    let radius = (x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1]).squareRoot()
    #expect(c[i, 0] >= 1 && c[i, 0] <= 3 && abs(radius - c[i, 0]) < 0.6, "row \(i)")
  }
}

/// Progress reports come every `progressInterval` steps and after the last, with a rate and an
/// ETA; evaluations every `interval` steps, reproducible.
@Test func progressAndEvaluationCallbacksReport() throws {
  let data = ringData(rows: 200, seed: 58)
  let source = try DatasetSource(data, conditioningColumns: 1)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 1), source: source,
    configuration: TrainingConfiguration(batchSize: 16, steps: 7))
  var reports: [TrainingProgress] = []
  var evaluations: [EvaluationResult] = []
  let heldOut = ringData(rows: 50, seed: 59)
  try trainer.train(
    evaluation: EvaluationPolicy(data: heldOut, interval: 3), progressInterval: 2,
    progress: { reports.append($0) }, evaluated: { evaluations.append($0) })
  #expect(reports.map(\.step) == [2, 4, 6, 7])
  #expect(reports.allSatisfy { $0.totalSteps == 7 && $0.stepsPerSecond > 0 && $0.smoothedLoss.isFinite })
  #expect(reports.last!.estimatedSecondsRemaining == 0 && reports[0].estimatedSecondsRemaining > 0)
  #expect(reports.last!.loss == trainer.lastLoss && reports.last!.learningRate == 1e-3)
  #expect(evaluations.map(\.step) == [3, 6])
  #expect(evaluations.allSatisfy { $0.loss > 0 && $0.averagedLoss > 0 })
  #expect(trainer.evaluate(on: heldOut) == trainer.evaluate(on: heldOut))
}

/// After warm-up a training step from a data set allocates nothing (forward, loss, backward,
/// clipping, Adam with a schedule, EMA, condition dropout, standardisation); one from a
/// `DataDistribution` allocates only the distribution's fresh sample matrix.
@Test func trainingStepsAllocateNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var rng = Xoshiro256(seed: 60)
    let data = Matrix<Float>.randomNormal(rows: 300, columns: 3, using: &rng)
    let source = try! DatasetSource(data, conditioningColumns: 1)
    var trainer = try! Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(condition: 2), source: source,
      configuration: TrainingConfiguration(
        batchSize: 64, steps: 100, schedule: .warmupCosine(warmupSteps: 5, minimum: 0), gradientClipNorm: 1,
        conditionDropout: 0.2),
      standardizer: try! source.fitStandardizer())
    try! trainer.step()
    try! trainer.step()
    let n = AllocationCounter.count {
      for _ in 0..<3 { try! trainer.step() }
    }
    _exit(Int32(min(n, 100)))
  }
  await #expect(processExitsWith: .exitCode(3)) {
    var trainer = try! Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(),
      source: DistributionSource<Checkerboard, Float>(Checkerboard()),
      configuration: TrainingConfiguration(batchSize: 64))
    try! trainer.step()
    try! trainer.step()
    let n = AllocationCounter.count {
      for _ in 0..<3 { try! trainer.step() }
    }
    _exit(Int32(min(n, 100)))
  }
}

/// The weight average warms up by default: after optimizer step n the average is
/// `δₙ θ̄ₙ₋₁ + (1 − δₙ) θₙ` with `δₙ = min(δ, (1 + n)/(10 + n))` — 2/11, 3/12, 4/13 here, not
/// the configured 0.999 (which would leave the average at the initial weights to 0.1 %).
@Test func weightAverageWarmsUpByDefault() throws {
  let configuration = TrainingConfiguration(seed: 3, batchSize: 16, steps: 3)
  #expect(configuration.emaWarmup && configuration.emaDecay == 0.999)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(),
    source: DistributionSource<Checkerboard, Double>(Checkerboard()), configuration: configuration)
  var expected = tensors(trainer.network.parameters)
  for n in 1...3 {
    try trainer.train(until: n)
    let decay = Double(1 + n) / Double(10 + n)
    for (k, theta) in tensors(trainer.network.parameters).enumerated() {
      expected[k] = Matrix(
        rows: theta.rows, columns: theta.columns,
        elements: zip(expected[k].elements, theta.elements).map { decay * $0 + (1 - decay) * $1 })
    }
    let average = tensors(trainer.averagedParameters)
    for k in expected.indices {
      #expect(maxAbsDifference(average[k], expected[k]) < 1e-14, "step \(n), tensor \(k)")
    }
  }
  #expect(tensors(trainer.averagedParameters) != tensors(trainer.network.parameters))
}
