import RealModule

/// A fitted smooth monotone map that makes one column roughly standard normal: the CDF of an
/// adaptive Gaussian kernel density estimate of the column, pushed through Φ⁻¹.
///
/// With centres `c₁ ≤ … ≤ c_m` and one bandwidth `hᵢ > 0` per centre, the map and its
/// derivative are
///
///     F(x) = (1/m) Σᵢ Φ((x − cᵢ)/hᵢ),          f(x) = F′(x) = (1/m) Σᵢ φ((x − cᵢ)/hᵢ)/hᵢ,
///     T(x) = Φ⁻¹(F(x)),                        log T′(x) = log f(x) − log φ(T(x)).
///
/// `F` is the CDF of a mixture of Gaussians, smooth and strictly increasing from 0 to 1, so `T`
/// is smooth, strictly increasing and onto ℝ: defined for every real `x` (held-out rows beyond
/// the training range included), with one preimage for every `z`. A standard normal in `z`
/// pulled back through `T` is the kernel estimate `f` itself. Unlike ``QuantileMap``, whose
/// derivative is piecewise constant (a histogram of the column, with a spike wherever two
/// values nearly coincide), `log T′` is smooth, so a density in data units,
/// `log p_x(x) = log p_z(T(x)) + log T′(x)`, is as smooth as the model's own.
///
/// **The fit** (``init(fitting:maximumCenters:)``) is Abramson's (1982) sample-point adaptive
/// estimate: the centres are the column's values (at most ``defaultMaximumCenters`` of them,
/// evenly spaced in rank), a pilot estimate with Scott's bandwidth `h₀ = 1.06·σ̂·n^(−1/5)` gives
/// `f̃(cᵢ)`, and
///
///     hᵢ = h₀·√(g / f̃(cᵢ)),     g = exp((1/m) Σᵢ log f̃(cᵢ))  (the pilot's geometric mean),
///
/// so kernels are narrow where the data are dense and wide in the tails. One fixed bandwidth
/// gives a heavy-tailed column Gaussian tails a few `h₀` beyond its largest training value: a
/// held-out row further out then costs hundreds of nats. The wide kernels of the outlying values
/// give the tails the weight the column's own outliers call for.
///
/// Everything runs in `Double`. Where `F` or `1 − F` underflows (every centre more than about
/// 37 of its bandwidths away on one side) both are carried as logarithms, so `T` stays finite
/// and exact there; there `T(x) ≈ (x − cᵢ)/hᵢ` for the nearest centre, so a sample `z` of a
/// model far out in its tail maps back to a point within a few bandwidths of the data.
/// ``inverse(_:)`` solves `T(x) = z` by Newton's method safeguarded by bisection inside the
/// bracket `[minᵢ(cᵢ + hᵢ·z), maxᵢ(cᵢ + hᵢ·z)]`, which always holds the root (every term of `F`
/// is at most `Φ(z)` at its left end and at least `Φ(z)` at its right end).
///
/// ```swift
/// let map = try #require(KernelQuantileMap(fitting: areas))   // skewed column
/// let z = map.value(650)                                       // ≈ N(0, 1) over the column
/// let x = map.inverse(z)                                       // 650 again (to ~1e-12)
/// ```
public struct KernelQuantileMap: Sendable, Codable, Hashable {
  /// The kernels' centres `cᵢ`, in increasing order.
  public let centers: [Double]
  /// The kernels' standard deviations `hᵢ > 0`, one per centre.
  public let bandwidths: [Double]
  /// `log hᵢ`, kept beside the bandwidths (not written to a file) for ``logDerivative(_:)``.
  let logBandwidths: [Double]

  enum CodingKeys: String, CodingKey {
    case centers, bandwidths
  }

  /// The most centres a fit keeps by default (the cost of every evaluation is one `erfc` per
  /// centre).
  public static let defaultMaximumCenters = 512

  /// A map with the given centres and bandwidths (as read from a model file); see
  /// ``validationFailure``.
  ///
  /// - Parameters:
  ///   - centers: at least 1 finite value, in increasing order.
  ///   - bandwidths: as many finite positive values.
  public init(centers: [Double], bandwidths: [Double]) {
    self.centers = centers
    self.bandwidths = bandwidths
    self.logBandwidths = bandwidths.map { Double.log($0) }
    if let failure = validationFailure { preconditionFailure("KernelQuantileMap: \(failure)") }
  }

  /// Fits Abramson's adaptive estimate to a column's values: Scott's pilot bandwidth from all of
  /// them, the centres evenly spaced in rank among them.
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
    let pilotBandwidth = 1.06 * variance.squareRoot() * Double.pow(n, -0.2)
    guard pilotBandwidth.isFinite, pilotBandwidth > 0 else { return nil }
    var centers = sorted
    if sorted.count > maximumCenters {
      let top = sorted.count - 1
      centers = (0..<maximumCenters).map {
        sorted[($0 * top + (maximumCenters - 1) / 2) / (maximumCenters - 1)]
      }
    }
    // The pilot's log-density at each centre (the normalising constant cancels in g/f̃).
    let logPilot = centers.map { c in
      Double.log(
        centers.reduce(0.0) { sum, other in
          let u = (c - other) / pilotBandwidth
          return sum + Double.exp(-u * u / 2)
        })
    }
    let logGeometricMean = logPilot.reduce(0, +) / Double(centers.count)
    let bandwidths = logPilot.map { pilotBandwidth * Double.exp((logGeometricMean - $0) / 2) }
    self.centers = centers
    self.bandwidths = bandwidths
    self.logBandwidths = bandwidths.map { Double.log($0) }
    guard validationFailure == nil else { return nil }
  }

  /// Reads the centres and bandwidths (check ``validationFailure`` before use).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    centers = try container.decode([Double].self, forKey: .centers)
    bandwidths = try container.decode([Double].self, forKey: .bandwidths)
    logBandwidths = bandwidths.map { Double.log($0) }
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

  /// `log T′(x)` given `z = T(x)`: `log f(x)` as a log-sum-exp of the kernels' log-densities, so
  /// that it stays finite where every kernel underflows.
  func logDerivative(_ x: Double, value z: Double) -> Double {
    var largest = -Double.infinity
    for i in centers.indices {
      let u = (x - centers[i]) / bandwidths[i]
      largest = Swift.max(largest, -u * u / 2 - logBandwidths[i])
    }
    var sum = 0.0
    for i in centers.indices {
      let u = (x - centers[i]) / bandwidths[i]
      sum += Double.exp(-u * u / 2 - logBandwidths[i] - largest)
    }
    // log f = log Σ e^(−u²/2)/hᵢ − log(m·√(2π)); log φ(z) = −z²/2 − log √(2π).
    return largest + Double.log(sum) - Double.log(Double(centers.count)) + z * z / 2
  }

  /// `T⁻¹(z)`: Newton's method on `T(x) − z` inside the bracket `[minᵢ(cᵢ + hᵢ·z),
  /// maxᵢ(cᵢ + hᵢ·z)]`, from the centre of rank `Φ(z)·(m − 1)` (close to the root: `F` is close
  /// to the centres' empirical CDF), bisecting whenever a Newton step would leave the bracket,
  /// until the bracket or the step is below a few ulps of `x`.
  public func inverse(_ z: Double) -> Double {
    precondition(!z.isNaN, "KernelQuantileMap.inverse: z is NaN")
    if z.isInfinite { return z }
    let ends = zip(centers, bandwidths).map { $0 + $1 * z }
    var low = ends.min()!
    var high = ends.max()!
    let scale = bandwidths.min()!
    let rank = Int((StandardNormal.cumulativeProbability(z) * Double(centers.count - 1)).rounded())
    var x = Swift.min(Swift.max(centers[rank], low), high)
    for _ in 0..<200 {
      let t = value(x)
      let residual = t - z
      if residual == 0 { return x }
      if residual < 0 { low = x } else { high = x }
      let tolerance = 4 * Double.ulpOfOne * Swift.max(Swift.abs(low), Swift.abs(high), scale)
      if high - low <= tolerance { break }
      let newton = x - residual / Double.exp(logDerivative(x, value: t))
      let step = newton > low && newton < high ? newton : (low + high) / 2
      if Swift.abs(step - x) <= tolerance { return step }
      x = step
    }
    return x
  }

  /// `m·F(x)` and `m·(1 − F(x))` in one pass, one `erfc` per centre. With `k` the centres below
  /// `x` (`u = (x − cᵢ)/hᵢ > 0`),
  ///
  ///     m·F = k + Σ_{u≤0} Φ(u) − Σ_{u>0} Φ(−u),     m·(1 − F) = m − k + Σ_{u>0} Φ(−u) − Σ_{u≤0} Φ(u):
  ///
  /// each is at least half of `k` (or of `m − k`), and a plain sum of small terms when that is 0,
  /// so neither tail cancels.
  func tailSums(_ x: Double) -> (lower: Double, upper: Double) {
    var below = 0.0  // Σ Φ(u) over the centres with u ≤ 0 (x at or below them)
    var above = 0.0  // Σ Φ(−u) over the centres with u > 0
    var count = 0
    for (c, h) in zip(centers, bandwidths) {
      let u = (x - c) / h
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

  /// `log(sum/m)`, or where the sum of the tail underflows (every centre more than about 37 of
  /// its bandwidths away on one side), the same as a log-sum-exp of `log Φ(±(x − cᵢ)/hᵢ)`.
  func logMean(_ sum: Double, _ x: Double, upperTail: Bool) -> Double {
    let m = Double(centers.count)
    if sum > 1e-280 { return Double.log(sum / m) }
    let sign = upperTail ? -1.0 : 1.0
    let logs = zip(centers, bandwidths).map { Self.logCumulativeProbability(sign * (x - $0) / $1) }
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

  /// Why the centres and bandwidths do not make a map, or `nil`.
  public var validationFailure: String? {
    guard !centers.isEmpty, centers.count == bandwidths.count else {
      return
        "\(centers.count) centres and \(bandwidths.count) bandwidths (at least 1 of each, as many of each)"
    }
    guard centers.allSatisfy(\.isFinite) else { return "a centre is not finite" }
    guard zip(centers, centers.dropFirst()).allSatisfy({ $0 <= $1 }) else {
      return "the centres do not increase"
    }
    guard bandwidths.allSatisfy({ $0.isFinite && $0 > 0 }) else {
      return "a bandwidth is not finite and positive"
    }
    return nil
  }
}
