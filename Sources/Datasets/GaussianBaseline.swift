public import LinearAlgebra
import RealModule

/// The baseline every density model of a table should beat: one Gaussian with a full
/// covariance, fitted by maximum likelihood to the training rows, with its exact log-density.
///
/// `μ = (1/n) Σᵢ xᵢ`, `Σ = (1/n) Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ` (the maximum-likelihood estimate), and
///
///     log N(x; μ, Σ) = −½ (d log 2π + log det Σ + ‖L⁻¹(x − μ)‖²),   Σ = L Lᵀ,
///
/// all in `Double`. A score model whose held-out NLL is above this one's has learnt less about
/// the data than its mean and covariance.
///
/// ```swift
/// let baseline = try GaussianBaseline(fitting: split.train, source: "wine.csv")
/// let nll = NegativeLogLikelihood(logDensities: baseline.logDensities(split.test))
/// ```
public struct GaussianBaseline: Sendable, Codable, Hashable {
  /// μ, `d` entries.
  public let means: [Double]
  /// Σ, `d × d` row by row.
  public let covariance: [Double]

  /// Fits μ and Σ to the rows of `data` (in `Double`, whatever its precision).
  ///
  /// - Parameters:
  ///   - data: `n × d`, `n ≥ 2`, every entry finite.
  ///   - source: the data's name in error messages.
  /// - Throws: `DataError.tooFewRows` for fewer than two rows, `DataError.nonFinite` naming the
  ///   first NaN or infinite entry, `DataError.singularCovariance` when Σ is not positive
  ///   definite (fewer rows than columns + 1, a constant column, collinear columns).
  public init<S: BLASScalar>(fitting data: Matrix<S>, source: String = "training data") throws(DataError) {
    let (n, d) = (data.rows, data.columns)
    guard n >= 2 else { throw .tooFewRows(source: source, needed: 2, actual: n) }
    try checkFinite(data, source: source)
    var mean = [Double](repeating: 0, count: d)
    for i in 0..<n { for j in 0..<d { mean[j] += Double(data[i, j]) } }
    for j in 0..<d { mean[j] /= Double(n) }
    var sigma = [Double](repeating: 0, count: d * d)
    for i in 0..<n {
      for a in 0..<d {
        let xa = Double(data[i, a]) - mean[a]
        for b in 0...a { sigma[a * d + b] += xa * (Double(data[i, b]) - mean[b]) }
      }
    }
    for a in 0..<d {
      for b in 0...a {
        sigma[a * d + b] /= Double(n)
        sigma[b * d + a] = sigma[a * d + b]
      }
    }
    self.means = mean
    self.covariance = sigma
    guard (try? factor()) != nil else { throw .singularCovariance(source: source, rows: n, columns: d) }
  }

  /// `d`.
  public var dimension: Int { means.count }

  /// The Cholesky factor of Σ.
  func factor() throws -> Cholesky<Double> {
    try Cholesky(Matrix(rows: dimension, columns: dimension, elements: covariance))
  }

  /// The exact log-density `log N(xᵢ; μ, Σ)` of every row.
  ///
  /// - Parameter x: `m × d`.
  /// - Returns: `m` log-densities in nats.
  public func logDensities<S: BLASScalar>(_ x: Matrix<S>) -> [Double] {
    let d = dimension
    precondition(
      x.columns == d, "GaussianBaseline.logDensities: points \(x.shapeDescription) for dimension \(d)")
    guard x.rows > 0 else { return [] }
    // The fit checked that Σ factors; a decoded baseline is checked by `validationFailure`.
    guard let cholesky = try? factor() else { return [Double](repeating: .nan, count: x.rows) }
    var centered = Matrix<Double>(rows: d, columns: x.rows)
    for i in 0..<x.rows { for j in 0..<d { centered[j, i] = Double(x[i, j]) - means[j] } }
    let whitened = cholesky.solveLower(centered)
    let constant = -0.5 * (Double(d) * Double.log(2 * Double.pi) + cholesky.logDeterminant)
    return (0..<x.rows).map { i in
      var q = 0.0
      for j in 0..<d { q += whitened[j, i] * whitened[j, i] }
      return constant - 0.5 * q
    }
  }

  /// Why this baseline cannot be used (wrong sizes, a non-finite entry, a covariance that is not
  /// positive definite), or `nil`: for a baseline decoded from a file.
  public var validationFailure: String? {
    let d = means.count
    if d == 0 { return "the baseline has no dimensions" }
    if covariance.count != d * d {
      return "the covariance has \(covariance.count) entries for dimension \(d)"
    }
    if !(means + covariance).allSatisfy(\.isFinite) { return "an entry is not finite" }
    if (try? factor()) == nil { return "the covariance is not positive definite" }
    return nil
  }
}
