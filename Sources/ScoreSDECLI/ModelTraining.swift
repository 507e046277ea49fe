import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// What `train` and `demo` need to know to fit a model.
struct TrainingSettings {
  var process: SDEDescription
  var architecture: ArchitectureOption = .mlp
  var width: Int
  var depth: Int
  var configuration: TrainingConfiguration
  /// Columns of a data file (0-based) that are conditions rather than data.
  var conditionColumns: [Int] = []
}

/// A fitted model and how the fit went.
struct TrainingOutcome<Network: ScoreNetwork> where Network.Scalar == Float {
  let model: TrainedModel<Network>
  /// `(step, loss, smoothed loss)` at up to 500 evenly spaced steps.
  let losses: [(step: Int, loss: Double, smoothed: Double)]
  let stepsPerSecond: Double
  let seconds: Double
}

/// Training shared by `score-sde train` and `score-sde demo`: Float precision, data
/// standardised per column, a progress bar on standard error.
enum ModelTraining {
  static func train<Network: CommandLineNetwork>(
    _ input: DataInput, network: Network.Type, settings: TrainingSettings, label: String
  ) throws -> TrainingOutcome<Network> {
    if input.isFile {
      let (raw, _) = try input.load(count: 0, seed: 0)
      let data = try conditionsMovedToEnd(
        raw, conditionColumns: settings.conditionColumns, source: input.argument)
      // Standardised in Double before the rows become Float: a Float copy of 1e9 + N(0, 1) is
      // all 1e9. The source carries the standardisation; the trainer records it in the model.
      let source: DatasetSource<Float>
      do {
        source = try DatasetSource<Float>(
          standardizing: data, conditioningColumns: settings.conditionColumns.count, source: input.argument)
      } catch {
        throw error.inFileColumns(conditionColumns: settings.conditionColumns, of: raw.columns)
      }
      return try run(
        source: source, network: network, standardizer: nil, settings: settings, label: label,
        name: input.argument)
    }
    guard settings.conditionColumns.isEmpty else {
      throw CLIError(
        "--condition-columns applies to data files; built-in families carry their parameter column")
    }
    return try train(
      distribution: input.distribution(), network: network, settings: settings,
      label: label, name: input.argument)
  }

  static func train<D: DataDistribution, Network: CommandLineNetwork>(
    distribution: D, network: Network.Type, settings: TrainingSettings, label: String, name: String
  ) throws -> TrainingOutcome<Network> {
    let source = DistributionSource<D, Float>(distribution)
    let standardizer = try source.fitStandardizer(count: 10_000, seed: settings.configuration.seed &+ 1)
    return try run(
      source: source, network: network, standardizer: standardizer, settings: settings, label: label,
      name: name)
  }

  /// Trains on `source`, standardised batch by batch with `standardizer` when it is given (a
  /// source that standardised its rows itself takes `nil`).
  static func run<Source: TrainingDataSource, Network: CommandLineNetwork>(
    source: Source, network: Network.Type, standardizer: Standardizer?, settings: TrainingSettings,
    label: String,
    name: String
  ) throws -> TrainingOutcome<Network> where Source.Scalar == Float {
    if let failure = settings.process.validationFailure { throw CLIError("--sde: \(failure)") }
    // A malformed SOURCE_DATE_EPOCH would otherwise fail only once training is over.
    _ = try TrainingSummary.sourceDateEpoch()
    let encoding = ConditionEncoding.training(
      conditioningColumns: source.conditioningColumns,
      conditionDropout: settings.configuration.conditionDropout)
    let architecture = Network.configuration(
      dimension: source.dataColumns, conditionColumns: encoding.networkColumns, width: settings.width,
      depth: settings.depth)
    var trainer = try Trainer(
      process: StandardSDE<Float>(settings.process), network: network, architecture: architecture,
      source: source,
      configuration: settings.configuration, standardizer: standardizer)
    trainer.threads = Workers.count
    let steps = settings.configuration.steps
    var bar = ProgressBar(label: label, total: steps)
    var losses: [(step: Int, loss: Double, smoothed: Double)] = []
    let every = max(1, steps / 500)
    var rate = 0.0
    var seconds = 0.0
    try trainer.train { p in
      if p.step % every == 0 || p.step == p.totalSteps { losses.append((p.step, p.loss, p.smoothedLoss)) }
      rate = p.stepsPerSecond
      seconds = p.elapsedSeconds
      bar.update(
        p.step, detail: String(format: "loss %.4f  %.0f steps/s", p.smoothedLoss, p.stepsPerSecond),
        etaSeconds: p.estimatedSecondsRemaining)
    }
    bar.finish()
    return TrainingOutcome(
      model: try trainer.trainedModel(data: name), losses: losses, stepsPerSecond: rate, seconds: seconds)
  }

  /// The data with the named columns moved to the end, where the trainer expects conditions.
  static func conditionsMovedToEnd(_ data: Matrix<Double>, conditionColumns: [Int], source: String) throws
    -> Matrix<Double>
  {
    guard !conditionColumns.isEmpty else { return data }
    for c in conditionColumns where c < 0 || c >= data.columns {
      throw CLIError(
        "\(source): --condition-columns names column \(c), but the data has columns 0…\(data.columns - 1)")
    }
    guard Set(conditionColumns).count == conditionColumns.count else {
      throw CLIError("--condition-columns names a column twice: \(conditionColumns)")
    }
    guard conditionColumns.count < data.columns else {
      throw CLIError("\(source): every column is a condition; at least one must be data")
    }
    let order = (0..<data.columns).filter { !conditionColumns.contains($0) } + conditionColumns
    var out = Matrix<Double>(rows: data.rows, columns: data.columns)
    for i in 0..<data.rows { for (j, c) in order.enumerated() { out[i, j] = data[i, c] } }
    return out
  }
}

extension DataError {
  /// The error with its column counted as in the file, before
  /// ``ModelTraining/conditionsMovedToEnd(_:conditionColumns:source:)`` moved `conditionColumns`
  /// (0-based, of a file of `columns` columns) to the end.
  func inFileColumns(conditionColumns: [Int], of columns: Int) -> DataError {
    let order = (0..<columns).filter { !conditionColumns.contains($0) } + conditionColumns
    switch self {
    case .constantColumn(let source, let column, let value):
      return .constantColumn(source: source, column: order[column], value: value)
    case .spreadOutOfRange(let source, let column):
      return .spreadOutOfRange(source: source, column: order[column])
    case .nonFinite(let source, let row, let column, let value, let count):
      return .nonFinite(source: source, row: row, column: order[column], value: value, count: count)
    default:
      return self
    }
  }
}
