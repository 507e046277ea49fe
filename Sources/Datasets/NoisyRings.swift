public import LinearAlgebra
import RealModule

/// Concentric noisy circles: a ring of radius rₖ chosen with probability wₖ, a uniform angle θ,
/// then isotropic Gaussian noise, x = rₖ(cos θ, sin θ) + σ ε with ε ~ 𝒩(0, I).
///
/// The density is exact: averaging 𝒩(x; r(cos θ, sin θ), σ² I) over θ gives
///
///     p(x) = Σₖ wₖ (2πσ²)⁻¹ exp(−(‖x‖² + rₖ²) / (2σ²)) I₀(rₖ ‖x‖ / σ²)
///
/// with I₀ the modified Bessel function of order 0, and E‖x‖² = Σₖ wₖ rₖ² + 2σ².
/// ``circles`` and ``rings`` are FFJORD's toy densities (Grathwohl et al. 2019) with uniform
/// angles in place of scikit-learn's evenly spaced ones.
///
/// ```swift
/// let x: Matrix<Double> = NoisyRings.rings.sample(count: 1000, using: &rng)
/// let logp = NoisyRings.rings.logDensity(x)
/// ```
public struct NoisyRings: KnownDensity {
  /// The ring radii rₖ ≥ 0.
  public let radii: [Double]
  /// The ring probabilities wₖ, normalised to sum to 1.
  public let weights: [Double]
  /// The noise standard deviation σ > 0.
  public let noise: Double
  /// The name shown in ``description``.
  public let name: String

  /// Rings of the given radii with isotropic noise `noise`.
  ///
  /// - Parameters:
  ///   - radii: the radii rₖ ≥ 0 (at least one).
  ///   - weights: the ring probabilities (> 0, normalised here); equal when `nil`.
  ///   - noise: the noise standard deviation σ > 0.
  ///   - name: the name shown in ``description``.
  public init(radii: [Double], weights: [Double]? = nil, noise: Double, name: String = "noisy rings") {
    precondition(
      !radii.isEmpty && radii.allSatisfy { $0 >= 0 && $0.isFinite },
      "NoisyRings needs finite radii ≥ 0, got \(radii)")
    precondition(noise > 0 && noise.isFinite, "NoisyRings needs a finite noise > 0, got \(noise)")
    self.radii = radii
    self.weights = normalizedMixtureWeights(weights, count: radii.count, of: "NoisyRings", parts: "rings")
    self.noise = noise
    self.name = name
  }

  /// FFJORD's `circles` (scikit-learn `make_circles(factor = 0.5, noise = 0.08)` scaled by 3):
  /// radii 3 and 1.5 with equal probability, σ = 0.24.
  public static let circles = NoisyRings(radii: [3, 1.5], noise: 0.24, name: "circles")

  /// FFJORD's `rings`: radii 3, 2.25, 1.5, 0.75 with equal probability, σ = 0.08.
  public static let rings = NoisyRings(radii: [3, 2.25, 1.5, 0.75], noise: 0.08, name: "rings")

  /// 2.
  public var dimension: Int { 2 }
  /// The name, radii and noise.
  public var description: String { "\(name): radii \(radii), noise sd \(noise)" }

  /// `count` samples (two uniforms and two normals each).
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × 2` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    var cumulative = [Double]()
    var running = 0.0
    for w in weights {
      running += w
      cumulative.append(running)
    }
    var out = Matrix<S>(rows: count, columns: 2)
    let sigma = S(noise)
    out.withUnsafeMutableBufferPointer { e in
      for i in 0..<count {
        let u = 1 - Double.randomOpenUnit(using: &rng)
        let r = S(radii[cumulative.firstIndex { u < $0 } ?? (radii.count - 1)])
        let theta = 2 * S.pi * (1 - S.randomOpenUnit(using: &rng))
        let (z1, z2) = S.randomNormalPair(using: &rng)
        e[2 * i] = r * S.cos(theta) + sigma * z1
        e[2 * i + 1] = r * S.sin(theta) + sigma * z2
      }
    }
    return out
  }

  /// The exact log-density (the Bessel form above, by log-sum-exp over rings), computed in
  /// `Double`.
  ///
  /// - Parameter x: points, one per row (`n × 2`).
  /// - Returns: `n` log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(x.columns == 2, "\(name) needs 2 columns, got a \(x.shapeDescription) matrix")
    return (0..<x.rows).map { i in
      S(ringLogDensity(norm: Double.hypot(Double(x[i, 0]), Double(x[i, 1]))))
    }
  }

  /// log p at a point of norm `norm`: the density depends on ‖x‖ only.
  @usableFromInline
  func ringLogDensity(norm rho: Double) -> Double {
    let s2 = noise * noise
    let terms = zip(radii, weights).map { r, w in
      // exp(−(ρ² + r²)/2σ²) I₀(rρ/σ²) = exp(−(ρ − r)²/2σ²) · I₀(z) e^{−z}, z = rρ/σ².
      Double.log(w) - Double.log(2 * Double.pi * s2) - (rho - r) * (rho - r) / (2 * s2)
        + logScaledBesselI0(r * rho / s2)
    }
    return logSumExp(terms)
  }
}

/// Noisy rings whose radius is a physical parameter: p(x | r) is a ring of radius r with
/// isotropic Gaussian noise σ (``NoisyRings`` with one radius), for conditional training.
///
/// It can be sampled at any r ≥ 0, including radii outside the training range
/// ``parameterRange`` (default [1, 3]).
///
/// ```swift
/// let family = RingFamily()
/// let x: Matrix<Float> = family.sample(count: 500, parameter: 3.5, using: &rng)   // extrapolation
/// ```
public struct RingFamily: ParameterizedFamily {
  /// The noise standard deviation σ.
  public let noise: Double
  /// The radii used for training.
  public let parameterRange: ClosedRange<Double>

  /// Rings with noise `noise`, trained on radii in `parameterRange`.
  ///
  /// - Parameters:
  ///   - noise: σ > 0.
  ///   - parameterRange: the training radii, with a lower bound ≥ 0.
  public init(noise: Double = 0.1, parameterRange: ClosedRange<Double> = 1...3) {
    precondition(noise > 0 && noise.isFinite, "RingFamily needs a finite noise > 0, got \(noise)")
    precondition(
      parameterRange.lowerBound >= 0 && parameterRange.upperBound.isFinite,
      "RingFamily radii must be finite and ≥ 0, got \(parameterRange)")
    self.noise = noise
    self.parameterRange = parameterRange
  }

  /// 2.
  public var dimension: Int { 2 }
  /// `"radius"`.
  public var parameterName: String { "radius" }
  /// The noise.
  public var description: String { "ring of radius r, noise sd \(noise)" }

  /// Row `i` is a sample of the ring of radius `parameters[i]` (≥ 0).
  ///
  /// - Parameters:
  ///   - parameters: the radius of each row.
  ///   - rng: the source of randomness.
  /// - Returns: a `parameters.count × 2` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(parameters: [Double], using rng: inout G)
    -> Matrix<S>
  {
    var out = Matrix<S>(rows: parameters.count, columns: 2)
    let sigma = S(noise)
    for (i, r) in parameters.enumerated() {
      precondition(r >= 0, "RingFamily radius must be ≥ 0, got \(r)")
      let theta = 2 * S.pi * (1 - S.randomOpenUnit(using: &rng))
      let (z1, z2) = S.randomNormalPair(using: &rng)
      out[i, 0] = S(r) * S.cos(theta) + sigma * z1
      out[i, 1] = S(r) * S.sin(theta) + sigma * z2
    }
    return out
  }

  /// The exact log-density of each row under the ring of radius `parameters[i]`.
  ///
  /// - Parameters:
  ///   - x: points, one per row (`n × 2`).
  ///   - parameters: the radius of each row.
  /// - Returns: `n` log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>, parameters: [Double]) -> [S] {
    precondition(x.columns == 2, "RingFamily needs 2 columns, got a \(x.shapeDescription) matrix")
    precondition(parameters.count == x.rows, "\(parameters.count) radii for \(x.rows) rows")
    return (0..<x.rows).map { i in
      let ring = NoisyRings(radii: [parameters[i]], noise: noise)
      return S(ring.ringLogDensity(norm: Double.hypot(Double(x[i, 0]), Double(x[i, 1]))))
    }
  }
}
