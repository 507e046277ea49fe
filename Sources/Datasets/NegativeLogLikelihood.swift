import RealModule

/// The mean negative log-likelihood −(1/n) Σᵢ log p(xᵢ) of per-point log-densities, in nats,
/// and its standard error.
///
/// For points drawn from p it estimates the entropy H(p); for points drawn from the data and
/// densities from a model it estimates the cross-entropy, the usual likelihood score.
///
/// ```swift
/// let nll = NegativeLogLikelihood(logDensities: model.logDensity(test))
/// print("\(nll.mean) ± \(nll.standardError) nats")
/// ```
public struct NegativeLogLikelihood: Sendable, Equatable {
  /// −(1/n) Σᵢ log p(xᵢ): +∞ if any log-density is −∞, NaN if any is NaN.
  public let mean: Double
  /// The standard error of the mean, s/√n (s the sample standard deviation); NaN for n < 2.
  public let standardError: Double
  /// The number of points n.
  public let count: Int

  /// Summarises per-point log-densities.
  ///
  /// - Parameter logDensities: log p(xᵢ) for each point (at least one).
  public init<S: BinaryFloatingPoint>(logDensities: [S]) {
    precondition(!logDensities.isEmpty, "NegativeLogLikelihood needs at least one log-density")
    let n = Double(logDensities.count)
    let mean = -logDensities.reduce(0.0) { $0 + Double($1) } / n
    var ss = 0.0
    for v in logDensities {
      let d = -Double(v) - mean
      ss += d * d
    }
    self.mean = mean
    self.standardError = logDensities.count > 1 ? (ss / (n - 1) / n).squareRoot() : .nan
    self.count = logDensities.count
  }
}

/// −(1/n) Σᵢ log p(xᵢ): the mean negative log-likelihood in nats.
///
/// ```swift
/// meanNegativeLogLikelihood(EightGaussians().logDensity(x))
/// ```
///
/// - Parameter logDensities: log p(xᵢ) for each point (at least one).
/// - Returns: the mean negative log-likelihood.
public func meanNegativeLogLikelihood<S: BinaryFloatingPoint>(_ logDensities: [S]) -> Double {
  NegativeLogLikelihood(logDensities: logDensities).mean
}
