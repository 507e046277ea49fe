import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `score-sde nll`: exact negative log-likelihoods through the probability-flow ODE.
struct NLLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nll",
    abstract: "Mean negative log-likelihood of data under a trained model (probability-flow ODE).")

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(help: "The points to evaluate: a .npy / .csv file, or a built-in density's name (fresh samples).")
  var data: String

  @Option(help: "Number of fresh samples when --data names a built-in density.")
  var count: Int = 1000

  @Option(help: "Also write each point's NLL in nats (.npy or .csv).")
  var out: String?

  @Option(help: "Fixed RK4 steps instead of the adaptive Dormand–Prince solver (rtol = atol = 1e-5).")
  var steps: Int?

  @Option(
    name: .customLong("bin-width"),
    help: "For discrete data: the quantisation bin width, to report bits/dim of the dequantised data.")
  var binWidth: Double?

  @Option(help: "Seed for fresh samples of a built-in density.")
  var seed: UInt64 = 1

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    if let binWidth, !(binWidth > 0 && binWidth.isFinite) {
      throw ValidationError("--bin-width must be positive")
    }
  }

  func run() throws {
    let format = try out.map { try OutputFormat($0) }
    if let out { try checkWritableDirectory(of: URL(fileURLWithPath: out)) }
    let (points, _) = try DataInput(argument: data).load(count: count, seed: seed)
    let integration: ODEIntegration<Double> = steps.map { .rungeKutta4(steps: $0) } ?? .standard
    let (nll, dimension) = try Evaluation(points: points, integration: integration, source: data)
      .run(modelAt: try existingFile(model))
    let summary = NegativeLogLikelihood(logDensities: nll.map { -$0 })
    let d = Double(dimension)
    print(
      String(
        format: "mean NLL %.4f ± %.4f nats per point (%d points)", summary.mean, summary.standardError,
        nll.count))
    if let binWidth {
      let bpd = (summary.mean - d * Double.log(binWidth)) / (d * Double.log(2.0))
      print(String(format: "%.4f bits/dim of the dequantised data (bin width %g)", bpd, binWidth))
    } else {
      print(
        String(
          format: "%.4f bits/dim (continuous density; pass --bin-width for discrete data)",
          summary.mean / (d * Double.log(2.0))))
    }
    if let out, let format {
      try format.write(Matrix(rows: nll.count, columns: 1, elements: nll), to: out, columnNames: ["nll"])
    }
  }

  /// Per-point NLL in nats, on the data's own scale (the standardisation's Jacobian included),
  /// in chunks of 500 points with a progress bar. Condition columns (the last `k`) condition
  /// each point's density.
  static func negativeLogLikelihoods<Network: ScoreNetwork>(
    of points: Matrix<Double>, under trained: TrainedModel<Network>, integration: ODEIntegration<Double>,
    source: String
  ) throws -> [Double] where Network.Scalar == Double {
    let d = trained.dimension
    let k = trained.conditionEncoding.dimension
    guard points.columns == d + k else {
      throw CLIError(
        "\(source): the model takes \(d + k) column(s) (\(d) data\(k > 0 ? " + \(k) condition" : "")), the data has \(points.columns)"
      )
    }
    var bar = ProgressBar(label: "nll", total: points.rows)
    var nll: [Double] = []
    nll.reserveCapacity(points.rows)
    for first in stride(from: 0, to: points.rows, by: 500) {
      let chunk = points.rows(first..<min(points.rows, first + 500))
      var x = Matrix<Double>(rows: chunk.rows, columns: d)
      var conditions = Matrix<Double>(rows: chunk.rows, columns: k)
      for i in 0..<chunk.rows {
        for j in 0..<d { x[i, j] = chunk[i, j] }
        if k > 0 { conditions.setRow(i, to: trained.networkCondition(Array(chunk.row(i)[d...]))) }
      }
      trained.toModelScale(&x)
      let score = trained.scoreModel(condition: k > 0 ? .perRow(conditions) : .unconditional)
      let result = try ProbabilityFlowLikelihood(process: trained.sde, score: score, integration: integration)
        .logLikelihood(of: x, firstRow: first, threads: Workers.count)
      nll.append(contentsOf: result.logLikelihoods.map { -($0 + trained.logDensityCorrection) })
      bar.update(first + chunk.rows)
    }
    bar.finish()
    return nll
  }
}

/// `nll`'s work on a model of any network: the per-point NLL and the model's dimension.
struct Evaluation: TrainedModelTask {
  typealias Scalar = Double
  let points: Matrix<Double>
  let integration: ODEIntegration<Double>
  let source: String

  func run<Network: ScoreNetwork>(_ model: TrainedModel<Network>) throws -> ([Double], Int)
  where Network.Scalar == Double {
    (
      try NLLCommand.negativeLogLikelihoods(
        of: points, under: model, integration: integration, source: source), model.dimension
    )
  }
}
