import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

extension SamplerName: ExpressibleByArgument {}

/// `score-sde sample`: draw new samples from a trained model.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample", abstract: "Draw samples from a trained model into a .npy or .csv file.")

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(help: "Number of samples.")
  var count: Int = 1000

  @Option(help: "Where to write the samples (.npy or .csv), in the data's units.")
  var out: String

  @Option(
    help:
      "em, pc, ancestral, ode (RK4), euler or heun (probability flow), adaptive (Dormand–Prince), dpm (DPM-Solver++)."
  )
  var sampler: SamplerName = .eulerMaruyama

  @Option(help: "Number of steps (default: 1000 for em/pc/ancestral, 100 for ode/euler/heun, 20 for dpm).")
  var steps: Int?

  @Option(help: "DPM-Solver++ order, 1, 2 or 3 (--sampler dpm only; default 2).")
  var order: Int?

  @Option(help: "Langevin corrector signal-to-noise ratio r > 0 (--sampler pc only; default 0.16).")
  var snr: Double?

  @Option(help: "Random seed: the same seed gives the same samples, whatever the batching.")
  var seed: UInt64 = 0

  @Option(help: "Conditioning values for a conditional model, comma-separated, in the data's units.")
  var condition: String?

  @Option(
    help: "Classifier-free guidance weight w: (1+w)·s(x|c) − w·s(x) (needs --condition-dropout in training).")
  var guidance: Double = 0

  @Option(help: "Also write a scatter plot of the first two columns (.svg).")
  var plot: String?

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    if let order {
      guard sampler == .dpmSolver else { throw ValidationError("--order applies to --sampler dpm only") }
      guard (1...3).contains(order) else { throw ValidationError("--order must be 1, 2 or 3") }
    }
    if let snr {
      guard sampler == .predictorCorrector else {
        throw ValidationError("--snr applies to --sampler pc only")
      }
      guard snr.isFinite, snr > 0 else { throw ValidationError("--snr must be positive") }
    }
    guard guidance.isFinite, guidance >= 0 else { throw ValidationError("--guidance must be ≥ 0") }
    if let plot, URL(fileURLWithPath: plot).pathExtension.lowercased() != "svg" {
      throw ValidationError("--plot must name an .svg file, got '\(plot)'")
    }
  }

  func run() throws {
    let format = try OutputFormat(out)
    try checkWritableDirectory(of: URL(fileURLWithPath: out))
    if let plot { try checkWritableDirectory(of: URL(fileURLWithPath: plot)) }
    let url = try existingFile(model)
    var options = SamplingOptions<Float>(kind: kind, seed: seed)
    options.threads = Workers.count
    options.batchSize = Workers.samplingBatch
    let samples = try Drawing(command: self, options: options).run(modelAt: url)
    try format.write(samples, to: out)
    if let plot, samples.columns >= 2 {
      try Plots.scatter(samples: samples, title: "\(count) samples (\(sampler.rawValue))").write(
        to: URL(fileURLWithPath: plot))
    }
  }

  /// The sampler kind `--sampler`, `--steps`, `--order` and `--snr` describe.
  var kind: SamplerKind<Float> {
    switch sampler {
    case .dpmSolver: return .dpmSolver(steps: steps ?? 20, order: order ?? 2)
    case .predictorCorrector:
      return .predictorCorrector(
        steps: steps ?? 1000, corrector: LangevinOptions(signalToNoiseRatio: Float(snr ?? 0.16)))
    default: return SamplerKind(sampler, steps: steps)
    }
  }

  /// Samples in chunks of 1024 rows (identical to one batch: each row has its own noise
  /// stream and its own place in the model's row tiles), with a progress bar, mapped back to
  /// the data's units.
  func draw<Network: ScoreNetwork>(
    _ trained: TrainedModel<Network>, options: SamplingOptions<Float>
  ) throws -> Matrix<Double> where Network.Scalar == Float {
    let k = trained.conditionEncoding.dimension
    let values = try condition.map { try parseValues($0, option: "--condition") }
    switch (k, values) {
    case (0, nil): break
    case (0, .some): throw CLIError("\(model): the model is unconditional; drop --condition")
    case (_, nil): throw CLIError("\(model): the model is conditional on \(k) value(s): pass --condition")
    case (_, .some(let v)) where v.count != k:
      throw CLIError("--condition has \(v.count) value(s), the model takes \(k)")
    default: break
    }
    if guidance > 0 && !trained.conditionEncoding.hasMaskColumn {
      throw CLIError("--guidance needs a conditional model trained with --condition-dropout > 0")
    }
    let started = Date()
    var bar = ProgressBar(label: "sample", total: count)
    var result = Matrix<Float>(rows: count, columns: trained.dimension)
    var nfe = 0
    for first in stride(from: 0, to: count, by: 1024) {
      let n = min(1024, count - first)
      let chunk: SamplingResult<Float>
      if let v = values, guidance > 0 {
        let guided = ClassifierFreeGuidance(
          model: trained.scoreModel(), condition: trained.networkCondition(v), weight: Float(guidance))
        chunk = try Sampler(process: trained.sde, score: guided, options: options).sample(
          count: n, dimension: trained.dimension, firstRow: first)
      } else {
        let score = values.map { trained.scoreModel(conditionInDataUnits: $0) } ?? trained.scoreModel()
        chunk = try Sampler(process: trained.sde, score: score, options: options).sample(
          count: n, dimension: trained.dimension, firstRow: first)
      }
      nfe = chunk.statistics.scoreEvaluations
      result.copyRows(0..<n, of: chunk.samples, to: first)
      bar.update(first + n)
    }
    bar.finish()
    trained.toDataScale(&result)
    guard result.isFinite else { throw CLIError("sampling produced non-finite values; try more --steps") }
    let seconds = Date().timeIntervalSince(started)
    print(
      String(
        format: "wrote %d samples to %@ (sampler %@, %d score evaluations per sample, %.2f s)", count, out,
        options.kind.name.rawValue, nfe, seconds))
    return Matrix(rows: result.rows, columns: result.columns, elements: result.elements.map { Double($0) })
  }
}

/// `sample`'s work on a model of any network.
struct Drawing: TrainedModelTask {
  typealias Scalar = Float
  let command: SampleCommand
  let options: SamplingOptions<Float>

  func run<Network: ScoreNetwork>(_ model: TrainedModel<Network>) throws -> Matrix<Double>
  where Network.Scalar == Float {
    try command.draw(model, options: options)
  }
}

/// The URL of a file that must exist, or a one-line error.
func existingFile(_ path: String) throws -> URL {
  guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
  return URL(fileURLWithPath: path)
}
