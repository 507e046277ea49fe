import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `nll --condition-grid …`: the posterior of a conditional model's condition `θ` given the
/// points of `--data`, on a grid (likelihood-free inference with the model as the likelihood).
struct PosteriorOptions: ParsableArguments {
  @Option(
    name: .customLong("condition-grid"), parsing: .unconditional,
    help: ArgumentHelp(
      "Infer the condition θ of a conditional model from --data (independent points given θ): "
        + "lo:hi:count per condition, comma-separated, in the data's units. Prints the posterior, its MAP, "
        + "mean and central interval; --out then writes the posterior table (θ…, Σ log p(x|θ), log posterior).",
      valueName: "lo:hi:count,…"))
  var conditionGrid: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "The prior over θ with --condition-grid: uniform (the default) or gaussian:μ:σ (every condition), "
        + "or gaussian:μ₁:σ₁,μ₂:σ₂,… (one pair per condition).", valueName: "uniform|gaussian:μ:σ"))
  var prior: String?

  @Option(help: "The probability of the central credible interval (with --condition-grid).")
  var credibility: Double = 0.9

  /// The most (point, θ) pairs one run evaluates.
  static let maximumPairs = 4_000_000

  func validate() throws {
    if conditionGrid == nil && prior != nil {
      throw ValidationError("--prior needs --condition-grid")
    }
    guard credibility > 0 && credibility < 1 else {
      throw ValidationError("--credibility must lie strictly between 0 and 1, got \(credibility)")
    }
    if let prior { _ = try Self.parsePrior(prior) }
  }

  /// The axes of `--condition-grid`.
  static func parseAxes(_ text: String) throws -> [GridAxis<Double>] {
    let entries: [Substring] = text.split(separator: ",", omittingEmptySubsequences: false)
    var axes: [GridAxis<Double>] = []
    for (j, entry) in entries.enumerated() {
      do {
        axes.append(try GridAxis<Double>(parsing: entry))
      } catch {
        throw CLIError("--condition-grid \(text): entry \(j + 1) ('\(entry)'): \(error.description)")
      }
    }
    return axes
  }

  /// The prior `--prior` names.
  static func parsePrior(_ text: String) throws -> ParameterPrior<Double> {
    let lower = text.lowercased()
    if lower == "uniform" { return .uniform }
    guard lower.hasPrefix("gaussian:") else {
      throw ValidationError("--prior \(text): expected uniform or gaussian:μ:σ[,μ:σ…]")
    }
    var means: [Double] = []
    var deviations: [Double] = []
    for pair in lower.dropFirst("gaussian:".count).split(separator: ",", omittingEmptySubsequences: false) {
      let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2, let mu = Double(parts[0]), let sigma = Double(parts[1]) else {
        throw ValidationError("--prior \(text): '\(pair)' is not μ:σ")
      }
      guard mu.isFinite, sigma.isFinite, sigma > 0 else {
        throw ValidationError("--prior \(text): '\(pair)' needs a finite μ and a finite σ > 0")
      }
      means.append(mu)
      deviations.append(sigma)
    }
    return .gaussian(mean: means, standardDeviation: deviations)
  }

  /// Runs the inference and prints the report; writes the table to `out` when given.
  func run(model: String, data: String, count: Int, seed: UInt64, out: String?, steps: Int?) throws {
    guard let conditionGrid else { return }
    let axes = try Self.parseAxes(conditionGrid)
    let prior = try self.prior.map(Self.parsePrior) ?? .uniform
    if case .gaussian(let means, _) = prior, means.count != 1 && means.count != axes.count {
      throw CLIError(
        "--prior has \(means.count) μ:σ pairs for \(axes.count) condition(s): give 1 or \(axes.count)")
    }
    let input = DataInput(argument: data)
    var outputs = CommandOutputs(inputs: [("--model", model)] + (input.isFile ? [("--data", data)] : []))
    let format = try out.map { try OutputFormat($0) }
    let outFile = try out.map { try outputs.add($0, option: "--out") }
    let observations = try input.load(count: count, seed: seed).data
    let integration: ODEIntegration<Double> = steps.map { .rungeKutta4(steps: $0) } ?? .standard
    let started = Date()
    let posterior = try PosteriorEvaluation(
      observations: observations, axes: axes, prior: prior, integration: integration, source: data,
      model: model
    ).run(modelAt: URL(fileURLWithPath: model))
    if let outFile, let format {
      let p = axes.count
      var table = Matrix<Double>(rows: posterior.parameters.rows, columns: p + 2)
      for r in 0..<table.rows {
        for k in 0..<p { table[r, k] = posterior.parameters[r, k] }
        table[r, p] = posterior.logLikelihoods[r]
        table[r, p + 1] = posterior.logPosterior[r]
      }
      let names = (1...p).map { "theta\($0)" } + ["log_likelihood", "log_posterior"]
      var stream = try MatrixStream(
        format, file: outFile, rows: table.rows, columns: table.columns, columnNames: names)
      try stream.append(table)
    }
    try outputs.commit()
    print(report(posterior, observations: observations.rows, seconds: Date().timeIntervalSince(started)))
    if let out { print("wrote the posterior table (θ…, Σ log p(x|θ), log posterior density) to \(out)") }
  }

  /// The printed summary: a table of a one-condition posterior, then MAP, mean and interval.
  func report(_ posterior: ParameterGridPosterior<Double>, observations n: Int, seconds: Double) -> String {
    var lines: [String] = []
    let p = posterior.axes.count
    let m = posterior.parameters.rows
    lines.append(
      String(
        format: "posterior of θ given %d point(s) on a grid of %d node(s), %@ prior (%.2f s)", n, m,
        prior ?? "uniform", seconds))
    if p == 1 {
      let density = posterior.logPosterior.map { Double.exp($0) }
      let top = density.max() ?? 1
      let stride = max(1, (m + 40) / 41)
      lines.append("       θ     Σ log p(x|θ)   posterior density")
      for r in Swift.stride(from: 0, to: m, by: stride) {
        let bar = String(repeating: "█", count: top > 0 ? Int((density[r] / top * 30).rounded()) : 0)
        lines.append(
          String(
            format: "%8.4g  %14.4f   %10.4g  %@", posterior.parameters[r, 0], posterior.logLikelihoods[r],
            density[r], bar))
      }
    }
    let map = posterior.maximumAPosteriori
    let mean = posterior.mean
    for k in 0..<p {
      let interval = posterior.centralInterval(probability: credibility, axis: k)
      lines.append(
        String(
          format: "θ%@: MAP %.6g, mean %.6g, %g %% central interval [%.6g, %.6g]", subscriptDigits(k + 1),
          map[k],
          mean[k], credibility * 100, interval.lowerBound, interval.upperBound))
    }
    let edge = edgeMass(posterior)
    if edge > 1e-3 {
      lines.append(
        String(
          format:
            "warning: %.3g of the posterior mass lies in the grid's outermost nodes; widen --condition-grid",
          edge))
    }
    return lines.joined(separator: "\n")
  }

  /// The posterior mass at the nodes on the boundary of the grid.
  func edgeMass(_ posterior: ParameterGridPosterior<Double>) -> Double {
    var mass = 0.0
    for (r, w) in posterior.probabilities.enumerated() {
      var rest = r
      var onEdge = false
      for a in posterior.axes {
        let i = rest % a.count
        rest /= a.count
        if i == 0 || i == a.count - 1 { onEdge = true }
      }
      if onEdge { mass += w }
    }
    return mass
  }
}

/// The posterior's work on a model of any network: every (point, θ) pair's log-likelihood from
/// `nll`'s own evaluation (chunks of 500, the data's units), summed over the points.
struct PosteriorEvaluation: TrainedModelTask {
  typealias Scalar = Double
  let observations: Matrix<Double>
  let axes: [GridAxis<Double>]
  let prior: ParameterPrior<Double>
  let integration: ODEIntegration<Double>
  let source: String
  let model: String

  func run<Network: ScoreNetwork>(_ trained: TrainedModel<Network>) throws -> ParameterGridPosterior<Double>
  where Network.Scalar == Double {
    try trained.requireIsotropicKernel(command: "nll --condition-grid", path: model)
    let d = trained.dimension
    let k = trained.conditionEncoding.dimension
    guard k > 0 else {
      throw CLIError("\(model): the model is unconditional; --condition-grid needs a conditional model")
    }
    guard axes.count == k else {
      throw CLIError("--condition-grid has \(axes.count) axis/axes, the model takes \(k) condition(s)")
    }
    guard observations.columns == d else {
      throw CLIError(
        "\(source): the model's data have \(d) column(s), the points have \(observations.columns) "
          + "(with --condition-grid, give the data columns only: θ comes from the grid)")
    }
    let nodes = axes.reduce(1) { $0 * $1.count }
    let (pairs, overflow) = nodes.multipliedReportingOverflow(by: observations.rows)
    guard !overflow && pairs <= PosteriorOptions.maximumPairs else {
      throw CLIError(
        "--condition-grid: \(observations.rows) point(s) × \(nodes) node(s) = \(overflow ? "too many" : String(pairs)) "
          + "likelihoods, more than the limit of \(PosteriorOptions.maximumPairs); use fewer nodes or points")
    }
    return try ParameterGridPosterior(observations: observations, axes: axes, prior: prior) {
      points, conditions in
      var table = Matrix<Double>(rows: points.rows, columns: d + k)
      for i in 0..<points.rows {
        for j in 0..<d { table[i, j] = points[i, j] }
        for j in 0..<k { table[i, d + j] = conditions[i, j] }
      }
      return try NLLCommand.negativeLogLikelihoods(
        of: table, under: trained, integration: integration, source: source
      ).map { -$0 }
    }
  }
}
