public import LinearAlgebra
public import RealModule

/// The sub-variance-preserving SDE of Song et al. (2021, eq. 12 and appendix B, eq. 29):
///
///     dx = −½β(t)·x dt + √(β(t)·(1 − e^{−2B(t)})) dW,   B(t) = ∫₀ᵗ β,
///
/// whose kernel has the VP mean but a smaller variance at every time:
///
///     scale(t) = e^{−B(t)/2},   std(t) = 1 − e^{−B(t)}   (not squared: std² = (1 − e^{−B})²),
///
/// as in score_sde's `subVPSDE.marginal_prob` (`std = 1 − exp(2·log_mean_coeff)`). The prior is
/// `N(0, I)`. Song et al. report better likelihoods with it than with the VP SDE.
///
/// ```swift
/// let sde = SubVPSDE<Double>()                // β ∈ [0.1, 20], T = 1
/// let (scale, std) = sde.marginal(at: 0.1)
/// ```
public struct SubVPSDE<Scalar: BLASScalar>: NoiseScheduledSDE, Hashable {
  /// The noise rate `β(t)` and its integral.
  public let schedule: AnyNoiseSchedule<Scalar>
  /// The end time `T` (1 by default).
  public let endTime: Scalar

  /// A sub-VP SDE with the linear or cosine schedule, spelled `.linear(betaMin:betaMax:)` or
  /// `.cosine(offset:maximumBeta:)` (``NoiseScheduledSDE`` adds `init(betaMin:betaMax:endTime:)`
  /// and an initialiser from any ``NoiseSchedule``).
  /// - Parameters:
  ///   - schedule: `β(t)`.
  ///   - endTime: `T`, 1 by default.
  @inlinable
  public init(schedule: AnyNoiseSchedule<Scalar>, endTime: Scalar = 1) {
    checkEndTime(endTime, of: "SubVPSDE")
    self.schedule = schedule
    self.endTime = endTime
  }

  /// `g(t) = √(β(t)·(1 − e^{−2B(t)}))`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar {
    let b = schedule.integratedBeta(at: t)
    return (beta(at: t) * -Scalar.expMinusOne(-2 * b)).squareRoot()
  }

  /// `scale = e^{−B/2}`, `std = 1 − e^{−B}` (computed as `−expm1(−B)`).
  @inlinable
  public static func marginal(integratedBeta b: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    (Scalar.exp(-b / 2), -Scalar.expMinusOne(-b))
  }

  /// With `D = ∫ₛᵗ β`: `scale = e^{−D/2}`, shift 0 and
  /// `std² = std_t² − e^{−D}·std_s² = (1 − e^{−D})·(1 − e^{−2B(s) − D})`, the factored form
  /// having no cancellation for `s` close to `t`.
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    checkTransitionTimes(from: s, to: t)
    let d = schedule.integratedBeta(from: s, to: t)
    let bs = schedule.integratedBeta(at: s)
    let variance = Scalar.expMinusOne(-d) * Scalar.expMinusOne(-(2 * bs + d))
    return (Scalar.exp(-d / 2), 0, variance.squareRoot())
  }

  /// `B = −log(1 − std)`.
  /// - Precondition: `0 ≤ standardDeviation < 1`.
  @inlinable
  public static func integratedBeta(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    precondition(
      standardDeviation >= 0 && standardDeviation < 1,
      "SubVPSDE.time(atStandardDeviation:) needs 0 ≤ std < 1, got \(standardDeviation)")
    return -Scalar.log(onePlus: -standardDeviation)
  }

  /// With `u = e^{−B}`, `SNR = u/(1 − u)² = e^λ` is a quadratic in `u` whose root below 1 gives
  /// `B = log(1 + (w + √(w(4 + w)))/2)`, `w = e^{−λ}`.
  @inlinable
  public static func integratedBeta(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    let w = Scalar.exp(-logSNR)
    return Scalar.log(onePlus: (w + (w * (4 + w)).squareRoot()) / 2)
  }
}
