public import LinearAlgebra
public import RealModule

/// The variance-preserving SDE of Song et al. (2021, eq. 11), the continuous limit of DDPM
/// (Ho et al. 2020):
///
///     dx = −½β(t)·x dt + √β(t) dW,
///
/// a time-inhomogeneous Ornstein–Uhlenbeck process. With `B(t) = ∫₀ᵗ β` the kernel is
///
///     scale(t) = e^{−B(t)/2},   std(t)² = 1 − e^{−B(t)},
///
/// so data of unit variance keeps unit variance and the prior is `N(0, I)`. `β` comes from a
/// ``NoiseSchedule``: linear `β(t) = β_min + t(β_max − β_min)` (default, β ∈ [0.1, 20], where
/// `B(1) = 10.05` and `scale(1) ≈ 0.0066`) or the clipped cosine schedule of Nichol & Dhariwal.
///
/// ```swift
/// let vp = VPSDE<Float>()                              // linear, β ∈ [0.1, 20], T = 1
/// let cosine = VPSDE<Float>(schedule: .cosine())      // s = 0.008, β clipped at 20
/// let (scale, std) = vp.marginal(at: 0.5)
/// ```
public struct VPSDE<Scalar: BLASScalar>: NoiseScheduledSDE, Hashable {
  /// The noise rate `β(t)` and its integral.
  public let schedule: AnyNoiseSchedule<Scalar>
  /// The end time `T` (1 by default).
  public let endTime: Scalar

  /// A VP SDE with the linear or cosine schedule, spelled `.linear(betaMin:betaMax:)` or
  /// `.cosine(offset:maximumBeta:)` (``NoiseScheduledSDE`` adds `init(betaMin:betaMax:endTime:)`
  /// and an initialiser from any ``NoiseSchedule``).
  /// - Parameters:
  ///   - schedule: `β(t)`.
  ///   - endTime: `T`, 1 by default.
  @inlinable
  public init(schedule: AnyNoiseSchedule<Scalar>, endTime: Scalar = 1) {
    checkEndTime(endTime, of: "VPSDE")
    self.schedule = schedule
    self.endTime = endTime
  }

  /// `g(t) = √β(t)`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { beta(at: t).squareRoot() }

  /// `scale = e^{−B/2}`, `std = √(1 − e^{−B})` (computed as `√(−expm1(−B))`).
  @inlinable
  public static func marginal(integratedBeta b: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    (Scalar.exp(-b / 2), (-Scalar.expMinusOne(-b)).squareRoot())
  }

  /// The kernel over `[s, t]` is the marginal one at `ΔB = ∫ₛᵗ β`: `scale = e^{−ΔB/2}`, shift 0,
  /// `std² = 1 − e^{−ΔB}` (DDPM's `βᵢ = 1 − αᵢ`).
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    checkTransitionTimes(from: s, to: t)
    let (scale, standardDeviation) = Self.marginal(integratedBeta: schedule.integratedBeta(from: s, to: t))
    return (scale, 0, standardDeviation)
  }

  /// `B = −log(1 − std²)`.
  /// - Precondition: `0 ≤ standardDeviation < 1`.
  @inlinable
  public static func integratedBeta(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    precondition(
      standardDeviation >= 0 && standardDeviation < 1,
      "VPSDE.time(atStandardDeviation:) needs 0 ≤ std < 1, got \(standardDeviation)")
    return -Scalar.log(onePlus: -standardDeviation * standardDeviation)
  }

  /// `SNR = 1/(e^B − 1)`, so `B = log(1 + e^{−λ})` (a softplus).
  @inlinable
  public static func integratedBeta(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    softplus(-logSNR)
  }
}

/// `log(1 + eʸ)` without overflow.
@inlinable
func softplus<Scalar: BLASScalar>(_ y: Scalar) -> Scalar {
  y > 0 ? y + Scalar.log(onePlus: Scalar.exp(-y)) : Scalar.log(onePlus: Scalar.exp(y))
}
