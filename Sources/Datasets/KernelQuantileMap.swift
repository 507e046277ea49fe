import RealModule

/// A fitted smooth monotone map that makes one column roughly standard normal: the
/// kernel-smoothed CDF of the column pushed through Φ⁻¹.
///
/// Fitted on values `v₁, …, vₙ` (at most ``defaultMaximumCenters`` of them kept as centres
/// `c₁ ≤ … ≤ c_m`, evenly spaced in rank), with the bandwidth `h = 1.06·σ̂·n^(−1/5)` (Scott's
/// rule for a Gaussian kernel, `σ̂` the sample standard deviation of all `n` values), the map
/// and its derivative are
///
///     F(x)  = (1/m) Σᵢ Φ((x − cᵢ)/h),           f(x) = F′(x) = (1/(m h)) Σᵢ φ((x − cᵢ)/h),
///     T(x)  = Φ⁻¹(F(x)),                        log T′(x) = log f(x) − log φ(T(x)).
///
/// `F` is the CDF of a Gaussian kernel density estimate, smooth and strictly increasing from 0
/// to 1, so `T` is smooth, strictly increasing and onto ℝ: defined for every real `x` (held-out
/// rows beyond the training range included), with one preimage for every `z`. Unlike
/// ``QuantileMap``, whose derivative is piecewise constant (a histogram of the column, with a
/// spike wherever two values nearly coincide), `log T′` is smooth, so a density in data units,
/// `log p_x(x) = log p_z(T(x)) + log T′(x)`, is as smooth as the model's own. For a Gaussian
/// column `T` is close to the standardisation `(x − μ)/σ` (`F` is the CDF of `N(μ, σ² + h²)`
/// in the large-`n` limit). Beyond the data the tails are the kernel's: `T(x) ≈ (x − c₁)/h`
/// far below the smallest centre, so a sample `z` of the model far out in its tail maps back
/// to a point within a few bandwidths of the data.
///
/// Everything runs in `Double`. Where `F` or `1 − F` underflows (more than about 37 bandwidths
/// beyond every centre) both are carried as logarithms, so `T` stays finite and exact there.
/// ``inverse(_:)`` solves `T(x) = z` by Newton's method safeguarded by bisection inside the
/// bracket `[c₁ + h·z, c_m + h·z]`, which always holds the root (`Φ((x − c_m)/h) ≤ F(x) ≤
/// Φ((x − c₁)/h)`).
///
/// ```swift
/// let map = try #require(KernelQuantileMap(fitting: areas))   // skewed column
/// let z = map.value(650)                                       // ≈ N(0, 1) over the column
/// let x = map.inverse(z)                                       // 650 again (to ~1e-12)
/// ```
public struct KernelQuantileMap: Sendable, Codable, Hashable {
  /// The kernels' centres `cᵢ`, in increasing order.
  public let centers: [Double]
  /// The kernels' standard deviation `h > 0`.
  public let bandwidth: Double

  /// The most centres a fit keeps by default (the cost of every evaluation is one `erfc` per
  /// centre).
  public static let defaultMaximumCenters = 512

  /// A map with the given centres and bandwidth (as read from a model file); see
  /// ``validationFailure``.
  ///
  /// - Parameters:
  ///   - centers: at least 1 finite value, in increasing order.
  ///   - bandwidth: finite and positive.
  public init(centers: [Double], bandwidth: Double) {
    self.centers = centers
    self.bandwidth = bandwidth
    if let failure = validationFailure { preconditionFailure("KernelQuantileMap: \(failure)") }
  }

  /// Fits the map to a column's values: the bandwidth from all of them, the centres evenly
  /// spaced in rank among them.
  ///
  /// - Parameters:
  ///   - values: the column (any order), finite.
  ///   - maximumCenters: the most centres kept, at least 2.
  /// - Returns: `nil` when the values have fewer than 2 distinct values (no spread to scale a
  ///   kernel by).
  public init?(fitting values: [Double], maximumCenters: Int = defaultMaximumCenters) {
    precondition(
      maximumCenters >= 2, "KernelQuantileMap: maximumCenters must be at least 2, got \(maximumCenters)")
    precondition(values.allSatisfy(\.isFinite), "KernelQuantileMap: the values must be finite")
    let sorted = values.sorted()
    guard let first = sorted.first, let last = sorted.last, first < last else { return nil }
    let n = Double(sorted.count)
    let mean = sorted.reduce(0, +) / n
    let variance = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    let bandwidth = 1.06 * variance.squareRoot() * Double.pow(n, -0.2)
    guard bandwidth.isFinite, bandwidth > 0 else { return nil }
    var centers = sorted
    if sorted.count > maximumCenters {
      let top = sorted.count - 1
      centers = (0..<maximumCenters).map {
        sorted[($0 * top + (maximumCenters - 1) / 2) / (maximumCenters - 1)]
      }
    }
    self.centers = centers
    self.bandwidth = bandwidth
    guard validationFailure == nil else { return nil }
  }

  /// `T(x) = Φ⁻¹(F(x))`, from whichever of `F(x)` and `1 − F(x)` is smaller (no cancellation in
  /// either tail).
  public func value(_ x: Double) -> Double {
    let (lower, upper) = tailSums(x)
    if lower <= upper { return Self.lowerQuantile(logProbability: logMean(lower, x, upperTail: false)) }
    return -Self.lowerQuantile(logProbability: logMean(upper, x, upperTail: true))
  }

  /// `log T′(x) = log f(x) − log φ(T(x))`.
  public func logDerivative(_ x: Double) -> Double {
    logDerivative(x, value: value(x))
  }

  /// `log T′(x)` given `z = T(x)`: `log f(x)` as a log-sum-exp of the kernels' exponents, so
  /// that it stays finite where every kernel underflows.
  func logDerivative(_ x: Double, value z: Double) -> Double {
    let inverseH = 1 / bandwidth
    var largest = -Double.infinity
    for c in centers {
      let u = (x - c) * inverseH
      largest = Swift.max(largest, -u * u / 2)
    }
    var sum = 0.0
    for c in centers {
      let u = (x - c) * inverseH
      sum += Double.exp(-u * u / 2 - largest)
    }
    // log f = log Σ e^(−u²/2) − log(m·h·√(2π)); log φ(z) = −z²/2 − log √(2π).
    return largest + Double.log(sum) - Double.log(Double(centers.count) * bandwidth) + z * z / 2
  }

  /// `T⁻¹(z)`: Newton's method on `T(x) − z` from the middle of the bracket `[c₁ + h·z,
  /// c_m + h·z]`, bisecting whenever a Newton step would leave the bracket, until the bracket
  /// or the step is below a few ulps of `x`.
  public func inverse(_ z: Double) -> Double {
    precondition(!z.isNaN, "KernelQuantileMap.inverse: z is NaN")
    if z.isInfinite { return z }
    var low = centers[0] + bandwidth * z
    var high = centers[centers.count - 1] + bandwidth * z
    var x = (low + high) / 2
    for _ in 0..<200 {
      let t = value(x)
      let residual = t - z
      if residual == 0 { return x }
      if residual < 0 { low = x } else { high = x }
      let tolerance = 4 * Double.ulpOfOne * Swift.max(Swift.abs(low), Swift.abs(high), bandwidth)
      if high - low <= tolerance { break }
      let newton = x - residual / Double.exp(logDerivative(x, value: t))
      let step = newton > low && newton < high ? newton : (low + high) / 2
      if Swift.abs(step - x) <= tolerance { return step }
      x = step
    }
    return x
  }

  /// `m·F(x)` and `m·(1 − F(x))` in one pass, one `erfc` per centre. With `k` the centres below
  /// `x` (`u = (x − cᵢ)/h > 0`),
  ///
  ///     m·F = k + Σ_{u≤0} Φ(u) − Σ_{u>0} Φ(−u),     m·(1 − F) = m − k + Σ_{u>0} Φ(−u) − Σ_{u≤0} Φ(u):
  ///
  /// each is at least half of `k` (or of `m − k`), and a plain sum of small terms when that is 0,
  /// so neither tail cancels.
  func tailSums(_ x: Double) -> (lower: Double, upper: Double) {
    let inverseH = 1 / bandwidth
    var below = 0.0  // Σ Φ(u) over the centres with u ≤ 0 (x at or below them)
    var above = 0.0  // Σ Φ(−u) over the centres with u > 0
    var count = 0
    for c in centers {
      let u = (x - c) * inverseH
      if u > 0 {
        above += StandardNormal.cumulativeProbability(-u)
        count += 1
      } else {
        below += StandardNormal.cumulativeProbability(u)
      }
    }
    let k = Double(count)
    return (k + below - above, Double(centers.count) - k + above - below)
  }

  /// `log(sum/m)`, or where the sum of the tail underflows (every centre more than about 37
  /// bandwidths away on one side), the same as a log-sum-exp of `log Φ(±(x − cᵢ)/h)`.
  func logMean(_ sum: Double, _ x: Double, upperTail: Bool) -> Double {
    let m = Double(centers.count)
    if sum > 1e-280 { return Double.log(sum / m) }
    let sign = upperTail ? -1.0 : 1.0
    let inverseH = 1 / bandwidth
    let logs = centers.map { Self.logCumulativeProbability(sign * (x - $0) * inverseH) }
    let largest = logs.max()!
    let total = logs.reduce(0.0) { $0 + Double.exp($1 - largest) }
    return largest + Double.log(total / m)
  }

  /// `log Φ(u)`, also where `Φ(u)` underflows: `log φ(u) − log(−u) + log(1 − 1/u² + 3/u⁴ −
  /// 15/u⁶)` (the asymptotic series, relative error below 1e-10 for `u < −37`).
  static func logCumulativeProbability(_ u: Double) -> Double {
    if u > -37 { return Double.log(StandardNormal.cumulativeProbability(u)) }
    let w: Double = 1 / (u * u)
    let series: Double = w * (-1 + w * (3 - 15 * w))
    let logDensity: Double = -u * u / 2 - Double.log(2 * Double.pi) / 2
    return logDensity - Double.log(-u) + Double.log(onePlus: series)
  }

  /// The `z ≤ 0` with `log Φ(z) = logProbability` (`≤ log ½`): ``StandardNormal/quantile(_:)``
  /// where the probability is a normal `Double`, Newton's method on `log Φ` beyond.
  static func lowerQuantile(logProbability: Double) -> Double {
    if logProbability == -.infinity { return -.infinity }
    if logProbability > -700 { return StandardNormal.quantile(Double.exp(logProbability)) }
    var z = -(-2 * logProbability).squareRoot()
    for _ in 0..<50 {
      let logCDF = logCumulativeProbability(z)
      let logDensity = -z * z / 2 - Double.log(2 * Double.pi) / 2
      let step = (logCDF - logProbability) * Double.exp(logCDF - logDensity)
      z -= step
      if Swift.abs(step) <= 4 * Double.ulpOfOne * Swift.abs(z) { break }
    }
    return z
  }

  /// Why the centres and bandwidth do not make a map, or `nil`.
  public var validationFailure: String? {
    guard !centers.isEmpty else { return "no centres" }
    guard centers.allSatisfy(\.isFinite) else { return "a centre is not finite" }
    guard zip(centers, centers.dropFirst()).allSatisfy({ $0 <= $1 }) else {
      return "the centres do not increase"
    }
    guard bandwidth.isFinite, bandwidth > 0 else {
      return "the bandwidth \(bandwidth) is not finite and positive"
    }
    return nil
  }
}
