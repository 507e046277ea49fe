import Datasets
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// What a run trains on, read and prepared before the network is chosen, so that the data's
/// size can choose it: a data file read into memory (split, mapped, dequantised, standardised),
/// a `.npy` file read through a memory map, or a built-in density.
struct PreparedTraining {
  /// The data as named on the command line.
  let input: DataInput
  /// The settings as given, with the size-aware ones still open.
  let given: TrainingSettings
  /// The settings in force: sizes resolved for the data (a file in memory) or the standard ones.
  let settings: TrainingSettings
  /// The rows, when they are in memory.
  let file: PreparedFile?

  /// The settings for `Network`: a network without dropout (the encoded-condition MLP) trains
  /// without it unless `--dropout` asked for it (and the trainer then says why it cannot).
  func settings<Network: ScoreNetwork>(for _: Network.Type) -> TrainingSettings {
    var chosen = settings
    if !Network.supportsDropout && given.sizeAwareChoices?.dropout == nil { chosen.configuration.dropout = 0 }
    return chosen
  }

  /// The network `train` builds when `--architecture` is not given: the residual MLP for a data
  /// file read into memory with fewer than ``ModelTraining/smallDataRows`` rows (the tables that
  /// get a validation split by default) and no `--condition-encoding`, the plain MLP otherwise.
  ///
  /// Measured with `Benchmarks/tabular_benchmark.py` (same seed, split and other defaults), the
  /// residual network took the samples' SW ratio from 1.69 to 1.23 on breast cancer (455 rows ×
  /// 30 columns) and from 1.43 to 1.00 on digits (1 437 × 52), and the test NLL from 5.2 to 12.2
  /// and from 16.5 to 26.5 nats below the Gaussian's; wine (142 × 13) went from 1.8 to 3.6 nats
  /// below it at SW 1.05. It costs several times the MLP's time per step, which a small table
  /// affords; larger files keep the faster MLP.
  var defaultArchitecture: ArchitectureOption {
    guard let file, settings.conditionEncoding == nil, file.rows < ModelTraining.smallDataRows else {
      return .mlp
    }
    return .resmlp
  }
}

/// A data file's rows in memory, ready for the trainer: the training rows mapped and
/// standardised as the model will see them, and the held-out rows for validation.
struct PreparedFile {
  /// The standardised (and mapped) training rows.
  let source: DatasetSource<Float>
  /// The integer-valued data columns, dequantised in training.
  let dequantization: Dequantization?
  /// The fitted column maps, if any.
  let transforms: ColumnTransforms?
  /// What the default column maps came to, when they were considered.
  let transformNote: String?
  /// The training rows, data units.
  let trainingRows: Matrix<Double>
  /// The training rows as measured (integer columns dequantised once, with fixed draws).
  let measuredTraining: Matrix<Double>
  /// The held-out rows as measured, when rows are held out.
  let measuredHeldOut: Matrix<Double>?
  /// The held-out rows as the network sees them.
  let standardizedHeldOut: Matrix<Float>?
  /// The fraction held out.
  let fraction: Double

  /// The file's rows, training and held-out.
  var rows: Int { trainingRows.rows + (measuredHeldOut?.rows ?? 0) }
}

extension ModelTraining {
  /// Reads and prepares `input` for `settings`: a data file is loaded, checked, split, its
  /// integer columns found, its column maps fitted and its rows standardised; the size-aware
  /// settings are resolved for it. A memory-mapped file or a built-in density is checked against
  /// the options it cannot take.
  static func prepare(_ input: DataInput, settings given: TrainingSettings) throws -> PreparedTraining {
    // A data file plans SizeAwareDefaults.dataFileSteps (read into memory, its size then picks
    // the rest); a built-in density, sampled afresh every step, the standard settings.
    var defaults = SizeAwareDefaults.standard
    if input.isFile { defaults.steps = SizeAwareDefaults.dataFileSteps }
    let standard = given.resolvingSizes(defaults)
    if try usesMemoryMap(input, settings: standard) {
      guard standard.transforms.isEmpty else {
        throw CLIError("--transform needs the rows in memory; train \(input.argument) with --no-memory-map")
      }
      return PreparedTraining(input: input, given: given, settings: standard, file: nil)
    }
    if input.isFile {
      let (settings, file) = try prepareFile(input, settings: given)
      return PreparedTraining(input: input, given: given, settings: settings, file: file)
    }
    if case .list = standard.integerColumns {
      throw CLIError("--integer-columns applies to data files; \(input.argument) is a built-in density")
    }
    guard standard.transforms.isEmpty else {
      throw CLIError("--transform applies to data files; \(input.argument) is a built-in density")
    }
    if let fraction = standard.validationFraction, fraction > 0 {
      throw CLIError(
        "--validation holds out rows of a data file; \(input.argument) is a built-in density, whose "
          + "fresh samples cannot be memorised")
    }
    guard standard.conditionColumns.isEmpty else {
      throw CLIError(
        "--condition-columns applies to data files; built-in families carry their parameter column")
    }
    return PreparedTraining(input: input, given: given, settings: standard, file: nil)
  }

  /// A data file read into memory and prepared (see ``prepare(_:settings:)``), with the settings
  /// resolved for its size.
  static func prepareFile(_ input: DataInput, settings given: TrainingSettings) throws
    -> (TrainingSettings, PreparedFile)
  {
    let (raw, _) = try input.load(count: 0, seed: 0)
    let data = try conditionsMovedToEnd(raw, conditionColumns: given.conditionColumns, source: input.argument)
    // Found (or checked) on every row of the file, so that an error names the file's row.
    let plan = try TransformPlan(
      given.transforms, data: data, fileColumns: raw.columns, conditionColumns: given.conditionColumns,
      source: input.argument)
    let dequantization = try plan.reconciled(
      given.integerColumns.dequantization(
        of: data, conditionColumns: given.conditionColumns, fileColumns: raw.columns,
        source: input.argument), declared: given.integerColumns)
    let fraction = given.validationFraction ?? defaultValidationFraction(rows: data.rows)
    var trainingRows = data
    var heldOut: Matrix<Double>? = nil
    if fraction > 0 {
      // Its own stream of the seed: the split does not move when the run's draws do.
      var rng = Xoshiro256(seed: given.configuration.seed, stream: UInt64.max - 4)
      let split = trainTestSplit(data, testFraction: fraction, using: &rng)
      let usable = split.test.rows >= 1 && split.train.rows >= 2
      if usable {
        trainingRows = split.train
        heldOut = split.test
      } else if given.validationFraction != nil {
        // Asked for: say why it cannot be done. By default a file too small to split trains on
        // every row.
        throw CLIError(
          "\(input.argument): --validation \(fraction) of its \(data.rows) rows leaves \(split.test.rows) "
            + "held-out and \(split.train.rows) training rows; at least 1 and 2 are needed (--validation 0 "
            + "trains on every row)")
      }
    }
    let settings = given.resolvingSizes(
      SizeAwareDefaults(
        trainingRows: trainingRows.rows, columns: max(1, data.columns - given.conditionColumns.count)))
    // Standardised in Double before the rows become Float: a Float copy of 1e9 + N(0, 1) is
    // all 1e9. The source carries the standardisation (fitted on the training rows alone);
    // the trainer records it in the model.
    // The transforms are fitted on the training rows alone; the model sees T(x). By default,
    // kernel quantile maps when they predict the held-out rows better.
    let transforms: ColumnTransforms?
    var transformNote: String? = nil
    if settings.defaultTransforms, let heldOut {
      (transforms, transformNote) = plan.defaultTransforms(
        besides: dequantization, training: trainingRows, heldOut: heldOut)
    } else {
      transforms = try plan.fitted(to: trainingRows)
    }
    let source: DatasetSource<Float>
    do {
      source = try DatasetSource<Float>(
        standardizing: transforms?.applied(to: trainingRows) ?? trainingRows,
        conditioningColumns: settings.conditionColumns.count,
        source: input.argument)
    } catch {
      let order =
        (0..<raw.columns).filter { !settings.conditionColumns.contains($0) } + settings.conditionColumns
      if heldOut != nil, case .constantColumn(_, let column, let value) = error,
        (0..<data.rows).contains(where: { data[$0, column] != value })
      {
        // Constant only because the rows that vary were held out: say so, not "constant".
        throw CLIError(
          "\(input.argument): column \(order[column] + 1) is \(value) in every training row once "
            + "\(heldOut!.rows) of the \(data.rows) rows are held out for validation (its other values are all "
            + "in the held-out rows); drop the column, or train on every row with --validation 0")
      }
      throw error.inFileColumns(conditionColumns: settings.conditionColumns, of: raw.columns)
    }
    // Integer-valued columns are trained as k + w·u with fresh u each step; the held-out rows
    // (for the held-out loss and NLL) and the training rows (for the baseline and the training
    // NLL) are dequantised once, with draws of their own stream, so that every measurement
    // sees the same points.
    var measuredHeldOut = heldOut
    var measuredTraining = trainingRows
    if let dequantization {
      var rng = Xoshiro256(seed: settings.configuration.seed, stream: UInt64.max - 5)
      if measuredHeldOut != nil { dequantization.dequantize(&measuredHeldOut!, using: &rng) }
      dequantization.dequantize(&measuredTraining, using: &rng)
    }
    let standardizedHeldOut = measuredHeldOut.map {
      source.appliedStandardizer!.transformed(transforms?.applied(to: $0) ?? $0, as: Float.self)
    }
    return (
      settings,
      PreparedFile(
        source: source, dequantization: dequantization, transforms: transforms, transformNote: transformNote,
        trainingRows: trainingRows, measuredTraining: measuredTraining, measuredHeldOut: measuredHeldOut,
        standardizedHeldOut: standardizedHeldOut, fraction: fraction)
    )
  }
}
