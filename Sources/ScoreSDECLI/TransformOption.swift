import Datasets
import Foundation
import LinearAlgebra

/// One `--transform KIND[=PARAMETERS]:COLUMNS` of `score-sde train`: a monotone map of some
/// data columns (0-based file columns, as `--integer-columns` counts them), applied before the
/// standardisation, recorded in the model file, undone by `sample`, its log-Jacobian in every
/// NLL and density.
///
/// | argument | transform |
/// |---|---|
/// | `log:3,5` | `log x` (x > 0) |
/// | `log=1:4` | `log(x + 1)` (x > −1); any finite offset |
/// | `logit:2` | `log(x/(1 − x))` (0 < x < 1) |
/// | `logit=0,255:2` | `log((x − 0)/(255 − x))` (0 < x < 255) |
/// | `quantile:7` | the fitted ``QuantileMap`` (every real x) |
/// | `quantile:0-29` | the same, on each of columns 0 to 29 |
/// | `kernel:0-29` | the fitted ``KernelQuantileMap`` on each of columns 0 to 29 (every real x) |
struct TransformOption: Equatable {
  /// The transform.
  let request: ColumnTransformRequest
  /// The file columns (0-based) it applies to, as the ranges written (`3` is `3...3`); kept as
  /// ranges so that `quantile:0-999999999999` costs nothing until the file's width refuses it.
  let columnRanges: [ClosedRange<Int>]
  /// The argument as given, for messages.
  let argument: String

  /// Parses `KIND[=PARAMETERS]:COLUMNS`.
  init(argument: String) throws {
    self.argument = argument
    guard let colon = argument.lastIndex(of: ":") else {
      throw CLIError(
        "--transform \(argument): expected KIND:COLUMNS, such as log:3,5, log=1:4, logit=0,255:2, quantile:7 or "
          + "kernel:0-29 (or none)"
      )
    }
    let kind = String(argument[..<colon])
    let columnText = argument[argument.index(after: colon)...]
    columnRanges = try columnText.split(separator: ",", omittingEmptySubsequences: false).map { part in
      // A column, or an inclusive range of them: 3 or 0-29.
      let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard let first = ends.first ?? nil, let last = ends.last ?? nil, first >= 0, first <= last else {
        throw CLIError(
          "--transform \(argument): '\(part)' is not a column number (0-based) or a range such as 0-29")
      }
      return first...last
    }
    let sorted = columnRanges.sorted { $0.lowerBound < $1.lowerBound }
    guard zip(sorted, sorted.dropFirst()).allSatisfy({ $0.upperBound < $1.lowerBound }) else {
      throw CLIError("--transform \(argument) names a column twice")
    }
    let parts = kind.split(separator: "=", maxSplits: 1).map(String.init)
    let name = parts.first?.lowercased() ?? ""
    let parameters = try parts.count > 1 ? parseValues(parts[1], option: "--transform \(argument)") : []
    switch (name, parameters.count) {
    case ("log", 0): request = .log(offset: 0)
    case ("log", 1): request = .log(offset: parameters[0])
    case ("logit", 0): request = .logit(lower: 0, upper: 1)
    case ("logit", 2) where parameters[0] < parameters[1]:
      request = .logit(lower: parameters[0], upper: parameters[1])
    case ("logit", _):
      throw CLIError(
        "--transform \(argument): logit takes no bounds (0, 1) or two, lower < upper: logit=0,255")
    case ("quantile", 0): request = .quantile
    case ("kernel", 0): request = .kernelQuantile
    case ("log", _), ("quantile", _), ("kernel", _):
      throw CLIError(
        "--transform \(argument): \(name) takes \(name == "log" ? "one offset at most (log=1)" : "no parameters")"
      )
    case ("none", _):
      throw CLIError(
        "--transform \(argument): none takes no columns (--transform none keeps every column as it is)")
    default:
      throw CLIError(
        "--transform \(argument): unknown transform '\(name)' (log, logit, quantile, kernel or none)")
    }
  }

  /// The transforms of `options` by data column (the data columns of a `fileColumns`-column file
  /// once `conditionColumns` are moved to the end), with a one-line error for a column out of
  /// range, a condition column, or a column named twice.
  static func requests(
    _ options: [TransformOption], fileColumns: Int, conditionColumns: [Int], source: String
  ) throws -> [Int: ColumnTransformRequest] {
    let dataOrder = (0..<fileColumns).filter { !conditionColumns.contains($0) }
    var requests: [Int: ColumnTransformRequest] = [:]
    var owner: [Int: String] = [:]
    for option in options {
      // Up to the first column past the file's last (refused below), not to the range's end.
      for range in option.columnRanges {
        for c in range.lowerBound...max(range.lowerBound, min(range.upperBound, fileColumns)) {
          guard c < fileColumns else {
            throw CLIError(
              "\(source): --transform \(option.argument) names column \(c), but the data has columns 0…\(fileColumns - 1)"
            )
          }
          guard let j = dataOrder.firstIndex(of: c) else {
            throw CLIError(
              "\(source): --transform \(option.argument) names column \(c), which --condition-columns makes a condition"
            )
          }
          if let other = owner[c] {
            throw CLIError("--transform \(option.argument) and --transform \(other) both name column \(c)")
          }
          owner[c] = option.argument
          requests[j] = option.request
        }
      }
    }
    return requests
  }
}

/// The transforms of a `train` run on a data file, from the file's columns to the fitted maps.
struct TransformPlan {
  /// The transform of each transformed data column.
  let requests: [Int: ColumnTransformRequest]
  /// The file column (0-based) of each data column.
  let fileColumn: [Int]
  /// The data file.
  let source: String

  /// Plans `options` for `data` (every row of the file, conditions at the end) and checks every
  /// row against the declared domains, so that an error names the file's row.
  init(
    _ options: [TransformOption], data: Matrix<Double>, fileColumns: Int, conditionColumns: [Int],
    source: String
  ) throws {
    requests = try TransformOption.requests(
      options, fileColumns: fileColumns, conditionColumns: conditionColumns, source: source)
    fileColumn = (0..<fileColumns).filter { !conditionColumns.contains($0) }
    self.source = source
    guard !requests.isEmpty else { return }
    do {
      _ = try ColumnTransforms(
        fitting: requests.filter { !$0.value.isFitted }, to: data, dimension: fileColumn.count,
        source: source)
    } catch {
      throw cliError(error)
    }
  }

  /// `train`'s default when no `--transform` is given, on a run with held-out rows: the smooth
  /// Gaussianising ``KernelQuantileMap`` on every data column that is not dequantised (and that
  /// has a spread to fit; a column constant in the training rows is left to the
  /// standardisation's own error), kept when a Gaussian fitted to the mapped training columns
  /// predicts the held-out rows better (mean NLL in data units, the maps' log-Jacobians
  /// included) than a Gaussian fitted to the columns as they are. Both are closed forms, so the
  /// choice costs two Cholesky factorisations; a table too small for the kernel estimates of its
  /// columns to beat a Gaussian's keeps its columns.
  ///
  /// - Returns: the maps fitted to `training`, or `nil` when they lost or none could be fitted,
  ///   and a line for `train`'s output saying what was chosen and why.
  func defaultTransforms(
    besides dequantization: Dequantization?, training: Matrix<Double>, heldOut: Matrix<Double>
  ) -> (transforms: ColumnTransforms?, note: String?) {
    let d = fileColumn.count
    let integer = Set(dequantization?.columns ?? [])
    var fitted = [ColumnTransform](repeating: .identity, count: d)
    for j in 0..<d where !integer.contains(j) {
      if let map = KernelQuantileMap(fitting: (0..<training.rows).map { training[$0, j] }) {
        fitted[j] = .kernelQuantile(map)
      }
    }
    let columns = fitted.filter { $0 != .identity }.count
    guard columns > 0 else { return (nil, nil) }
    let maps = ColumnTransforms(fitted)
    let (train, held) = (dataColumns(of: training, count: d), dataColumns(of: heldOut, count: d))
    guard let plain = try? GaussianBaseline(fitting: train),
      let mapped = try? GaussianBaseline(fitting: maps.applied(to: train))
    else { return (nil, nil) }
    let n = Double(held.rows)
    let plainNLL = -plain.logDensities(held).reduce(0, +) / n
    let mappedNLL =
      -zip(mapped.logDensities(maps.applied(to: held)), maps.logAbsJacobians(of: held)).map(+).reduce(0, +)
      / n
    let numbers = String(
      format: "a Gaussian's held-out NLL %.2f with them, %.2f without, nats per point", mappedNLL, plainNLL)
    guard mappedNLL < plainNLL else {
      return (nil, "none; the default kernel quantile maps lost on the held-out rows (\(numbers))")
    }
    return (
      maps,
      "kernel quantile maps on \(columns) data column(s), the default for a data file (\(numbers)); "
        + "--transform none turns them off"
    )
  }

  /// The dequantisation without the transformed columns: `auto` leaves them out (a transformed
  /// column is taken as continuous), a declared list that names one is refused, since the
  /// noise `k + w·u` is added in model units, after a transform that is not affine.
  func reconciled(_ dequantization: Dequantization?, declared: IntegerColumns) throws -> Dequantization? {
    guard let dequantization, !requests.isEmpty else { return dequantization }
    let clash = dequantization.columns.filter { requests[$0] != nil }
    guard !clash.isEmpty else { return dequantization }
    if case .list = declared {
      throw CLIError(
        "\(source): column \(fileColumn[clash[0]]) is named by both --integer-columns and --transform; "
          + "a transformed column is continuous (drop it from one of them)")
    }
    let kept = dequantization.columns.indices.filter { requests[dequantization.columns[$0]] == nil }
    guard !kept.isEmpty else { return nil }
    return Dequantization(
      columns: kept.map { dequantization.columns[$0] }, binWidths: kept.map { dequantization.binWidths[$0] })
  }

  /// The transforms fitted to the training rows, or `nil` when none is asked for.
  func fitted(to trainingRows: Matrix<Double>) throws -> ColumnTransforms? {
    guard !requests.isEmpty else { return nil }
    do {
      return try ColumnTransforms(
        fitting: requests, to: trainingRows, dimension: fileColumn.count, source: source)
    } catch {
      throw cliError(error)
    }
  }

  /// `error` with the file's column numbers (0-based, as `--transform` counts them).
  func cliError(_ error: ColumnTransformError) -> CLIError {
    switch error {
    case .outsideDomain(let source, let row, let column, let value, let transform, let domain):
      return CLIError(
        "\(source): --transform \(transform) on column \(fileColumn[column]) needs \(domain), but row "
          + "\(row + 1) holds \(value)")
    case .cannotFitQuantileMap(let source, let column):
      let kind = requests[column] == .kernelQuantile ? "kernel" : "quantile"
      return CLIError(
        "\(source): --transform \(kind) on column \(fileColumn[column]): the training rows hold fewer than 2 "
          + "distinct values in it")
    case .unknownColumn: return CLIError(error.description)
    }
  }
}

extension ModelTraining {
  /// The training rows' per-column range in model units: the data columns of `rows` (conditions
  /// follow them) through `transforms` and `standardizer`, each dequantised column's top raised
  /// by its bin width `w/σ` (its rows reach `k + w`).
  static func dataRange(
    of rows: Matrix<Double>, dimension: Int, transforms: ColumnTransforms?, standardizer: Standardizer,
    dequantization: Dequantization?
  ) -> DataRange {
    var z = dataColumns(of: rows, count: dimension)
    transforms?.apply(to: &z)
    let data = Standardizer(
      means: Array(standardizer.means.prefix(dimension)),
      standardDeviations: Array(standardizer.standardDeviations.prefix(dimension)))
    data.transform(&z)
    var extra = [Double](repeating: 0, count: dimension)
    if let dequantization {
      for (c, j) in dequantization.columns.enumerated() {
        extra[j] = dequantization.binWidths[c] / data.standardDeviations[j]
      }
    }
    return DataRange(of: z).extendingUpper(by: extra)
  }
}

/// The first `count` columns of `rows` (the data columns; conditions follow them).
func dataColumns(of rows: Matrix<Double>, count: Int) -> Matrix<Double> {
  var out = Matrix<Double>(rows: rows.rows, columns: count)
  for i in 0..<rows.rows { for j in 0..<count { out[i, j] = rows[i, j] } }
  return out
}
