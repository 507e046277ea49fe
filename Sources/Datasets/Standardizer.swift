public import LinearAlgebra
import RealModule

/// Per-column standardisation z = (x − μ) / σ, fitted on data and stored as plain arrays so that
/// a model file can carry it.
///
/// μ is the column mean and σ the population standard deviation (divisor n, as scikit-learn's
/// `StandardScaler`), both fitted in `Double` whatever the data's precision. A constant column
/// has no σ to divide by and is refused (``DataError/constantColumn(source:column:value:)``).
/// Densities transform with the Jacobian: log p_x(x) = log p_z(z) + ``logAbsDeterminant``.
///
/// Every map computes in `Double` and rounds once to the matrix's scalar, so its precision is
/// that of the result: standardising `Double` data of a large offset or a tiny scale and only
/// then converting (``transformed(_:as:)``) keeps what a `Float` copy of the raw data would lose
/// (1e9 + N(0, 1) in `Float` is 1e9 in steps of 64; 1e-50 is 0).
///
/// ```swift
/// let scaler = try Standardizer(fitting: train, source: "train.npy")
/// let z = scaler.transformed(train, as: Float.self)  // mean 0, standard deviation 1, in Float
/// let x = scaler.inverseTransformed(samples)         // back to data units, in samples' precision
/// let logpx = logpz.map { $0 + scaler.logAbsDeterminant }
/// ```
public struct Standardizer: Sendable, Codable, Equatable {
  /// The column means μⱼ.
  public let means: [Double]
  /// The column standard deviations σⱼ > 0.
  public let standardDeviations: [Double]

  /// A standardiser with the given parameters (as read from a model file).
  ///
  /// - Parameters:
  ///   - means: μⱼ, finite.
  ///   - standardDeviations: σⱼ, finite and > 0, one per mean.
  public init(means: [Double], standardDeviations: [Double]) {
    precondition(
      means.count == standardDeviations.count,
      "\(means.count) means and \(standardDeviations.count) standard deviations")
    precondition(
      means.allSatisfy(\.isFinite) && standardDeviations.allSatisfy { $0 > 0 && $0.isFinite },
      "Standardizer needs finite means and finite positive standard deviations, got \(means), \(standardDeviations)"
    )
    self.means = means
    self.standardDeviations = standardDeviations
  }

  /// Fits μ and σ to the columns of `data`, in `Double`, exactly scaled so that no magnitude a
  /// finite `Double` can hold overflows or underflows.
  ///
  /// Column j is first scaled by the power of two 2^−eⱼ that brings its largest magnitude into
  /// [1, 2) (exact: only the exponent changes), so y = x·2^−eⱼ. Then, in `Double`:
  ///
  ///     m = Σᵢ yᵢ / n,   m ← m + Σᵢ (yᵢ − m) / n        (the corrected two-pass mean)
  ///     s² = Σᵢ (yᵢ − m)² / n
  ///     μⱼ = m·2^eⱼ,      σⱼ = s·2^eⱼ
  ///
  /// Every y lies in (−2, 2) and a non-constant column has some |yᵢ − m| of at least 2⁻⁵⁴, so no
  /// sum or square overflows or underflows: data like 1e-200·N(0, 1) or 1e200 + 1e190·N(0, 1)
  /// is fitted to rounding, and a column 1e9 + N(0, 1) keeps its unit σ.
  ///
  /// A column whose rows are all equal is refused rather than given an arbitrary σ: it carries
  /// nothing to learn, and a constant condition column nothing to condition on. A column that is
  /// not constant, however small its spread next to |μ| (two values an ulp apart), is kept: its
  /// standardised values are computed in `Double` and stay distinct.
  ///
  /// - Parameters:
  ///   - data: the samples, one per row.
  ///   - source: a name for the data in error messages, such as the file name.
  /// - Throws: ``DataError/tooFewRows(source:needed:actual:)`` for fewer than 2 rows,
  ///   ``DataError/nonFinite(source:row:column:value:count:)`` for NaN or infinite entries,
  ///   ``DataError/constantColumn(source:column:value:)`` for the first column whose rows are
  ///   all equal, ``DataError/spreadOutOfRange(source:column:)`` when σ underflows to 0 (the
  ///   column's values are subnormal) or overflows.
  public init<S: BLASScalar>(fitting data: Matrix<S>, source: String = "data") throws(DataError) {
    guard data.rows >= 2 else { throw DataError.tooFewRows(source: source, needed: 2, actual: data.rows) }
    try checkFinite(data, source: source)
    let (n, c) = (data.rows, data.columns)
    var means = [Double](repeating: 0, count: c)
    var deviations = [Double](repeating: 0, count: c)
    let e = data.elements
    for j in 0..<c {
      var largest = 0.0
      var constant = true
      let first = Double(e[j])
      for i in 0..<n {
        let x = Double(e[i * c + j])
        largest = Swift.max(largest, x.magnitude)
        constant = constant && x == first
      }
      if constant { throw DataError.constantColumn(source: source, column: j, value: first) }
      let exponent = Int(largest.exponent)
      func scaled(_ i: Int) -> Double {
        Double(sign: .plus, exponent: -exponent, significand: Double(e[i * c + j]))
      }
      let (m, squares) = Self.correctedTwoPassMoments(count: n, scaled)
      means[j] = Double(sign: .plus, exponent: exponent, significand: m)
      deviations[j] = Double(sign: .plus, exponent: exponent, significand: (squares / Double(n)).squareRoot())
      guard deviations[j] > 0 && deviations[j].isFinite && means[j].isFinite else {
        throw DataError.spreadOutOfRange(source: source, column: j)
      }
    }
    self.means = means
    self.standardDeviations = deviations
  }

  /// The mean `m` and the sum of squared deviations `Σ(xᵢ − m)²` of `xᵢ = value(i)`,
  /// `i < count`, by the corrected two-pass algorithm (Chan, Golub & LeVeque 1983, eq. 1.7;
  /// Higham 2002, §1.9): `m = Σxᵢ/n` is corrected by the mean residual `Σ(xᵢ − m)/n`, which
  /// removes the first pass's rounding error before the squares are summed. The in-memory fit and
  /// each chunk of the streaming fit compute their moments here, on values scaled into `(−2, 2)`.
  @inline(__always)
  static func correctedTwoPassMoments(count n: Int, _ value: (Int) -> Double) -> (
    mean: Double, squares: Double
  ) {
    var m = 0.0
    for i in 0..<n { m += value(i) }
    m /= Double(n)
    var correction = 0.0
    for i in 0..<n { correction += value(i) - m }
    m += correction / Double(n)
    var squares = 0.0
    for i in 0..<n {
      let d = value(i) - m
      squares += d * d
    }
    return (m, squares)
  }

  /// The number of columns.
  public var dimension: Int { means.count }

  /// log |det ∂z/∂x| = −Σⱼ log σⱼ: add it to a log-density of z to get one of x.
  public var logAbsDeterminant: Double { -standardDeviations.reduce(0) { $0 + Double.log($1) } }

  /// Replaces each row x of `data` by (x − μ) / σ, computed in `Double` and rounded once to `S`.
  ///
  /// The result has `S`'s precision, and so has the input: `Float` data of a large offset has
  /// already lost its spread (use ``transformed(_:as:)`` on the `Double` data instead).
  ///
  /// - Parameter data: `n × dimension`, transformed in place.
  @inlinable
  public func transform<S: BLASScalar>(_ data: inout Matrix<S>) {
    checkColumns(of: data)
    data.withUnsafeMutableBufferPointer { e in
      mapEntries(UnsafeBufferPointer(e), into: e) { x, mu, sigma in (x - mu) / sigma }
    }
  }

  /// Replaces each row z of `data` by μ + σ z, the inverse of ``transform(_:)``, computed in
  /// `Double` and rounded once to `S`.
  ///
  /// The precision of the result follows the matrix's scalar: in `Float`, data units of a large
  /// offset come out in `Float`'s steps (1e9 + z in steps of 64). Map `Float` samples with
  /// ``inverseTransformed(_:as:)`` to `Double` to keep their resolution.
  ///
  /// - Parameter data: `n × dimension`, transformed in place.
  @inlinable
  public func inverseTransform<S: BLASScalar>(_ data: inout Matrix<S>) {
    checkColumns(of: data)
    data.withUnsafeMutableBufferPointer { e in
      mapEntries(UnsafeBufferPointer(e), into: e) { z, mu, sigma in mu + sigma * z }
    }
  }

  /// Stops with a message unless `data` has ``dimension`` columns.
  @inlinable
  func checkColumns<S: BLASScalar>(of data: Matrix<S>) {
    precondition(
      data.columns == dimension,
      "Standardizer of \(dimension) columns applied to a \(data.shapeDescription) matrix")
  }

  /// A new `T` matrix holding `f(x, μⱼ, σⱼ)`, computed in `Double`, for every entry `x` of
  /// column `j` of `data`.
  @inlinable
  func mapped<S: BLASScalar, T: BLASScalar>(
    _ data: Matrix<S>, as _: T.Type, _ f: (Double, Double, Double) -> Double
  ) -> Matrix<T> {
    checkColumns(of: data)
    var out = Matrix<T>(rows: data.rows, columns: data.columns)
    data.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { destination in mapEntries(source, into: destination, f) }
    }
    return out
  }

  /// Writes `f(x, μⱼ, σⱼ)`, computed in `Double`, for every entry `x` of column `j` of `source`
  /// into the same entry of `destination` (which may be `source`'s storage).
  @inlinable
  func mapEntries<S: BLASScalar, T: BLASScalar>(
    _ source: UnsafeBufferPointer<S>, into destination: UnsafeMutableBufferPointer<T>,
    _ f: (Double, Double, Double) -> Double
  ) {
    let c = dimension
    // Entry by entry, from the stored arrays: no allocation (the trainer calls this every step).
    means.withUnsafeBufferPointer { mu in
      standardDeviations.withUnsafeBufferPointer { sigma in
        for i in 0..<(c == 0 ? 0 : source.count / c) {
          for j in 0..<c { destination[i * c + j] = T(f(Double(source[i * c + j]), mu[j], sigma[j])) }
        }
      }
    }
  }

  /// (x − μ) / σ for each row, as a new matrix: ``transformed(_:as:)`` in `S` itself (the same
  /// entries as ``transform(_:)``).
  ///
  /// - Parameter data: `n × dimension`.
  /// - Returns: the standardised data.
  @inlinable
  public func transformed<S: BLASScalar>(_ data: Matrix<S>) -> Matrix<S> {
    transformed(data, as: S.self)
  }

  /// (x − μ) / σ for each row of `data`, computed in `Double` and rounded once to `T`: how data
  /// of a large offset or a tiny scale reaches a lower precision without losing its spread.
  ///
  /// ```swift
  /// let x: Matrix<Double> = try NumPyFile.read(from: url)   // 1e9 + N(0, 1)
  /// let z = try Standardizer(fitting: x, source: "data.npy").transformed(x, as: Float.self)
  /// // z has mean 0 and standard deviation 1 in Float; Matrix<Float>(x) would be all 1e9
  /// ```
  ///
  /// - Parameters:
  ///   - data: `n × dimension`, in any precision.
  ///   - type: the precision of the result.
  /// - Returns: the standardised data in `T`.
  @inlinable
  public func transformed<S: BLASScalar, T: BLASScalar>(_ data: Matrix<S>, as type: T.Type) -> Matrix<T> {
    mapped(data, as: type) { x, mu, sigma in (x - mu) / sigma }
  }

  /// μ + σ z for each row, as a new matrix: ``inverseTransformed(_:as:)`` in `S` itself (the same
  /// entries as ``inverseTransform(_:)``).
  ///
  /// - Parameter data: `n × dimension`.
  /// - Returns: the data in original units, in `S`'s precision (see ``inverseTransform(_:)``).
  @inlinable
  public func inverseTransformed<S: BLASScalar>(_ data: Matrix<S>) -> Matrix<S> {
    inverseTransformed(data, as: S.self)
  }

  /// μ + σ z for each row of `data`, computed in `Double` and rounded once to `T`: how `Float`
  /// samples reach data units of a large offset at full resolution.
  ///
  /// ```swift
  /// let x = scaler.inverseTransformed(floatSamples, as: Double.self)   // 1e9 + z, not steps of 64
  /// ```
  ///
  /// - Parameters:
  ///   - data: `n × dimension` standardised rows, in any precision.
  ///   - type: the precision of the result.
  /// - Returns: the rows in data units, in `T`.
  @inlinable
  public func inverseTransformed<S: BLASScalar, T: BLASScalar>(_ data: Matrix<S>, as type: T.Type)
    -> Matrix<T>
  {
    mapped(data, as: type) { z, mu, sigma in mu + sigma * z }
  }
}
