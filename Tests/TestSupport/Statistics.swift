import LinearAlgebra

/// Sample moments of a set of numbers, accumulated in `Double`.
public struct SampleMoments: Sendable {
  public let count: Int
  public let mean: Double
  public let variance: Double
  /// Third standardised moment (0 for a normal distribution).
  public let skewness: Double
  /// Fourth standardised moment, not excess (3 for a normal distribution).
  public let kurtosis: Double

  public init<S: BinaryFloatingPoint>(_ values: some Collection<S>) {
    let n = Double(values.count)
    precondition(values.count > 1, "need at least two values")
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    var m2 = 0.0
    var m3 = 0.0
    var m4 = 0.0
    for v in values {
      let d = Double(v) - mean
      m2 += d * d
      m3 += d * d * d
      m4 += d * d * d * d
    }
    m2 /= n
    m3 /= n
    m4 /= n
    self.count = values.count
    self.mean = mean
    self.variance = m2 * n / (n - 1)
    self.skewness = m3 / (m2 * m2.squareRoot())
    self.kurtosis = m4 / (m2 * m2)
  }

  /// The standard error of the mean, `√(variance / n)`.
  public var standardErrorOfMean: Double { (variance / Double(count)).squareRoot() }
}
