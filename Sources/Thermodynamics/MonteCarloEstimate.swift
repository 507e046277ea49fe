/// A Monte Carlo mean with its standard error: the summary every estimator in this module
/// returns, so that a caller (or a test) can state a bound as `k` standard errors rather than a
/// tolerance picked by eye.
///
/// For `n` independent, identically distributed values `yᵢ` the estimate is
///
///     ȳ = (1/n) Σ yᵢ,   SE = √(s²/n),   s² = (1/(n − 1)) Σ (yᵢ − ȳ)²,
///
/// accumulated in `Double` whatever the precision of the model (two-pass, so no cancellation).
/// When the units are not independent (points that share one random time, say), estimators
/// average over the shared randomness first and pass the independent units here.
///
/// ```swift
/// let e = MonteCarloEstimate([1.2, 0.8, 1.1, 0.9])
/// print(e.mean, "±", e.standardError)
/// ```
public struct MonteCarloEstimate: Sendable, Hashable, CustomStringConvertible {
  /// The sample mean `ȳ`.
  public let mean: Double
  /// The standard error of the mean, `√(s²/n)`; 0 for one value.
  public let standardError: Double
  /// The number of independent values `n`.
  public let count: Int

  /// An estimate from its parts.
  public init(mean: Double, standardError: Double, count: Int) {
    self.mean = mean
    self.standardError = standardError
    self.count = count
  }

  /// The mean and standard error of independent values.
  /// - Precondition: `values` is not empty.
  public init<S: BinaryFloatingPoint>(_ values: some Collection<S>) {
    precondition(!values.isEmpty, "MonteCarloEstimate needs at least one value")
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    var squares = 0.0
    for v in values {
      let c = Double(v) - mean
      squares += c * c
    }
    self.mean = mean
    self.standardError = values.count > 1 ? (squares / (n - 1) / n).squareRoot() : 0
    self.count = values.count
  }

  /// `|mean − value| / standardError` (infinite for a non-zero difference with zero error): how
  /// many standard errors separate the estimate from `value`.
  public func standardErrors(from value: Double) -> Double {
    let difference = Swift.abs(mean - value)
    if difference == 0 { return 0 }
    return standardError > 0 ? difference / standardError : .infinity
  }

  /// `mean ± standardError (n = count)`.
  public var description: String { "\(mean) ± \(standardError) (n = \(count))" }
}
