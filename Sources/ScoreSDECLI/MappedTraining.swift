import Datasets
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// `train --data big.npy`: training from a memory-mapped `.npy` file, so that memory is
/// bounded by the batch, not the file.
extension ModelTraining {
  /// `.npy` files of at least this many bytes are memory-mapped unless `--no-memory-map` says
  /// otherwise: read whole and converted to `Double`, a 1 GiB float32 file would take 2 GiB, and
  /// its training rows as many again.
  static let memoryMapThresholdBytes = 1 << 30

  /// Whether `input` is trained through a memory map: `--memory-map` / `--no-memory-map`, else a
  /// `.npy` file of at least ``memoryMapThresholdBytes`` bytes.
  static func usesMemoryMap(_ input: DataInput, settings: TrainingSettings) throws -> Bool {
    let path = input.argument
    guard input.isFile, URL(fileURLWithPath: path).pathExtension.lowercased() == "npy" else {
      if settings.memoryMap == true {
        throw CLIError(
          "--memory-map reads a .npy file; \(path) is not one (convert a CSV with `score-sde convert`)")
      }
      return false
    }
    if let memoryMap = settings.memoryMap { return memoryMap }
    var info = stat()
    // A file that cannot be examined is read the usual way, which says what is wrong with it.
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
    return Int(info.st_size) >= memoryMapThresholdBytes
  }

  /// Trains on the rows of a memory-mapped `.npy` file.
  ///
  /// What the in-memory path does, with bounded memory: the rows are checked (finite; integer
  /// columns found or checked) and μ, σ of the training rows fitted in one streaming pass; each
  /// batch draws its rows with replacement from the map. A validation split holds out
  /// `round(fraction · n)` rows picked by Floyd's algorithm (memory in proportion to the held-out
  /// rows, not the file; not the rows the in-memory split picks), read into memory for the
  /// held-out loss. No Gaussian baseline is fitted (it would need the training rows in memory).
  static func trainMapped<Network: CommandLineNetwork>(
    _ input: DataInput, network: Network.Type, settings: TrainingSettings, label: String
  ) throws -> TrainingOutcome<Network> {
    let name = input.argument
    let file = try MappedNumPyFile(url: URL(fileURLWithPath: name))
    guard file.rows > 0 else { throw CLIError("\(name): the file holds no rows") }
    let conditions = settings.conditionColumns
    let order = try columnOrder(columns: file.columns, conditionColumns: conditions, source: name)
    let d = file.columns - conditions.count
    let fraction = settings.validationFraction ?? defaultValidationFraction(rows: file.rows)
    var heldOut: [Int] = []
    if fraction > 0 {
      // Its own stream of the seed, as in memory: the split does not move when the run's draws do.
      var rng = Xoshiro256(seed: settings.configuration.seed, stream: UInt64.max - 4)
      let count = Int((fraction * Double(file.rows)).rounded())
      if count >= 1 && file.rows - count >= 2 {
        heldOut = sampledRows(count, of: file.rows, using: &rng)
      } else if settings.validationFraction != nil {
        throw CLIError(
          "\(name): --validation \(fraction) of its \(file.rows) rows leaves \(count) held-out and "
            + "\(file.rows - count) training rows; at least 1 and 2 are needed (--validation 0 trains on every row)"
        )
      }
    }

    // One pass: every row finite, which data columns are integer-valued, μ and σ of the training rows.
    var firstNonFinite: (row: Int, column: Int, value: Double)? = nil
    var nonFiniteCount = 0
    var firstNonInteger = [(row: Int, value: Double)?](repeating: nil, count: d)
    let started = Date()
    let standardizer: Standardizer
    do {
      standardizer = try MappedDataSource<Float>.fitStandardizer(
        file, columnOrder: order, heldOutRows: heldOut, source: name
      ) { row, values in
        for j in 0..<values.count where !values[j].isFinite {
          if firstNonFinite == nil { firstNonFinite = (row, order[j], values[j]) }
          nonFiniteCount += 1
        }
        for j in 0..<d where firstNonInteger[j] == nil && values[j].rounded() != values[j] {
          firstNonInteger[j] = (row, values[j])
        }
      }
    } catch {
      if let bad = firstNonFinite {
        throw DataError.nonFinite(
          source: name, row: bad.row, column: bad.column, value: bad.value, count: nonFiniteCount)
      }
      throw error.inFileColumns(conditionColumns: conditions, of: file.columns)
    }
    if let bad = firstNonFinite {
      // In a held-out row only: the training rows were fitted.
      throw DataError.nonFinite(
        source: name, row: bad.row, column: bad.column, value: bad.value, count: nonFiniteCount)
    }
    let passSeconds = Date().timeIntervalSince(started)
    FileHandle.standardError.write(
      Data(
        ("\(name): memory-mapped, \(file.rows) rows × \(file.columns) columns (\(byteText(Double(file.dataByteCount)))); "
          + String(format: "μ and σ fitted in one pass in %.2f s\n", passSeconds)).utf8))

    let dequantization = try mappedDequantization(
      firstNonInteger: firstNonInteger, order: order, settings: settings, file: file, source: name)
    let source = try MappedDataSource<Float>(
      file, conditioningColumns: conditions.count, columnOrder: order, heldOutRows: heldOut,
      standardizer: standardizer, source: name)

    // The held-out rows, and evenly spaced training rows for the training NLL, in data units,
    // dequantised once with draws of their own stream.
    var measuredHeldOut: Matrix<Double>? = heldOut.isEmpty ? nil : gather(heldOut, of: file, order: order)
    let trainingCount = min(source.trainingRows, TrainCommand.nllRows)
    var measuredTraining = gather(
      (0..<trainingCount).map { source.fileRow(ofTrainingRow: $0 * source.trainingRows / trainingCount) },
      of: file,
      order: order)
    if let dequantization {
      var rng = Xoshiro256(seed: settings.configuration.seed, stream: UInt64.max - 5)
      if measuredHeldOut != nil { dequantization.dequantize(&measuredHeldOut!, using: &rng) }
      dequantization.dequantize(&measuredTraining, using: &rng)
    }
    let standardizedHeldOut = measuredHeldOut.map { standardizer.transformed($0, as: Float.self) }
    var outcome: TrainingOutcome<Network>
    if let dequantization {
      outcome = try run(
        source: DequantizedSource(source, dequantization: dequantization), network: network,
        standardizer: nil,
        settings: settings, label: label, name: name, heldOut: standardizedHeldOut)
      outcome.model.dequantization = dequantization
    } else {
      outcome = try run(
        source: source, network: network, standardizer: nil, settings: settings, label: label, name: name,
        heldOut: standardizedHeldOut)
    }
    outcome.recordHeldOut(
      measuredHeldOut, trainingRows: measuredTraining, fraction: fraction, baseline: nil,
      missingBaselineReason:
        "(no Gaussian baseline: the file is memory-mapped, its training rows are not in memory)",
      dequantization: dequantization)
    return outcome
  }

  /// The dequantisation `--integer-columns` asks for, from the pass's record of the first
  /// non-integer value of each data column (file rows).
  static func mappedDequantization(
    firstNonInteger: [(row: Int, value: Double)?], order: [Int], settings: TrainingSettings,
    file: MappedNumPyFile, source: String
  ) throws -> Dequantization? {
    switch settings.integerColumns {
    case .none: return nil
    case .auto:
      // Constant columns were refused by the fit, so every integer-valued column varies.
      let found = firstNonInteger.indices.filter { firstNonInteger[$0] == nil }
      return found.isEmpty ? nil : Dequantization(columns: found)
    case .list(let columns):
      guard Set(columns).count == columns.count else {
        throw CLIError("--integer-columns names a column twice: \(columns)")
      }
      let mapped = try columns.map { c -> Int in
        guard c < file.columns else {
          throw CLIError(
            "\(source): --integer-columns names column \(c), but the data has columns 0…\(file.columns - 1)")
        }
        guard let j = order.firstIndex(of: c), j < firstNonInteger.count else {
          throw CLIError(
            "\(source): --integer-columns names column \(c), which --condition-columns makes a condition")
        }
        if let bad = firstNonInteger[j] {
          throw CLIError(
            "\(source): --integer-columns names column \(c), but row \(bad.row + 1) holds \(bad.value), not an integer"
          )
        }
        return j
      }
      return mapped.isEmpty ? nil : Dequantization(columns: mapped)
    }
  }

  /// The file rows `rows`, their columns in `order`, as `Double`.
  static func gather(_ rows: [Int], of file: MappedNumPyFile, order: [Int]) -> Matrix<Double> {
    var out = Matrix<Double>(rows: rows.count, columns: order.count)
    var raw = [Double](repeating: 0, count: file.columns)
    // Each fault may map up to a large folio: release as MappedDataSource.fill does.
    let releaseEvery = max(
      1, MappedDataSource<Float>.residentBudgetBytes / MappedDataSource<Float>.largestFaultBytes)
    for (k, i) in rows.enumerated() {
      raw.withUnsafeMutableBufferPointer { file.loadRow(i, into: $0) }
      for (j, c) in order.enumerated() { out[k, j] = raw[c] }
      if (k + 1) % releaseEvery == 0 { file.releaseResidentPages() }
    }
    file.releaseResidentPages()
    return out
  }

  /// `count` distinct rows of `0..<n`, ascending, drawn by Floyd's algorithm (Bentley & Floyd
  /// 1987, "Programming pearls: a sample of brilliance"): memory in proportion to `count`.
  static func sampledRows(_ count: Int, of n: Int, using rng: inout Xoshiro256) -> [Int] {
    var chosen = Set<Int>(minimumCapacity: count)
    for j in (n - count)..<n {
      let t = Int(rng.next().multipliedFullWidth(by: UInt64(j + 1)).high)
      chosen.insert(chosen.contains(t) ? j : t)
    }
    return chosen.sorted()
  }
}

extension LikelihoodReport {
  /// Prints the held-out and training NLL of the model alone, for a run without a baseline.
  ///
  /// - Parameters:
  ///   - heldOut: per-point NLL (nats) of the held-out rows.
  ///   - training: per-point NLL of as many training rows.
  static func printModelOnly(heldOut: [Double], training: [Double]) {
    for (label, values) in [("held-out", heldOut), ("training", training)] {
      // NLLs are negative log-densities: the log-densities are their negatives.
      let nll = NegativeLogLikelihood(logDensities: values.map { -$0 })
      Swift.print(
        String(
          format: "%@ NLL (%d rows): model %.4f ± %.4f nats per point", label, nll.count, nll.mean,
          nll.standardError))
    }
  }
}
