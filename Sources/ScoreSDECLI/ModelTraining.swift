import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// What `train` and `demo` need to know to fit a model.
struct TrainingSettings {
  var process: SDEDescription
  var width: Int
  var depth: Int
  var configuration: TrainingConfiguration
  /// Columns of a data file (0-based) that are conditions rather than data.
  var conditionColumns: [Int] = []
  /// The fraction of a data file's rows held out, or `nil` for the default
  /// (``ModelTraining/defaultValidationFraction(rows:)``).
  var validationFraction: Double? = nil
  /// Held-out evaluations without improvement before training stops (`nil`: the default, 20;
  /// 0: never stop early, but still keep the best weights).
  var patience: Int? = nil
  /// Steps between held-out evaluations (`nil`: `max(1, steps / 100)`).
  var validationInterval: Int? = nil
  /// Which data columns of a file are integer-valued and dequantised in training.
  var integerColumns: IntegerColumns = .auto
  /// The parameter encoding in front of the network (`nil`: the conditions as they are).
  var conditionEncoding: ParameterEncoding? = nil
  /// Whether a `.npy` file is read through a memory map (`nil`: when it is large,
  /// ``ModelTraining/memoryMapThresholdBytes``).
  var memoryMap: Bool? = nil
  /// `--transform`: monotone maps of data columns, fitted on the training rows (TransformOption).
  var transforms: [TransformOption] = []
  /// Whether a data file read into memory, with held-out rows, is offered the default transforms
  /// when `transforms` is empty (``TransformPlan/defaultTransforms(besides:training:heldOut:)``);
  /// `--transform none` turns it off.
  var defaultTransforms = false
  /// The size-aware settings the user gave, still to be resolved from the data's size (`nil`:
  /// `width`, `depth` and `configuration` are final).
  var sizeAwareChoices: SizeAwareChoices? = nil

  /// The patience in force: `patience`, 10 by default, `nil` when 0 turned stopping off.
  var resolvedPatience: Int? {
    let p = patience ?? ModelTraining.defaultPatience
    return p > 0 ? p : nil
  }

  /// The evaluation interval in force.
  var resolvedValidationInterval: Int { validationInterval ?? max(1, configuration.steps / 100) }
}

/// The rows a run held out, in data units, and what became of the run on them.
struct HeldOutRun {
  /// The held-out rows (conditions, if any, at the end), data units.
  let rows: Matrix<Double>
  /// The training rows, data units.
  let trainingRows: Matrix<Double>
  /// The fraction held out.
  let fraction: Double
  /// The best step, its loss, whether patience ran out.
  let summary: ValidationSummary
  /// The Gaussian fitted to the training rows, when it exists (unconditional data whose
  /// covariance is positive definite).
  let baseline: GaussianBaseline?
  /// Why there is no baseline, when ``baseline`` is `nil` for another reason than a singular
  /// covariance.
  var missingBaselineReason: String? = nil
  /// The dequantised columns (data-column numbers) and bin widths; `rows` and `trainingRows`
  /// are then dequantised once, with fixed draws.
  let dequantization: Dequantization?
}

/// `--integer-columns`: detect the integer-valued columns, none, or the columns named.
enum IntegerColumns: Equatable {
  case auto
  case none
  /// 0-based columns of the file.
  case list([Int])

  /// `auto`, `none` or comma-separated column numbers.
  init(argument: String) throws {
    switch argument.lowercased() {
    case "auto": self = .auto
    case "none": self = .none
    default:
      self = .list(
        try argument.split(separator: ",").map { part in
          guard let c = Int(part.trimmingCharacters(in: .whitespaces)), c >= 0 else {
            throw CLIError("--integer-columns: '\(part)' is not a column number (or say auto or none)")
          }
          return c
        })
    }
  }

  /// The dequantisation of the data columns of `data` (the file's rows with its condition
  /// columns, `conditionColumns` of a `fileColumns`-column file, moved to the end), or `nil`.
  func dequantization(
    of data: Matrix<Double>, conditionColumns: [Int], fileColumns: Int, source: String
  ) throws -> Dequantization? {
    let d = data.columns - conditionColumns.count
    switch self {
    case .none: return nil
    case .auto:
      let found = Dequantization.integerColumns(of: data, limit: d)
      return found.isEmpty ? nil : Dequantization(columns: found)
    case .list(let columns):
      let dataOrder = (0..<fileColumns).filter { !conditionColumns.contains($0) }
      guard Set(columns).count == columns.count else {
        throw CLIError("--integer-columns names a column twice: \(columns)")
      }
      let mapped = try columns.map { c -> Int in
        guard c < fileColumns else {
          throw CLIError(
            "\(source): --integer-columns names column \(c), but the data has columns 0…\(fileColumns - 1)")
        }
        guard let j = dataOrder.firstIndex(of: c) else {
          throw CLIError(
            "\(source): --integer-columns names column \(c), which --condition-columns makes a condition")
        }
        for i in 0..<data.rows where data[i, j].rounded() != data[i, j] {
          throw CLIError(
            "\(source): --integer-columns names column \(c), but row \(i + 1) holds \(data[i, j]), not an integer"
          )
        }
        return j
      }
      return mapped.isEmpty ? nil : Dequantization(columns: mapped)
    }
  }
}

/// A fitted model and how the fit went.
struct TrainingOutcome<Network: ScoreNetwork> where Network.Scalar == Float {
  var model: TrainedModel<Network>
  /// `(step, loss, smoothed loss)` at up to 500 evenly spaced steps.
  let losses: [(step: Int, loss: Double, smoothed: Double)]
  let stepsPerSecond: Double
  let seconds: Double
  /// The held-out rows and the validation's outcome, when the run had a validation split.
  var heldOut: HeldOutRun? = nil
  /// What the default column transforms came to, and why, when they were considered.
  var transformNote: String? = nil

  /// Records the held-out split in the model's validation summary (its fraction and row count)
  /// and as ``heldOut``, when rows were held out and the run validated on them.
  mutating func recordHeldOut(
    _ rows: Matrix<Double>?, trainingRows: Matrix<Double>, fraction: Double, baseline: GaussianBaseline?,
    missingBaselineReason: String? = nil, dequantization: Dequantization?
  ) {
    guard let rows, let summary = model.training.validation else { return }
    var recorded = summary
    recorded.heldOutFraction = fraction
    recorded.heldOutRows = rows.rows
    model.training.validation = recorded
    heldOut = HeldOutRun(
      rows: rows, trainingRows: trainingRows, fraction: fraction, summary: recorded, baseline: baseline,
      missingBaselineReason: missingBaselineReason, dequantization: dequantization)
  }
}

/// Training shared by `score-sde train` and `score-sde demo`: Float precision, data
/// standardised per column, a progress bar on standard error.
enum ModelTraining {
  /// Data files with fewer rows than this hold out a validation split by default.
  static let smallDataRows = 5_000
  /// The fraction held out by default from a small data file.
  static let defaultSmallDataFraction = 0.2
  /// Held-out evaluations without improvement before training stops, by default.
  static let defaultPatience = 20

  /// The default validation fraction of a data file of `rows` rows: 0.2 below
  /// ``smallDataRows`` rows, where a model can memorise its data, 0 (no split) from there on.
  static func defaultValidationFraction(rows: Int) -> Double {
    rows < smallDataRows ? defaultSmallDataFraction : 0
  }

  /// Trains a `network` on prepared data: a file in memory with its validation split, a
  /// memory-mapped file, or a built-in density.
  static func train<Network: CommandLineNetwork>(
    _ prepared: PreparedTraining, network: Network.Type, label: String
  ) throws -> TrainingOutcome<Network> {
    let settings = prepared.settings(for: network)
    let name = prepared.input.argument
    guard let file = prepared.file else {
      if prepared.input.isFile {
        return try trainMapped(prepared.input, network: network, settings: settings, label: label)
      }
      return try train(
        distribution: prepared.input.distribution(), network: network, settings: settings, label: label,
        name: name)
    }
    var outcome: TrainingOutcome<Network>
    if let dequantization = file.dequantization {
      outcome = try run(
        source: DequantizedSource(file.source, dequantization: dequantization), network: network,
        standardizer: nil, settings: settings, label: label, name: name, heldOut: file.standardizedHeldOut)
      outcome.model.dequantization = dequantization
    } else {
      outcome = try run(
        source: file.source, network: network, standardizer: nil, settings: settings, label: label,
        name: name, heldOut: file.standardizedHeldOut)
    }
    outcome.model.columnTransforms = file.transforms
    outcome.transformNote = file.transformNote
    outcome.model.dataRange = dataRange(
      of: file.trainingRows, dimension: outcome.model.dimension, transforms: file.transforms,
      standardizer: file.source.appliedStandardizer!, dequantization: file.dequantization)
    // The baseline a density of the data columns must beat; a conditional model's density is
    // of x given c, which one Gaussian of x does not measure.
    if settings.conditionColumns.isEmpty {
      outcome.model.gaussianBaseline = try? GaussianBaseline(fitting: file.measuredTraining, source: name)
    }
    outcome.recordHeldOut(
      file.measuredHeldOut, trainingRows: file.measuredTraining, fraction: file.fraction,
      baseline: outcome.model.gaussianBaseline, dequantization: file.dequantization)
    return outcome
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
    name: String, heldOut: Matrix<Float>? = nil
  ) throws -> TrainingOutcome<Network> where Source.Scalar == Float {
    var settings = settings
    settings.process = try ProcessOption.resolved(settings.process, dataDimension: source.dataColumns)
    if let failure = settings.process.validationFailure { throw CLIError("--sde: \(failure)") }
    if settings.process.hasIsotropicKernel {
      return try run(
        process: StandardSDE<Float>(settings.process), source: source, network: network,
        standardizer: standardizer, settings: settings, label: label, name: name, heldOut: heldOut)
    }
    let process: StandardLinearSDE<Float>
    do {
      process = try StandardLinearSDE<Float>(settings.process)
    } catch {
      throw CLIError("--sde \(settings.process.name): the process cannot be built in Float: \(error)")
    }
    return try run(
      process: process, source: source, network: network, standardizer: standardizer, settings: settings,
      label: label, name: name, heldOut: heldOut)
  }

  /// Trains on `source` for `process` (a ``StandardSDE`` or a ``StandardLinearSDE``).
  static func run<Process: LinearGaussianSDE, Source: TrainingDataSource, Network: CommandLineNetwork>(
    process: Process, source: Source, network: Network.Type, standardizer: Standardizer?,
    settings: TrainingSettings, label: String, name: String, heldOut: Matrix<Float>?
  ) throws -> TrainingOutcome<Network> where Source.Scalar == Float, Process.Scalar == Float {
    // A malformed SOURCE_DATE_EPOCH would otherwise fail only once training is over.
    _ = try TrainingSummary.sourceDateEpoch()
    let encoding = ConditionEncoding.training(
      conditioningColumns: source.conditioningColumns,
      conditionDropout: settings.configuration.conditionDropout)
    var parameterEncoding: ParameterEncodingConfiguration? = nil
    if let kind = settings.conditionEncoding {
      parameterEncoding = try ModelTraining.parameterEncoding(
        kind, source: source, standardizer: standardizer,
        passthrough: encoding.hasMaskColumn ? 1 : 0, seed: settings.configuration.seed)
    }
    let architecture = Network.configuration(
      dimension: process.stateDimension(dataDimension: source.dataColumns),
      conditionColumns: encoding.networkColumns, width: settings.width,
      depth: settings.depth, encoding: parameterEncoding)
    var trainer = try Trainer(
      process: process, network: network, architecture: architecture,
      source: source,
      configuration: settings.configuration, standardizer: standardizer)
    trainer.threads = Workers.count
    let steps = settings.configuration.steps
    var bar = ProgressBar(label: label, total: steps)
    var losses: [(step: Int, loss: Double, smoothed: Double)] = []
    let every = max(1, steps / 500)
    var rate = 0.0
    var seconds = 0.0
    var heldOutText = ""
    let progress = { (p: TrainingProgress) in
      if p.step % every == 0 || p.step == p.totalSteps { losses.append((p.step, p.loss, p.smoothedLoss)) }
      rate = p.stepsPerSecond
      seconds = p.elapsedSeconds
      bar.update(
        p.step,
        detail: String(format: "loss %.4f  %.0f steps/s", p.smoothedLoss, p.stepsPerSecond) + heldOutText,
        etaSeconds: p.estimatedSecondsRemaining)
    }
    guard let heldOut else {
      try trainer.train(progress: progress)
      bar.finish()
      return TrainingOutcome(
        model: try trainer.trainedModel(data: name), losses: losses, stepsPerSecond: rate, seconds: seconds)
    }
    // Enough (time, noise) draws per held-out row for a steady loss, at most 16 384 rows in all.
    var policy = ValidationPolicy(
      data: heldOut, interval: settings.resolvedValidationInterval, patience: settings.resolvedPatience,
      drawsPerRow: max(1, min(8, 16_384 / heldOut.rows)))
    policy.likelihoodInterval = likelihoodInterval
    let likelihood = heldOutLikelihood(
      of: heldOut, dataColumns: source.dataColumns, process: process, settings: settings, encoding: encoding,
      logAbsDeterminant: source.appliedStandardizer?.logAbsDeterminant ?? 0, network: network)
    var best = (step: 0, loss: Double.infinity)
    var nllText = ""
    let outcome = try trainer.train(validation: policy, likelihood: likelihood, progress: progress) { point in
      if point.isBest { best = (point.step, point.loss) }
      if let nll = point.negativeLogLikelihood {
        nllText = String(format: ", NLL %.2f at %d", nll, point.step)
      }
      heldOutText =
        String(format: "  held-out %.4f (best %.4f at %d", point.loss, best.loss, best.step) + nllText + ")"
    }
    bar.finish()
    return TrainingOutcome(
      model: try trainer.trainedModel(keeping: outcome, data: name), losses: losses, stepsPerSecond: rate,
      seconds: seconds)
  }

  /// The file column of each training column: the data columns in order, then
  /// `conditionColumns`; a one-line error when they are out of range, repeated or all columns.
  static func columnOrder(columns: Int, conditionColumns: [Int], source: String) throws -> [Int] {
    for c in conditionColumns where c < 0 || c >= columns {
      throw CLIError(
        "\(source): --condition-columns names column \(c), but the data has columns 0…\(columns - 1)")
    }
    guard Set(conditionColumns).count == conditionColumns.count else {
      throw CLIError("--condition-columns names a column twice: \(conditionColumns)")
    }
    guard conditionColumns.count < columns else {
      throw CLIError("\(source): every column is a condition; at least one must be data")
    }
    return (0..<columns).filter { !conditionColumns.contains($0) } + conditionColumns
  }

  /// The data with the named columns moved to the end, where the trainer expects conditions.
  static func conditionsMovedToEnd(_ data: Matrix<Double>, conditionColumns: [Int], source: String) throws
    -> Matrix<Double>
  {
    guard !conditionColumns.isEmpty else { return data }
    let order = try columnOrder(columns: data.columns, conditionColumns: conditionColumns, source: source)
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
