import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// Model files of matrix-kernel processes: the description records CLD's parameters and a linear
/// SDE's F, L, c and schedule, the file round-trips them, and the rebuilt process and score model
/// are the trained ones.
@Suite struct LinearModelFileTests {
  static let cld = SDEDescription(
    .criticallyDampedLangevin(
      dimension: 2, mass: 0.25, initialVelocityScale: 0.04, schedule: .linear(betaMin: 4, betaMax: 4)))
  static let linear = SDEDescription(
    .linear(
      drift: [[-1, 0.8], [-0.6, -0.4]], offset: [0.2, -0.1], noise: [[1, 0], [0.5, 0.7]],
      schedule: .cosine(offset: 0.008, maximumBeta: 20)))

  /// A few steps of training for `description`, the model saved and loaded.
  func roundTrip(_ description: SDEDescription) throws -> (
    TrainedModel<MLP<Double>>, TrainedModel<MLP<Double>>
  ) {
    let process = try StandardLinearSDE<Double>(description)
    let rings = ringData(rows: 60, seed: 4)
    var data = Matrix<Double>(rows: 60, columns: 2)
    for i in 0..<60 { for j in 0..<2 { data[i, j] = rings[i, j] } }
    let source = try DatasetSource(data)
    var trainer = try Trainer(
      process: process, architecture: smallNetwork(dimension: process.stateDimension(dataDimension: 2)),
      source: source, configuration: TrainingConfiguration(seed: 3, batchSize: 20, steps: 3),
      standardizer: try source.fitStandardizer())
    try trainer.train()
    let model = try trainer.trainedModel(data: "rings")
    #expect(model.process == description)
    let url = temporaryURL("linear.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try model.save(to: url)
    return (model, try TrainedModel<MLP<Double>>.load(from: url))
  }

  @Test(arguments: [cld, linear])
  func matrixKernelModelsRoundTrip(_ description: SDEDescription) throws {
    let (model, loaded) = try roundTrip(description)
    #expect(loaded.process == description)
    #expect(loaded.network.namedTensors() == model.network.namedTensors())
    #expect(loaded.dimension == 2)
    #expect(loaded.stateDimension == description.stateDimension)
    #expect(loaded.standardizer == model.standardizer)
    #expect(loaded.linearSDE == (try StandardLinearSDE<Double>(description)))
    #expect(loaded.linearSDE?.processDescription == description)
    var rng = Xoshiro256(seed: 5)
    let x = Matrix<Double>.randomNormal(rows: 4, columns: loaded.stateDimension, using: &rng)
    #expect(loaded.linearScoreModel()!.score(x, at: 0.3) == model.linearScoreModel()!.score(x, at: 0.3))
  }

  /// The description of a LinearSDE and of CLD, and the JSON of each, round-trip.
  @Test func descriptionsRoundTripThroughJSON() throws {
    for description in [Self.cld, Self.linear] {
      let data = try JSONEncoder().encode(description)
      #expect(try JSONDecoder().decode(SDEDescription.self, from: data) == description)
      let process = try StandardLinearSDE<Float>(description)
      #expect(process.processDescription.map { SDEDescription($0.kind, endTime: $0.endTime) } != nil)
    }
    #expect(Self.cld.name == "cld" && Self.linear.name == "linear")
    #expect(
      !Self.cld.hasIsotropicKernel && Self.cld.stateDimension == 4
        && Self.cld.dataDimension(stateDimension: 4) == 2)
  }

  /// Bad matrices are named: wrong shapes, NaN, noise that never reaches a direction.
  @Test func badLinearDescriptionsAreRefused() {
    func failure(_ f: [[Double]], _ l: [[Double]], _ c: [Double] = []) -> String? {
      SDEDescription(.linear(drift: f, offset: c, noise: l, schedule: .linear(betaMin: 0.1, betaMax: 20)))
        .validationFailure
    }
    #expect(failure([[-1, 0]], [[1]])?.contains("square") == true)
    #expect(failure([[-1]], [[1, 0], [0, 1]])?.contains("like F") == true)
    #expect(failure([[-1]], [[1]], [1, 2])?.contains("offset") == true)
    #expect(failure([[.nan]], [[1]])?.contains("non-finite") == true)
    // Noise on the first coordinate only, with no coupling: the second never gets any.
    #expect(failure([[-1, 0], [0, -1]], [[1, 0], [0, 0]])?.contains("cannot be built") == true)
    #expect(failure([[-1, 0], [1, -1]], [[1, 0], [0, 0]]) == nil)
  }

  /// The CLD bound `E_v[log p(x, v)] + H(q)` on a Gaussian model equals its closed form
  /// `log N(x) − KL(q ‖ p(v | x))` when the score is the exact one: at the exact score of
  /// `p_ε(x, v)`, the PF-ODE likelihood of `(x, v)` is `log p_ε(x, v)`, and for Gaussian `p` the
  /// expectation over `v ~ q` is closed form. Checked on 3 points with 40 draws each, to 4.5 of the
  /// bound's Monte Carlo standard errors plus 1e-4 for the ODE (solved at `rtol = atol = 1e-6`).
  @Test func cldBoundMatchesItsClosedFormForAGaussian() throws {
    let cld = CriticallyDampedLangevin<Double>(dimension: 1)
    let oracle = try cld.oracle(weights: [1], means: [[0.3]], covariances: [Matrix([[0.5]])])
    let likelihood = ProbabilityFlowLikelihood(
      process: cld, score: oracle,
      integration: .adaptive(PIController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6)))
    let x = Matrix<Double>([[0.1], [0.9], [-0.6]])
    let draws = 40
    let result = try likelihood.positionLogLikelihoodBound(
      of: x, velocityStandardDeviation: (0.04 * 0.25).squareRoot(), draws: draws, seed: 1, threads: 1)
    // p_ε(x, v) = N(μ_ε, Σ_ε) of the oracle's one component at ε.
    let eps = cld.smallTimeCutoff
    let kernel = cld.process.marginalKernel(at: eps)
    let phi = kernel.transition
    let initial = Matrix<Double>([[0.5, 0], [0, 0.01]])
    let sigma = Matrix.product(Matrix.product(phi, initial), phi, transposingB: true) + kernel.covariance
    let mean = [phi[0, 0] * 0.3, phi[1, 0] * 0.3]
    let p = try sigma.inverse()
    let logDet = Foundation.log(sigma[0, 0] * sigma[1, 1] - sigma[0, 1] * sigma[1, 0])
    let q = 0.01
    for i in 0..<3 {
      // E_v[log N((x, v); μ, Σ)] for v ~ N(0, q): the quadratic form's mean plus q·P_vv/2.
      let dx = x[i, 0] - mean[0]
      let dv = -mean[1]
      let quadratic = p[0, 0] * dx * dx + 2 * p[0, 1] * dx * dv + p[1, 1] * (dv * dv + q)
      let expectedJoint = -Foundation.log(2 * Double.pi) - logDet / 2 - quadratic / 2
      let expected = expectedJoint + 0.5 * Foundation.log(2 * Double.pi * Foundation.exp(1) * q)
      #expect(
        abs(result.bounds[i] - expected) <= 4.5 * result.standardErrors[i] + 1e-4,
        "point \(i): \(result.bounds[i]) ± \(result.standardErrors[i]) vs \(expected)")
    }
    #expect(result.draws == draws && result.jointLogLikelihoods.count == 3 * draws)
  }
}
