public import LinearAlgebra

/// What to do to a column before it is fitted: ``ColumnTransforms/init(fitting:to:dimension:source:)``
/// turns it into a ``ColumnTransform`` (fitting the quantile map on the rows given).
public enum ColumnTransformRequest: Sendable, Hashable {
  /// `log(x + offset)`.
  case log(offset: Double)
  /// `log((x − lower)/(upper − x))`.
  case logit(lower: Double, upper: Double)
  /// The Gaussianising ``QuantileMap``, fitted to the column.
  case quantile
  /// The smooth Gaussianising ``KernelQuantileMap``, fitted to the column.
  case kernelQuantile

  /// Whether the transform's parameters are fitted to the training rows (the quantile maps).
  public var isFitted: Bool { self == .quantile || self == .kernelQuantile }

  /// The transform for a column whose fitted parameters (if any) are not known yet: what
  /// ``ColumnTransform/contains(_:)`` checks the data against before the fit.
  var unfitted: ColumnTransform {
    switch self {
    case .log(let c): return .log(offset: c)
    case .logit(let a, let b): return .logit(lower: a, upper: b)
    case .quantile, .kernelQuantile: return .identity
    }
  }
}

/// A column that cannot be transformed: a value outside the transform's domain, too few distinct
/// values to fit a quantile map, or a column that does not exist.
public enum ColumnTransformError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Entry `(row, column)` (0-based) of the data from `source` is outside the domain of the
  /// transform named `transform` (`domain` in words).
  case outsideDomain(source: String, row: Int, column: Int, value: Double, transform: String, domain: String)
  /// Column `column` (0-based) of the data from `source` has fewer than 2 distinct values (or
  /// values so close that a slope overflows): no quantile map to fit.
  case cannotFitQuantileMap(source: String, column: Int)
  /// Column `column` (0-based) is not one of the `dimension` data columns.
  case unknownColumn(source: String, column: Int, dimension: Int)

  /// A sentence naming the source, row and column (counted from 1) and the problem.
  public var description: String {
    switch self {
    case .outsideDomain(let source, let row, let column, let value, let transform, let domain):
      return "\(source): row \(row + 1), column \(column + 1) is \(value), outside the domain of the "
        + "\(transform) transform (\(domain))"
    case .cannotFitQuantileMap(let source, let column):
      return "\(source): column \(column + 1) has fewer than 2 distinct values (or values too close to "
        + "tell apart); no quantile map can be fitted"
    case .unknownColumn(let source, let column, let dimension):
      return "\(source): a transform names column \(column + 1), but the data has \(dimension) data columns"
    }
  }
}

/// One ``ColumnTransform`` per data column, applied before the standardisation and undone after
/// sampling; its per-row log-Jacobian turns a log-density of transformed rows into one of the
/// data's own units.
///
/// With `y = T(x)` column by column (each `Tⱼ` strictly increasing), the Jacobian is diagonal and
///
///     log p_x(x) = log p_y(T(x)) + Σⱼ log Tⱼ′(xⱼ),
///
/// the sum being ``logAbsJacobians(of:)``. Every map runs in `Double`. Columns past
/// ``dimension`` (conditions) are left as they are.
///
/// ```swift
/// let transforms = try ColumnTransforms(fitting: [0: .log(offset: 0), 2: .quantile], to: train, source: "t.csv")
/// try transforms.checkDomain(of: test, source: "test.csv")
/// var y = test; transforms.apply(to: &y)                 // what the model is trained on
/// let logpx = zip(logpy, transforms.logAbsJacobians(of: test)).map(+)
/// ```
public struct ColumnTransforms: Sendable, Codable, Hashable {
  /// `Tⱼ` for each data column.
  public let transforms: [ColumnTransform]

  /// The given transforms, one per data column.
  public init(_ transforms: [ColumnTransform]) {
    self.transforms = transforms
    if let failure = validationFailure(dimension: transforms.count) {
      preconditionFailure("ColumnTransforms: \(failure)")
    }
  }

  /// Fits the requested transforms on `rows` (identity for the other columns), after checking
  /// every row against the declared domains.
  ///
  /// - Parameters:
  ///   - requests: the transform of each listed data column (0-based).
  ///   - rows: the training rows; their first `dimension` columns are data.
  ///   - dimension: the data columns (`rows.columns` by default; conditions follow them).
  ///   - source: the data's name in errors.
  /// - Throws: ``ColumnTransformError``: a column past `dimension`, an entry outside a domain
  ///   (the first in row order), a column with no quantile map.
  public init(
    fitting requests: [Int: ColumnTransformRequest], to rows: Matrix<Double>, dimension: Int? = nil,
    source: String
  ) throws(ColumnTransformError) {
    let d = dimension ?? rows.columns
    if let bad = requests.keys.sorted().first(where: { $0 < 0 || $0 >= d }) {
      throw .unknownColumn(source: source, column: bad, dimension: d)
    }
    var transforms = [ColumnTransform](repeating: .identity, count: d)
    for (j, request) in requests { transforms[j] = request.unfitted }
    try ColumnTransforms(transforms).checkDomain(of: rows, source: source)
    for (j, request) in requests where request.isFitted {
      let column = (0..<rows.rows).map { rows[$0, j] }
      if request == .quantile, let map = QuantileMap(fitting: column) {
        transforms[j] = .quantile(map)
      } else if request == .kernelQuantile, let map = KernelQuantileMap(fitting: column) {
        transforms[j] = .kernelQuantile(map)
      } else {
        throw .cannotFitQuantileMap(source: source, column: j)
      }
    }
    self.transforms = transforms
  }

  /// The data columns.
  public var dimension: Int { transforms.count }

  /// Whether every column is the identity.
  public var isIdentity: Bool { transforms.allSatisfy { $0 == .identity } }

  /// Throws for the first entry (in row order) outside its column's domain.
  ///
  /// - Parameters:
  ///   - rows: rows whose first ``dimension`` columns are data.
  ///   - source: the data's name in the error.
  ///   - firstRow: the number of rows before `rows` in `source` (for the row in the error).
  /// - Throws: ``ColumnTransformError/outsideDomain(source:row:column:value:transform:domain:)``.
  public func checkDomain<S: BLASScalar>(
    of rows: Matrix<S>, source: String, firstRow: Int = 0
  ) throws(ColumnTransformError) {
    precondition(
      rows.columns >= dimension, "ColumnTransforms: \(rows.shapeDescription) rows for \(dimension) columns")
    let active = transforms.indices.filter { transforms[$0] != .identity }
    guard !active.isEmpty else { return }
    for i in 0..<rows.rows {
      for j in active where !transforms[j].contains(Double(rows[i, j])) {
        throw .outsideDomain(
          source: source, row: firstRow + i, column: j, value: Double(rows[i, j]),
          transform: transforms[j].name,
          domain: transforms[j].domainDescription)
      }
    }
  }

  /// `xᵢⱼ ← Tⱼ(xᵢⱼ)` for the data columns, in `Double`, rounded once to `S`.
  public func apply<S: BLASScalar>(to rows: inout Matrix<S>) {
    map(&rows) { $0.value($1) }
  }

  /// The rows with ``apply(to:)`` done.
  public func applied(to rows: Matrix<Double>) -> Matrix<Double> {
    var out = rows
    apply(to: &out)
    return out
  }

  /// `yᵢⱼ ← Tⱼ⁻¹(yᵢⱼ)` for the data columns, in `Double`: transformed rows (samples) back in
  /// data units.
  public func invert<S: BLASScalar>(_ rows: inout Matrix<S>) {
    map(&rows) { $0.inverse($1) }
  }

  /// `Σⱼ log Tⱼ′(xᵢⱼ)` for each row `i` of data-unit rows: add it to a log-density of the
  /// transformed row to get the log-density of the row.
  public func logAbsJacobians<S: BLASScalar>(of rows: Matrix<S>) -> [Double] {
    precondition(
      rows.columns >= dimension, "ColumnTransforms: \(rows.shapeDescription) rows for \(dimension) columns")
    let active = transforms.indices.filter { transforms[$0] != .identity }
    return (0..<rows.rows).map { i in
      active.reduce(0.0) { $0 + transforms[$1].logDerivative(Double(rows[i, $1])) }
    }
  }

  /// Why these transforms cannot apply to data of `dimension` columns, or `nil`.
  public func validationFailure(dimension: Int) -> String? {
    guard transforms.count == dimension else {
      return "\(transforms.count) column transforms for \(dimension) data columns"
    }
    for (j, t) in transforms.enumerated() {
      if let failure = t.validationFailure { return "column \(j + 1): \(failure)" }
    }
    return nil
  }

  /// Applies `f` to every entry of the non-identity data columns.
  func map<S: BLASScalar>(_ rows: inout Matrix<S>, _ f: (ColumnTransform, Double) -> Double) {
    precondition(
      rows.columns >= dimension, "ColumnTransforms: \(rows.shapeDescription) rows for \(dimension) columns")
    let active = transforms.indices.filter { transforms[$0] != .identity }
    guard !active.isEmpty else { return }
    for i in 0..<rows.rows {
      for j in active { rows[i, j] = S(f(transforms[j], Double(rows[i, j]))) }
    }
  }
}
