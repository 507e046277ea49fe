import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// A small residual MLP configuration.
func smallResidualNetwork(dimension: Int = 2, condition: Int = 0) -> ResidualMLPConfiguration {
  ResidualMLPConfiguration(
    inputDimension: dimension, conditionDimension: condition,
    timeEmbedding: .gaussianFourier(frequencies: 3, scale: 4), width: 6, blocks: 2)
}

/// The score model's exact divergence and vector–Jacobian products go through the network's
/// own Jacobian products (here the protocol's default, stacked ones) and the conversion to a
/// score: both against central differences of the score, for a conditional residual MLP on an
/// OU process (a kernel with a shift), in each parameterisation.
@Test(arguments: Parameterization.allCases)
func residualScoreModelDivergenceMatchesFiniteDifferences(_ parameterization: Parameterization) {
  var rng = Xoshiro256(seed: 91)
  let encoding = ConditionEncoding(dimension: 1, hasMaskColumn: true)
  let network = ResidualMLP<Double>(
    configuration: smallResidualNetwork(dimension: 3, condition: encoding.networkColumns), using: &rng)
  let model = NetworkScoreModel(
    network: network, process: OrnsteinUhlenbeckSDE<Double>(theta: 1.3, mean: 0.7, sigma: 1.1),
    parameterization: parameterization, conditionEncoding: encoding
  ).conditioned(on: [0.4])
  let x = Matrix<Double>.randomNormal(rows: 4, columns: 3, using: &rng)
  let probe = Matrix<Double>.randomNormal(rows: 4, columns: 3, using: &rng)
  let t = 0.27
  var workspace = model.makeWorkspace(rows: 4)
  var score = Matrix<Double>(rows: 4, columns: 3)
  var divergence = [Double](repeating: 0, count: 4)
  model.scoreAndDivergence(x, at: t, into: &score, divergence: &divergence, workspace: &workspace)
  #expect(maxAbsDifference(score, model.score(x, at: t)) < 1e-12 * max(1, score.maxAbs()))
  var vjp = Matrix<Double>(rows: 4, columns: 3)
  model.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &score, vjp: &vjp, workspace: &workspace)
  expectJacobianProductsMatchFiniteDifferences(
    model, x: x, at: t, divergence: divergence, probe: probe, vjp: vjp)
}

/// A residual MLP trains through the same `Trainer`, resumes from a checkpoint bit for bit, and
/// its model file records `resmlp`: it loads back as a `ResidualMLP` with the same scores, and
/// reading it as an `MLP` (or its checkpoint into an MLP trainer) is refused, naming both.
@Test func residualNetworksTrainResumeAndRoundTripTheirFiles() throws {
  let source = try DatasetSource(ringData(rows: 96, seed: 92), conditioningColumns: 1)
  let configuration = TrainingConfiguration(
    seed: 93, batchSize: 32, steps: 6, schedule: .warmupCosine(warmupSteps: 2, minimum: 1e-5), emaDecay: 0.9)
  try checkResume(
    process: VPSDE<Double>(), network: ResidualMLP<Double>.self,
    architecture: smallResidualNetwork(condition: 1), source: source, configuration: configuration,
    total: 6, split: 2)

  var trainer = try Trainer(
    process: VPSDE<Double>(), network: ResidualMLP<Double>.self,
    architecture: smallResidualNetwork(condition: 1),
    source: source, configuration: configuration)
  try trainer.train()
  #expect(trainer.lastLoss.isFinite)
  let url = temporaryURL("resmlp.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try trainer.trainedModel(data: "rings").save(to: url)
  #expect(try ModelFile.architecture(of: url) == "resmlp")
  let loaded = try TrainedModel<ResidualMLP<Double>>.load(from: url)
  #expect(loaded.network.namedTensors() == trainer.averagedNetwork.namedTensors())
  var rng = Xoshiro256(seed: 94)
  let x = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
  #expect(
    loaded.scoreModel(condition: .fixed([0.3])).score(x, at: 0.4)
      == trainer.scoreModel.conditioned(on: [0.3]).score(x, at: 0.4))

  #expect {
    _ = try TrainedModel<MLP<Double>>.load(from: url)
  } throws: { error in
    "\(error)".contains("'resmlp'") && "\(error)".contains("'mlp'")
  }
  let checkpoint = temporaryURL("resmlp-checkpoint.safetensors")
  defer { try? FileManager.default.removeItem(at: checkpoint) }
  try trainer.saveCheckpoint(to: checkpoint)
  #expect {
    _ = try Trainer(resumingFrom: checkpoint, process: VPSDE<Double>(), source: source)
  } throws: { error in
    "\(error)".contains("'resmlp'") && "\(error)".contains("'mlp'")
  }
}

/// The trainer's learning rate is the configuration's ``LearningRateSchedule`` and its optimizer
/// the one the configuration names, both through their protocols.
@Test func trainerUsesTheScheduleAndOptimizerProtocols() throws {
  var configuration = TrainingConfiguration(
    seed: 95, batchSize: 16, steps: 10, learningRate: 0.01,
    schedule: .warmupCosine(warmupSteps: 4, minimum: 0.001))
  let schedule = WarmupCosineSchedule<Double>(peak: 0.01, warmupSteps: 4, totalSteps: 10, minimum: 0.001)
  for step in 0..<12 {
    #expect(configuration.learningRate(at: step) == schedule.learningRate(at: step), "step \(step)")
  }
  configuration.optimizer = .sgd(momentum: 0.9, nesterov: true)
  #expect(configuration.makeOptimizer(Double.self) is SGD<Double>)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(),
    source: DistributionSource<Checkerboard, Double>(Checkerboard()), configuration: configuration)
  try trainer.train(until: 3)
  #expect(trainer.optimizerStep == 3)
  #expect(trainer.optimizerState.names.allSatisfy { $0.hasPrefix("sgd.momentum_buffer.") })
  #expect(!trainer.optimizerState.names.isEmpty)
}
