public import LinearAlgebra
import RealModule

/// Per-column standardisation z = (x − μ) / σ, fitted on data and stored as plain arrays so that
/// a model file can carry it.
///
/// μ is the column mean and σ the population standard deviation (divisor n, as scikit-learn's
/// `StandardScaler`); a column with σ = 0 gets σ = 1, so it is centred but not scaled.
/// Densities transform with the Jacobian: log p_x(x) = log p_z(z) + ``logAbsDeterminant``.
///
/// ```swift
/// let scaler = try Standardizer(fitting: train)
/// let z = scaler.transformed(train)            // columns with mean 0, standard deviation 1
/// let x = scaler.inverseTransformed(samples)   // back to data units
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

  /// Fits μ and σ to the columns of `data` (two passes, in `Double`).
  ///
  /// - Parameters:
  ///   - data: the samples, one per row.
  ///   - source: a name for the data in error messages.
  /// - Throws: ``DataError/tooFewRows(source:needed:actual:)`` for fewer than 2 rows,
  ///   ``DataError/nonFinite(source:row:column:value:count:)`` for NaN or infinite entries.
  public init<S: BLASScalar>(fitting data: Matrix<S>, source: String = "data") throws(DataError) {
    guard data.rows >= 2 else { throw DataError.tooFewRows(source: source, needed: 2, actual: data.rows) }
    try checkFinite(data, source: source)
    let n = data.rows
    let c = data.columns
    var mean = [Double](repeating: 0, count: c)
    var variance = [Double](repeating: 0, count: c)
    data.withUnsafeBufferPointer { e in
      for i in 0..<n {
        for j in 0..<c { mean[j] += Double(e[i * c + j]) }
      }
      for j in 0..<c { mean[j] /= Double(n) }
      for i in 0..<n {
        for j in 0..<c {
          let d = Double(e[i * c + j]) - mean[j]
          variance[j] += d * d
        }
      }
    }
    self.means = mean
    self.standardDeviations = variance.map { v in
      let s = (v / Double(n)).squareRoot()
      return s > 0 && s.isFinite ? s : 1
    }
  }

  /// The number of columns.
  public var dimension: Int { means.count }

  /// log |det ∂z/∂x| = −Σⱼ log σⱼ: add it to a log-density of z to get one of x.
  public var logAbsDeterminant: Double { -standardDeviations.reduce(0) { $0 + Double.log($1) } }

  /// Replaces each row x of `data` by (x − μ) / σ.
  ///
  /// - Parameter data: `n × dimension`, transformed in place.
  @inlinable
  public func transform<S: BLASScalar>(_ data: inout Matrix<S>) {
    mapEntries(&data) { x, mu, sigma in (x - mu) / sigma }
  }

  /// Replaces each row z of `data` by μ + σ z, the inverse of ``transform(_:)``.
  ///
  /// - Parameter data: `n × dimension`, transformed in place.
  @inlinable
  public func inverseTransform<S: BLASScalar>(_ data: inout Matrix<S>) {
    mapEntries(&data) { z, mu, sigma in mu + sigma * z }
  }

  /// Replaces every entry `x` of column `j` by `f(x, μⱼ, σⱼ)`.
  @inlinable
  func mapEntries<S: BLASScalar>(_ data: inout Matrix<S>, _ f: (S, S, S) -> S) {
    precondition(
      data.columns == dimension,
      "Standardizer of \(dimension) columns applied to a \(data.shapeDescription) matrix")
    let c = dimension
    // Converted entry by entry rather than into arrays: no allocation (the trainer calls this
    // every step).
    means.withUnsafeBufferPointer { mu in
      standardDeviations.withUnsafeBufferPointer { sigma in
        data.withUnsafeMutableBufferPointer { e in
          for i in 0..<(c == 0 ? 0 : e.count / c) {
            for j in 0..<c { e[i * c + j] = f(e[i * c + j], S(mu[j]), S(sigma[j])) }
          }
        }
      }
    }
  }

  /// (x − μ) / σ for each row, as a new matrix.
  ///
  /// - Parameter data: `n × dimension`.
  /// - Returns: the standardised data.
  @inlinable
  public func transformed<S: BLASScalar>(_ data: Matrix<S>) -> Matrix<S> {
    var out = data
    transform(&out)
    return out
  }

  /// μ + σ z for each row, as a new matrix.
  ///
  /// - Parameter data: `n × dimension`.
  /// - Returns: the data in original units.
  @inlinable
  public func inverseTransformed<S: BLASScalar>(_ data: Matrix<S>) -> Matrix<S> {
    var out = data
    inverseTransform(&out)
    return out
  }
}
