public import LinearAlgebra

/// The linear schedule of Song et al. (2021), the continuous limit of DDPM's (Ho et al. 2020):
///
///     β(t) = β_min + t(β_max − β_min),   B(s, t) = (t − s)·(β_min + (β_max − β_min)(t + s)/2),
///     B⁻¹(b) = 2b / (β_min + √(β_min² + 2(β_max − β_min)·b)),
///
/// all in closed form (β ∈ [0.1, 20] by default, where `B(1) = 10.05`).
///
/// ```swift
/// let schedule = LinearNoiseSchedule<Double>(betaMin: 0.1, betaMax: 20)
/// let vp = VPSDE<Double>(schedule: .linear(betaMin: 0.1, betaMax: 20))   // the same
/// ```
public struct LinearNoiseSchedule<Scalar: BLASScalar>: NoiseSchedule {
  /// `β(0)`.
  public let betaMin: Scalar
  /// `β(1)`.
  public let betaMax: Scalar

  /// The schedule from `β(0) = betaMin` to `β(1) = betaMax`.
  /// - Precondition: `0 ≤ betaMin ≤ betaMax`, `0 < betaMax < ∞`.
  @inlinable
  public init(betaMin: Scalar = 0.1, betaMax: Scalar = 20) {
    if let failure = Self.validationFailure(betaMin: betaMin, betaMax: betaMax) {
      preconditionFailure(failure)
    }
    self.betaMin = betaMin
    self.betaMax = betaMax
  }

  /// Why `betaMin`, `betaMax` make no schedule, or `nil`: the rule of ``init(betaMin:betaMax:)``
  /// and of ``SDEDescription/validationFailure``.
  @inlinable
  static func validationFailure(betaMin: Scalar, betaMax: Scalar) -> String? {
    betaMin >= 0 && betaMax >= betaMin && betaMax > 0 && betaMax.isFinite
      ? nil : "the linear schedule needs 0 ≤ betaMin ≤ betaMax, 0 < betaMax < ∞; got \(betaMin), \(betaMax)"
  }

  /// `β(t) = β_min + t(β_max − β_min)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar { betaMin + t * (betaMax - betaMin) }

  /// `B(s, t) = (t − s)·(β_min + (β_max − β_min)(t + s)/2)`, exact and free of cancellation.
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    (t - s) * (betaMin + (betaMax - betaMin) * (t + s) / 2)
  }

  /// `t = 2b/(β_min + √(β_min² + 2(β_max − β_min)·b))`, the positive root of `B(t) = b` written
  /// without cancellation.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    checkIntegratedBeta(integral)
    if integral == 0 { return 0 }
    return 2 * integral / (betaMin + (betaMin * betaMin + 2 * (betaMax - betaMin) * integral).squareRoot())
  }
}

extension NoiseSchedule {
  /// The linear schedule `β(t) = betaMin + t(betaMax − betaMin)` (``LinearNoiseSchedule``), as
  /// in `VPSDE(schedule: .linear(betaMin: 0.1, betaMax: 20))`.
  ///
  /// - Parameters:
  ///   - betaMin: `β(0)`, 0.1 by default (Song et al. 2021).
  ///   - betaMax: `β(1)`, 20 by default.
  @inlinable
  public static func linear<S>(betaMin: S = 0.1, betaMax: S = 20) -> Self
  where Self == LinearNoiseSchedule<S> {
    LinearNoiseSchedule(betaMin: betaMin, betaMax: betaMax)
  }
}
