public import LinearAlgebra

/// The noise rate `β(t) ≥ 0` of a variance-preserving process (``VPSDE``, ``SubVPSDE``), its
/// integral and the integral's inverse:
///
///     B(s, t) = ∫ₛᵗ β(u) du,   B(t) = B(0, t) = −log ᾱ(t),   t = B⁻¹(b),
///
/// which fix the kernel (`scale = e^{−B/2}`, `ᾱ(t) = e^{−B}`) and the inverse maps from a noise
/// level to a time.
///
/// Only ``beta(at:)`` must be written: the default integral is composite 5-point
/// Gauss–Legendre quadrature and the default inverse is a safeguarded Newton iteration on it
/// (with `B′ = β`), evaluated afresh on every call. ``LinearNoiseSchedule`` and
/// ``CosineNoiseSchedule`` replace them by closed forms, and ``NumericalNoiseSchedule``
/// tabulates them once for any `β`.
///
/// ```swift
/// let vp = VPSDE<Double>(schedule: .linear(betaMin: 0.1, betaMax: 20))   // Song et al. 2021
/// let cosine = VPSDE<Double>(schedule: .cosine())                        // Nichol & Dhariwal 2021
/// let custom = VPSDE<Double>(schedule: NumericalNoiseSchedule { t in 0.1 + 19.9 * t * t })
/// ```
public protocol NoiseSchedule<Scalar>: Sendable, Hashable {
  /// The precision.
  associatedtype Scalar: BLASScalar

  /// The noise rate `β(t) ≥ 0`.
  func beta(at t: Scalar) -> Scalar

  /// `B(s, t) = ∫ₛᵗ β(u) du`, accurate (without cancellation) when `s` is close to `t`.
  func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar

  /// The time `t ≥ 0` at which `B(t) = ∫₀ᵗ β` reaches `integral` (the inverse of
  /// ``integratedBeta(at:)``).
  /// - Precondition: `integral ≥ 0`.
  func time(atIntegratedBeta integral: Scalar) -> Scalar
}

extension NoiseSchedule {
  /// `B(t) = ∫₀ᵗ β(u) du = −log ᾱ(t)`.
  @inlinable
  public func integratedBeta(at t: Scalar) -> Scalar {
    integratedBeta(from: 0, to: t)
  }

  /// `∫ₛᵗ β` by composite 5-point Gauss–Legendre quadrature on 32 equal panels (exact for a
  /// piecewise polynomial of degree ≤ 9 per panel; schedules with closed forms replace it).
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    Scalar(
      GaussLegendre.fivePoint.integrate(from: Double(s), to: Double(t), panels: 32) {
        Double(beta(at: Scalar($0)))
      })
  }

  /// The inverse of ``integratedBeta(at:)`` by Newton's method on `B(t) − integral` (`B′ = β`),
  /// safeguarded by bisection on a bracket that doubles from `[0, 1]` until it holds the root.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    checkIntegratedBeta(integral)
    if integral == 0 { return 0 }
    var (lo, hi): (Scalar, Scalar) = (0, 1)
    var doublings = 0
    while integratedBeta(at: hi) < integral {
      (lo, hi) = (hi, 2 * hi)
      doublings += 1
      precondition(doublings < 64, "time(atIntegratedBeta: \(integral)): B(t) stays below it for all t")
    }
    var t = lo + (hi - lo) / 2
    for _ in 0..<200 {
      let residual = integratedBeta(at: t) - integral
      if residual == 0 { return t }
      if residual < 0 { lo = t } else { hi = t }
      let rate = beta(at: t)
      var next = rate > 0 ? t - residual / rate : lo + (hi - lo) / 2
      if !(next > lo && next < hi) { next = lo + (hi - lo) / 2 }
      if next == t || hi - lo <= 2 * t.ulp { return next }
      t = next
    }
    return t
  }
}

/// Checks the argument of a schedule's `time(atIntegratedBeta:)`: `B ≥ 0` (a programmer error
/// otherwise; NaN fails too).
@inlinable
func checkIntegratedBeta<Scalar: BLASScalar>(_ integral: Scalar) {
  precondition(integral >= 0, "time(atIntegratedBeta:) needs a non-negative integral, got \(integral)")
}
