public import LinearAlgebra
import RealModule

/// A 2-D double-well Boltzmann density p(x) = exp(−U(x)/T) / Z with
///
///     U(x) = a (x₁² − 1)² + x₂² / 2,
///
/// two wells at x₁ = ±1 separated by a barrier of height `a` at x₁ = 0, at temperature T
/// (k_B = 1). The density factorises: x₂ ~ 𝒩(0, T) exactly, and x₁ has the 1-D density
/// p₁(x₁) = exp(−β(x₁² − 1)²) / Z₁ with β = a/T, so Z = Z₁ √(2πT).
///
/// **Normalisation.** Z₁ = ∫ exp(−β(x² − 1)²) dx is computed once, at construction, by the
/// trapezoidal rule with 2001 nodes on [−L, L], where L = √(1 + √(40/β)) makes the integrand
/// below e⁻⁴⁰ outside; for a smooth, rapidly decaying integrand the rule converges
/// geometrically, so Z₁ is accurate to ~1e-13 relative.
///
/// **Sampling is exact** (rejection, no grid): |x₁| is proposed from 𝒩(1, 1/(2β)) truncated to
/// r ≥ 0, whose density is ∝ g(r) = exp(−β(r − 1)²) ≥ exp(−β(r² − 1)²) = f(r) because
/// (r² − 1)² = (r − 1)²(r + 1)² ≥ (r − 1)² for r ≥ 0; the proposal is accepted with
/// probability f/g = exp(−β(r − 1)²(r² + 2r)), and x₁ = ±r with a fair sign.
///
/// ```swift
/// let well = DoubleWell(barrier: 3, temperature: 1)
/// let x: Matrix<Double> = well.sample(count: 10_000, using: &rng)
/// let logp = well.logDensity(x)               // normalised
/// let energy = well.potential(x)              // U(x)
/// ```
public struct DoubleWell: KnownDensity {
  /// The barrier height a > 0 (the potential at x = 0 minus that at the wells).
  public let barrier: Double
  /// The temperature T > 0.
  public let temperature: Double
  /// log Z₁, the logarithm of the x₁ marginal's normaliser, by quadrature.
  public let logMarginalNormalizer: Double

  /// A double well of barrier height `barrier` at temperature `temperature`.
  ///
  /// - Parameters:
  ///   - barrier: a > 0.
  ///   - temperature: T > 0.
  public init(barrier: Double = 3, temperature: Double = 1) {
    precondition(barrier > 0 && barrier.isFinite, "DoubleWell needs a finite barrier > 0, got \(barrier)")
    precondition(
      temperature > 0 && temperature.isFinite, "DoubleWell needs a finite temperature > 0, got \(temperature)"
    )
    self.barrier = barrier
    self.temperature = temperature
    self.logMarginalNormalizer = Double.log(
      Self.marginalNormalizer(beta: barrier / temperature, nodes: 2001))
  }

  /// Z₁(β) = ∫ exp(−β(x² − 1)²) dx by the trapezoidal rule with `nodes` nodes on [−L, L],
  /// L = √(1 + √(40/β)).
  ///
  /// - Parameters:
  ///   - beta: β = a/T > 0.
  ///   - nodes: the number of quadrature nodes (≥ 3).
  /// - Returns: the integral.
  public static func marginalNormalizer(beta: Double, nodes: Int) -> Double {
    precondition(nodes >= 3, "marginalNormalizer needs at least 3 nodes, got \(nodes)")
    let limit = (1 + (40 / beta).squareRoot()).squareRoot()
    let h = 2 * limit / Double(nodes - 1)
    var sum = 0.0
    for k in 0..<nodes {
      let x = -limit + Double(k) * h
      let w = (k == 0 || k == nodes - 1) ? 0.5 : 1.0
      sum += w * Double.exp(-beta * (x * x - 1) * (x * x - 1))
    }
    return sum * h
  }

  /// β = a / T.
  public var beta: Double { barrier / temperature }
  /// log Z = log Z₁ + ½ log(2πT).
  public var logNormalizer: Double { logMarginalNormalizer + Double.log(2 * Double.pi * temperature) / 2 }
  /// 2.
  public var dimension: Int { 2 }
  /// The parameters.
  public var description: String {
    "double well: U = \(barrier)(x1^2 - 1)^2 + x2^2/2 at temperature \(temperature)"
  }

  /// U(xᵢ) = a(x₁² − 1)² + x₂²/2 for each row.
  ///
  /// - Parameter x: points, one per row (`n × 2`).
  /// - Returns: `n` energies.
  public func potential<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(x.columns == 2, "DoubleWell needs 2 columns, got a \(x.shapeDescription) matrix")
    let a = S(barrier)
    return (0..<x.rows).map { i in
      let q = x[i, 0] * x[i, 0] - 1
      return a * q * q + x[i, 1] * x[i, 1] / 2
    }
  }

  /// −U(x)/T, the log-density up to the constant −log Z.
  ///
  /// - Parameter x: points, one per row (`n × 2`).
  /// - Returns: `n` unnormalised log-densities.
  public func unnormalizedLogDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    let t = S(temperature)
    return potential(x).map { -$0 / t }
  }

  /// log p(x) = −U(x)/T − log Z.
  ///
  /// - Parameter x: points, one per row (`n × 2`).
  /// - Returns: `n` normalised log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    let logZ = S(logNormalizer)
    return unnormalizedLogDensity(x).map { $0 - logZ }
  }

  /// log p₁(x₁) = −β(x₁² − 1)² − log Z₁, the exact marginal of the first coordinate.
  ///
  /// - Parameter x1: a value of the first coordinate.
  /// - Returns: its marginal log-density.
  public func marginalLogDensity(_ x1: Double) -> Double {
    -beta * (x1 * x1 - 1) * (x1 * x1 - 1) - logMarginalNormalizer
  }

  /// `count` exact samples: x₁ by the rejection sampler above, x₂ = √T z.
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × 2` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    var out = Matrix<S>(rows: count, columns: 2)
    let sqrtT = temperature.squareRoot()
    for i in 0..<count {
      out[i, 0] = S(sampleFirstCoordinate(using: &rng))
      out[i, 1] = S(sqrtT * Double.randomNormal(using: &rng))
    }
    return out
  }

  /// One exact draw of x₁ ~ p₁ by rejection from the truncated normal envelope.
  @inlinable
  func sampleFirstCoordinate<G: RandomNumberGenerator>(using rng: inout G) -> Double {
    let b = beta
    let proposalSD = (1 / (2 * b)).squareRoot()
    while true {
      let r = 1 + proposalSD * Double.randomNormal(using: &rng)
      if r < 0 { continue }
      let u = Double.randomOpenUnit(using: &rng)
      if Double.log(u) <= -b * (r - 1) * (r - 1) * (r * r + 2 * r) {
        return rng.next() >> 63 == 1 ? -r : r
      }
    }
  }
}

/// The double well at temperature T as a physical parameter: p(x | T) is ``DoubleWell`` with a
/// fixed barrier, for conditional training; it can be sampled at any T > 0, including
/// temperatures outside the training range ``parameterRange`` (default [0.5, 2]).
///
/// ```swift
/// let family = DoubleWellFamily(barrier: 3)
/// let cold: Matrix<Double> = family.sample(count: 1000, parameter: 0.25, using: &rng)
/// ```
public struct DoubleWellFamily: ParameterizedFamily {
  /// The barrier height a.
  public let barrier: Double
  /// The temperatures used for training.
  public let parameterRange: ClosedRange<Double>

  /// Double wells of barrier `barrier`, trained on temperatures in `parameterRange`.
  ///
  /// - Parameters:
  ///   - barrier: a > 0.
  ///   - parameterRange: the training temperatures, with a lower bound > 0.
  public init(barrier: Double = 3, parameterRange: ClosedRange<Double> = 0.5...2) {
    precondition(
      barrier > 0 && barrier.isFinite, "DoubleWellFamily needs a finite barrier > 0, got \(barrier)")
    precondition(
      parameterRange.lowerBound > 0 && parameterRange.upperBound.isFinite,
      "DoubleWellFamily temperatures must be finite and > 0, got \(parameterRange)")
    self.barrier = barrier
    self.parameterRange = parameterRange
  }

  /// 2.
  public var dimension: Int { 2 }
  /// `"temperature"`.
  public var parameterName: String { "temperature" }
  /// The barrier.
  public var description: String { "double well with barrier \(barrier) at temperature T" }

  /// Row `i` is an exact sample of the double well at temperature `parameters[i]` (> 0).
  ///
  /// - Parameters:
  ///   - parameters: the temperature of each row.
  ///   - rng: the source of randomness.
  /// - Returns: a `parameters.count × 2` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(parameters: [Double], using rng: inout G)
    -> Matrix<S>
  {
    var out = Matrix<S>(rows: parameters.count, columns: 2)
    for (i, t) in parameters.enumerated() {
      precondition(t > 0, "DoubleWellFamily temperature must be > 0, got \(t)")
      // No normaliser is needed to sample: skip the quadrature of DoubleWell.init.
      let well = DoubleWell(unnormalizedBarrier: barrier, temperature: t)
      out[i, 0] = S(well.sampleFirstCoordinate(using: &rng))
      out[i, 1] = S(t.squareRoot() * Double.randomNormal(using: &rng))
    }
    return out
  }

  /// The normalised log-density of each row at temperature `parameters[i]` (the quadrature is
  /// redone only where the temperature changes from one row to the next).
  ///
  /// - Parameters:
  ///   - x: points, one per row (`n × 2`).
  ///   - parameters: the temperature of each row.
  /// - Returns: `n` log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>, parameters: [Double]) -> [S] {
    precondition(x.columns == 2, "DoubleWellFamily needs 2 columns, got a \(x.shapeDescription) matrix")
    precondition(parameters.count == x.rows, "\(parameters.count) temperatures for \(x.rows) rows")
    var result = [S]()
    result.reserveCapacity(x.rows)
    var well: DoubleWell? = nil
    for i in 0..<x.rows {
      if well?.temperature != parameters[i] {
        well = DoubleWell(barrier: barrier, temperature: parameters[i])
      }
      result.append(well!.logDensity(x.rows(i..<(i + 1)))[0])
    }
    return result
  }
}

extension DoubleWell {
  /// A double well without its normaliser (NaN), for sampling only.
  @usableFromInline
  init(unnormalizedBarrier barrier: Double, temperature: Double) {
    self.barrier = barrier
    self.temperature = temperature
    self.logMarginalNormalizer = .nan
  }
}
