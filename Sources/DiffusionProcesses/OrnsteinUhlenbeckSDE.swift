public import LinearAlgebra
public import RealModule

/// The Ornstein–Uhlenbeck process, mean-reverting with constant coefficients:
///
///     dx = −θ(x − μ) dt + σ dW,
///
/// with the kernel (Uhlenbeck & Ornstein 1930; Gardiner, "Stochastic Methods", §3.8.4)
///
///     E[x_t | x₀] = μ + e^{−θt}(x₀ − μ) = e^{−θt}·x₀ + μ(1 − e^{−θt}),
///     std(t)² = σ²(1 − e^{−2θt}) / (2θ),
///
/// so `scale = e^{−θt}` and, unlike VP / sub-VP / VE, a non-zero ``marginalShift(at:)``
/// `μ(1 − e^{−θt})` when `μ ≠ 0`. The prior is the stationary law `N(μ, σ²/(2θ) I)`, which the
/// kernel reaches up to `e^{−θT}`: choose `θT` large (θ = 1, T = 1 leaves `scale(1) ≈ 0.37`).
/// The mean `μ` applies to every coordinate.
///
/// ```swift
/// let ou = OrnsteinUhlenbeckSDE<Double>(theta: 4, mean: 1, sigma: 2)
/// let shift = ou.marginalShift(at: 0.5)     // 1 − e^{−2}
/// ```
public struct OrnsteinUhlenbeckSDE<Scalar: BLASScalar>: GaussianSDE, Hashable {
  /// The mean-reversion rate `θ > 0`.
  public let theta: Scalar
  /// The long-run mean `μ` of every coordinate.
  public let mean: Scalar
  /// The noise amplitude `σ > 0`.
  public let sigma: Scalar
  /// The end time `T` (1 by default).
  public let endTime: Scalar

  /// An OU process `dx = −θ(x − μ) dt + σ dW`.
  /// - Parameters:
  ///   - theta: the mean-reversion rate `θ > 0`.
  ///   - mean: the long-run mean `μ` (0 by default).
  ///   - sigma: the noise amplitude `σ > 0`.
  ///   - endTime: `T`, 1 by default.
  @inlinable
  public init(theta: Scalar, mean: Scalar = 0, sigma: Scalar, endTime: Scalar = 1) {
    if let failure = Self.validationFailure(theta: theta, mean: mean, sigma: sigma) {
      preconditionFailure(failure)
    }
    checkEndTime(endTime, of: "OrnsteinUhlenbeckSDE")
    self.theta = theta
    self.mean = mean
    self.sigma = sigma
    self.endTime = endTime
  }

  /// Why `theta`, `mean`, `sigma` make no OU process, or `nil`: the rule of
  /// ``init(theta:mean:sigma:endTime:)`` and of ``SDEDescription/validationFailure``.
  @inlinable
  static func validationFailure(theta: Scalar, mean: Scalar, sigma: Scalar) -> String? {
    theta > 0 && theta.isFinite && sigma > 0 && sigma.isFinite && mean.isFinite
      ? nil
      : "the Ornstein–Uhlenbeck process needs 0 < θ < ∞, 0 < σ < ∞ and a finite μ; got θ = \(theta), "
        + "μ = \(mean), σ = \(sigma)"
  }

  /// The stationary variance `σ²/(2θ)`.
  @inlinable
  public var stationaryVariance: Scalar { sigma * sigma / (2 * theta) }

  /// `f(x, t) = −θ(x − μ) = −θ·x + θμ`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    out.assign(x, scaledBy: -theta, offset: theta * mean)
  }

  /// `g(t) = σ`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { sigma }

  /// Draws from the stationary prior `N(μ, σ²/(2θ) I)`.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    Matrix.randomNormal(
      rows: count, columns: dimension, mean: mean, standardDeviation: stationaryVariance.squareRoot(),
      using: &rng)
  }

  /// `log N(xᵢ; μ, σ²/(2θ) I)`.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] {
    x.isotropicGaussianLogDensity(mean: mean, variance: stationaryVariance)
  }

  /// `scale = e^{−θt}`, `std = √(σ²(1 − e^{−2θt})/(2θ))`.
  @inlinable
  public func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    (Scalar.exp(-theta * t), (stationaryVariance * -Scalar.expMinusOne(-2 * theta * t)).squareRoot())
  }

  /// `shift(t) = μ(1 − e^{−θt})`.
  @inlinable
  public func marginalShift(at t: Scalar) -> Scalar { -mean * Scalar.expMinusOne(-theta * t) }

  /// `(−θ, θμ)`.
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) { (-theta, theta * mean) }

  /// The process is time-homogeneous: the kernel over `t − s`, i.e. `scale = e^{−θ(t−s)}`,
  /// `shift = μ(1 − e^{−θ(t−s)})`, `std² = σ²(1 − e^{−2θ(t−s)})/(2θ)`.
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    checkTransitionTimes(from: s, to: t)
    let (a, std) = marginal(at: t - s)
    return (a, marginalShift(at: t - s), std)
  }

  /// Closed form: `t = −log(1 − std²·2θ/σ²) / (2θ)`.
  /// - Precondition: `0 ≤ standardDeviation² < σ²/(2θ)`.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    let ratio = standardDeviation * standardDeviation / stationaryVariance
    precondition(
      standardDeviation >= 0 && ratio < 1,
      "OrnsteinUhlenbeckSDE.time(atStandardDeviation:) needs 0 ≤ std < \(stationaryVariance.squareRoot()), got \(standardDeviation)"
    )
    return -Scalar.log(onePlus: -ratio) / (2 * theta)
  }

  /// Closed form: with `v = σ²/(2θ)`, `e^λ = e^{−2θt}/(v(1 − e^{−2θt}))`, so
  /// `t = log(1 + e^{−λ}/v) / (2θ)`.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    softplus(-logSNR - Scalar.log(stationaryVariance)) / (2 * theta)
  }
}
