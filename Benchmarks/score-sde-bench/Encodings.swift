import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// Generalisation across physical parameters: one conditional model of the blob-ring family
/// (2-D, θ = radius, thickness, ellipticity, orientation) per parameter encoding (identity,
/// random Fourier features, multiresolution hash grid), trained at an equal budget (same steps,
/// batch, MLP width and depth, seed) on the 3⁴ = 81 members whose θ lie on a grid at 0, ½ and 1
/// of each range, then scored by the probability-flow NLL of fresh samples at
///
/// - **seen** θ: 4 of the training grid points;
/// - **interpolated** θ: 6 points with every coordinate at ¼ or ¾ of its range (between grid
///   values in all four parameters at once);
/// - **extrapolated** θ: 4 points, each with one parameter ¼ of its range beyond the training
///   range (the others at ½).
///
/// Each NLL is compared with the exact one, `−mean log p(x | θ)` on the same points; the gap is
/// an estimate of KL(p_θ ‖ p_model,θ) ≥ 0.
struct EncodingsBenchmark {
  let threads: Int
  /// Training steps per encoding.
  var steps = 3000
  /// Points per θ in the NLL.
  var points = 400

  struct Row {
    var encoding: String
    var parameters: Int
    var trainSeconds: Double
    /// (group, θ, model NLL, exact NLL).
    var scores: [(group: String, theta: [Double], model: Double, exact: Double)]

    func mean(_ group: String) -> (model: Double, exact: Double) {
      let s = scores.filter { $0.group == group }
      return (
        s.map(\.model).reduce(0, +) / Double(s.count), s.map(\.exact).reduce(0, +) / Double(s.count)
      )
    }

    var json: [String] {
      scores.map { s in
        "{\"workload\": \"encodings\", \"encoding\": \(quoted(encoding)), \"group\": \(quoted(s.group)), "
          + "\"theta\": [\(s.theta.map { number($0) }.joined(separator: ", "))], "
          + "\"nll\": \(number(s.model)), \"exact_nll\": \(number(s.exact)), \"parameters\": \(parameters), "
          + "\"train_seconds\": \(number(trainSeconds))}"
      }
    }
  }

  let family = BlobRingFamily()

  /// θ at fractions `u` of each range.
  func theta(_ u: [Double]) -> [Double] {
    (0..<4).map { j in
      let r = family.parameterRanges[j]
      return r.lowerBound + u[j] * (r.upperBound - r.lowerBound)
    }
  }

  /// The evaluation points: (group, θ).
  var evaluationParameters: [(String, [Double])] {
    let seen = [[0, 0, 0, 0], [1, 1, 1, 1], [0.5, 0, 1, 0.5], [1, 0.5, 0, 1]].map { ("seen", theta($0)) }
    let between = [
      [0.25, 0.25, 0.25, 0.25], [0.75, 0.75, 0.75, 0.75], [0.25, 0.75, 0.25, 0.75], [0.75, 0.25, 0.75, 0.25],
      [0.25, 0.25, 0.75, 0.75], [0.75, 0.75, 0.25, 0.25],
    ].map { ("interpolated", theta($0)) }
    let outside = [
      [1.25, 0.5, 0.5, 0.5], [0.5, 1.25, 0.5, 0.5], [0.5, 0.5, -0.25, 0.5], [0.5, 0.5, 0.5, 1.25],
    ]
    .map { ("extrapolated", theta($0)) }
    return seen + between + outside
  }

  /// The 81 training θ.
  var trainingGrid: Matrix<Double> {
    var rows: [[Double]] = []
    for a in [0.0, 0.5, 1] {
      for b in [0.0, 0.5, 1] {
        for c in [0.0, 0.5, 1] {
          for d in [0.0, 0.5, 1] {
            rows.append(theta([a, b, c, d]))
          }
        }
      }
    }
    return Matrix(rows)
  }

  func run() throws -> [Row] {
    let joint = family.joint(trainingParameters: trainingGrid)
    let source = DistributionSource<BlobRingJoint, Float>(joint)
    let standardizer = try source.fitStandardizer(count: 10_000, seed: 1)
    // The encodings' range: the training box in network (standardised) units.
    let lower = (0..<4).map { j in
      (family.parameterRanges[j].lowerBound - standardizer.means[2 + j])
        / standardizer.standardDeviations[2 + j]
    }
    let upper = (0..<4).map { j in
      (family.parameterRanges[j].upperBound - standardizer.means[2 + j])
        / standardizer.standardDeviations[2 + j]
    }
    let (width, depth) = (64, 3)
    var rows: [Row] = []
    let mlp = MLPConfiguration(inputDimension: 2, conditionDimension: 4, width: width, depth: depth)
    rows.append(
      try train(
        MLP<Float>.self, MLP<Double>.self, architecture: mlp, name: "identity", source: source,
        standardizer: standardizer))
    for encoding in [ParameterEncoding.defaultFourier, .defaultHashGrid] {
      let e = ParameterEncodingConfiguration(encoding: encoding, lowerBounds: lower, upperBounds: upper)
      let architecture = EncodedConditionConfiguration(
        base: MLPConfiguration(
          inputDimension: 2, conditionDimension: e.outputColumns, width: width, depth: depth),
        encoding: e)
      rows.append(
        try train(
          EncodedConditionNetwork<MLP<Float>>.self, EncodedConditionNetwork<MLP<Double>>.self,
          architecture: architecture, name: encoding.name, source: source, standardizer: standardizer))
    }
    return rows
  }

  func train<Network: ScoreNetwork, Evaluated: ScoreNetwork>(
    _ network: Network.Type, _ evaluated: Evaluated.Type, architecture: Network.Configuration, name: String,
    source: DistributionSource<BlobRingJoint, Float>, standardizer: Standardizer
  ) throws -> Row where Network.Scalar == Float, Evaluated.Scalar == Double {
    var trainer = try Trainer(
      process: VPSDE<Float>(), network: network, architecture: architecture, source: source,
      configuration: TrainingConfiguration(
        seed: 3, batchSize: 256, steps: steps, learningRate: 2e-3,
        schedule: .warmupCosine(warmupSteps: steps / 10, minimum: 1e-4)),
      standardizer: standardizer)
    trainer.threads = threads
    let clock = ContinuousClock()
    let started = clock.now
    try trainer.train()
    let seconds = (clock.now - started) / .seconds(1)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "encodings-\(name)-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try trainer.trainedModel(data: "blob-ring grid").save(to: url)
    let model = try TrainedModel<Evaluated>.load(from: url)
    var scores: [(group: String, theta: [Double], model: Double, exact: Double)] = []
    var rng = Xoshiro256(seed: 99)
    for (group, theta) in evaluationParameters {
      let thetas = Matrix<Double>((0..<points).map { _ in theta })
      let x: Matrix<Double> = family.sample(parameters: thetas, using: &rng)
      let exact = -family.logDensity(x, parameters: thetas).reduce(0, +) / Double(points)
      var scaled = x
      model.toModelScale(&scaled)
      let score = model.scoreModel(condition: .fixed(model.networkCondition(theta)))
      let result = try ProbabilityFlowLikelihood(process: model.sde, score: score, integration: .standard)
        .logLikelihood(of: scaled, threads: threads)
      let nll = -result.logLikelihoods.map { $0 + model.logDensityCorrection }.reduce(0, +) / Double(points)
      scores.append((group, theta, nll, exact))
    }
    return Row(
      encoding: name, parameters: trainer.network.parameterCount, trainSeconds: seconds, scores: scores)
  }
}

/// The per-θ table and the per-group means of the encodings benchmark.
func printEncodingsTable(_ rows: [EncodingsBenchmark.Row]) {
  print("\nEncodings: blob-ring family, trained on the 81-point θ grid; PF-ODE NLL (nats) vs exact")
  print(
    pad("encoding", 10) + lpad("params", 8) + lpad("train s", 9) + "  " + pad("group", 13)
      + pad("θ (r, s, e, φ)", 30) + lpad("NLL", 8) + lpad("exact", 8) + lpad("gap", 8))
  for row in rows {
    for s in row.scores {
      let theta = s.theta.map { String(format: "%.3f", $0) }.joined(separator: ", ")
      print(
        pad(row.encoding, 10) + lpad("\(row.parameters)", 8)
          + lpad(String(format: "%.1f", row.trainSeconds), 9) + "  "
          + pad(s.group, 13) + pad(theta, 30) + lpad(String(format: "%.3f", s.model), 8)
          + lpad(String(format: "%.3f", s.exact), 8) + lpad(String(format: "%.3f", s.model - s.exact), 8))
    }
  }
  print("\nMean gap NLL − exact (nats) by group:")
  print(pad("encoding", 10) + lpad("seen", 9) + lpad("interp.", 9) + lpad("extrap.", 9))
  for row in rows {
    let gaps = ["seen", "interpolated", "extrapolated"].map { g -> String in
      let m = row.mean(g)
      return lpad(String(format: "%.3f", m.model - m.exact), 9)
    }
    print(pad(row.encoding, 10) + gaps.joined())
  }
}
