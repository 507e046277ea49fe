import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks
import Thermodynamics

/// `score-sde thermo`: a trained model's forward process as nonequilibrium physics — the entropy
/// production rate against time and its integral, the speciation time estimate, and the
/// likelihood bound beside the exact probability-flow NLL.
struct ThermoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "thermo",
    abstract: "Entropy production, speciation time and the likelihood bound of a trained model.",
    discussion: """
      Entropy production uses the model's score on points of p_t (the data, or the model's own \
      samples, perturbed by the forward kernel), in the model's standardised units. The bound \
      (Song et al. 2021) is for the reverse SDE, the NLL for the probability-flow ODE: two \
      different models, reported side by side, not ordered.
      """)

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(
    help: "Points of the data: a .npy / .csv file or a built-in density's name; default: the model's samples."
  )
  var data: String?

  @Option(
    help: "Number of points (fresh samples of a density or of the model; at most this many rows of a file).")
  var count: Int = 500

  @Option(help: "Number of times at which the rate is printed (log-spaced from 1e-3 to T).")
  var times: Int = 12

  @Option(help: "Random times for the integral of the entropy production and for the likelihood bound.")
  var rounds: Int = 100

  @Option(
    name: .customLong("bound-points"), help: "Points whose likelihood bound and exact NLL are compared.")
  var boundPoints: Int = 50

  @Option(help: "Write the entropy production rates against time to this .svg file.")
  var plot: String?

  @Option(help: "Seed for every random draw.")
  var seed: UInt64 = 1

  func validate() throws {
    guard count >= 2 else { throw ValidationError("--count must be at least 2") }
    guard times >= 2 else { throw ValidationError("--times must be at least 2") }
    guard rounds >= 2 else { throw ValidationError("--rounds must be at least 2") }
    guard boundPoints >= 1 else { throw ValidationError("--bound-points must be at least 1") }
    if let plot, !plot.lowercased().hasSuffix(".svg") {
      throw ValidationError("--plot must name an .svg file, got '\(plot)'")
    }
  }

  func run() throws {
    let input = data.map(DataInput.init(argument:))
    var outputs = CommandOutputs(
      inputs: [("--model", model)] + ((input?.isFile ?? false) ? [("--data", data!)] : []))
    let plotFile = try plot.map { try outputs.add($0, option: "--plot") }
    var points: Matrix<Double>?
    if let input {
      let loaded = try input.load(count: count, seed: seed).data
      points = loaded.rows > count ? loaded.rows(0..<count) : loaded
    }
    let report = try ThermoReport(command: self, points: points).run(modelAt: URL(fileURLWithPath: model))
    if let plotFile {
      let series = [
        ("total", "#c0392b", report.rates.map(\.total.mean)),
        ("system", "#2980b9", report.rates.map(\.system.mean)),
        ("medium", "#27ae60", report.rates.map(\.medium.mean)),
      ].map { name, color, values in
        PlotSeries(name: name, points: zip(report.times, values).map { ($0, $1) }, color: color)
      }
      let svg = Plots.lines(
        series, title: "Entropy production of the forward process", xLabel: "t",
        yLabel: "rate (nats per unit time)",
        logX: true, markers: true)
      try plotFile.write(svg.rendered)
    }
    try outputs.commit()
    print("entropy production of the forward process (model units; mean ± standard error):")
    print("         t     total Ṡ_tot      system dS/dt      medium Ṡ_m")
    for (t, r) in zip(report.times, report.rates) {
      print(
        String(
          format: "%10.4g  %8.4f ± %-6.4f  %8.4f ± %-6.4f  %8.4f ± %-6.4f", t, r.total.mean,
          r.total.standardError,
          r.system.mean, r.system.standardError, r.medium.mean, r.medium.standardError))
    }
    let i = report.integral
    print(
      String(
        format:
          "integral over [%.3g, %.3g]: total %.4f ± %.4f = system %.4f ± %.4f + medium %.4f ± %.4f nats",
        report.times.first!, report.times.last!, i.total.mean, i.total.standardError, i.system.mean,
        i.system.standardError, i.medium.mean, i.medium.standardError))
    print(
      String(
        format: "speciation time estimate %.4f (largest data-covariance eigenvalue %.4g; Biroli et al. 2024)",
        report.speciationTime, report.largestEigenvalue))
    print(
      String(
        format:
          "mean likelihood bound %.4f ± %.4f nats (reverse SDE) beside mean exact NLL %.4f ± %.4f nats (probability-flow ODE), %d points",
        report.bound.mean, report.bound.standardError, report.nll.mean, report.nll.standardError,
        report.nll.count))
    if let plot { print("wrote the rates to \(plot)") }
  }
}

/// What `thermo` computes on a model of any network.
struct ThermoReport: TrainedModelTask {
  typealias Scalar = Double
  let command: ThermoCommand
  let points: Matrix<Double>?

  struct Output {
    var times: [Double]
    var rates: [EntropyProductionEstimate]
    var integral: EntropyProductionEstimate
    var speciationTime: Double
    var largestEigenvalue: Double
    var bound: MonteCarloEstimate
    var nll: MonteCarloEstimate
  }

  func run<Network: ScoreNetwork>(_ trained: TrainedModel<Network>) throws -> Output
  where Network.Scalar == Double {
    try trained.requireIsotropicKernel(command: "thermo", path: command.model)
    guard trained.conditionEncoding.dimension == 0 else {
      throw CLIError("\(command.model): thermo takes an unconditional model; this one is conditional")
    }
    guard trained.columnTransforms == nil else {
      throw CLIError(
        "\(command.model): thermo takes a model trained with --transform none (its densities are in model units; "
          + "train applies kernel quantile maps to a data file by default)")
    }
    let d = trained.dimension
    let sde = trained.sde
    let score = trained.scoreModel()
    var x: Matrix<Double>
    if var given = points {
      guard given.columns == d else {
        throw CLIError("\(command.data!): the model takes \(d) column(s), the data has \(given.columns)")
      }
      trained.toModelScale(&given)
      x = given
    } else {
      var options = SamplingOptions<Double>(kind: .dpmSolver(steps: 20, order: 3), seed: command.seed)
      options.threads = Workers.count
      x = try Sampler(process: sde, score: score, options: options).sample(count: command.count, dimension: d)
        .samples
    }
    var rng = Xoshiro256(seed: command.seed, stream: 1)
    let ep = EntropyProduction(process: sde, score: score)
    let start = 1e-3
    let end = sde.endTime
    let times = (0..<command.times).map {
      start * Double.pow(end / start, Double($0) / Double(command.times - 1))
    }
    let rates = times.map { ep.rates(at: $0, data: x, using: &rng) }
    let integral = ep.integrated(from: start, to: end, data: x, rounds: command.rounds, using: &rng)
    let eigenvalues = try x.covariance().symmetricEigendecomposition().values
    let speciation = Speciation.estimatedTime(process: sde, largestEigenvalue: eigenvalues.last!)
    let subset = x.rows(0..<min(command.boundPoints, x.rows))
    let bound = ScoreLikelihoodBound(process: sde, score: score)
      .negativeLogLikelihoodBound(of: subset, rounds: command.rounds, seed: command.seed)
    let correction = trained.logDensityCorrection
    let flow = try ProbabilityFlowLikelihood(process: sde, score: score).logLikelihood(of: subset)
    return Output(
      times: times, rates: rates, integral: integral, speciationTime: speciation,
      largestEigenvalue: eigenvalues.last!,
      bound: MonteCarloEstimate(
        mean: bound.mean.mean - correction, standardError: bound.mean.standardError, count: bound.mean.count),
      nll: MonteCarloEstimate(flow.logLikelihoods.map { -($0 + correction) }))
  }
}
