public import LinearAlgebra
public import RealModule

/// The cosine schedule of Nichol & Dhariwal (2021, "Improved Denoising Diffusion Probabilistic
/// Models", eq. 17) in continuous time, with `β` clipped:
///
///     ᾱ(t) = cos²(θ(t)) / cos²(θ(0)),   θ(t) = ((t + s)/(1 + s))·π/2,   s = offset = 0.008,
///     β(t) = min(−d/dt log ᾱ(t), β_max) = min(π·tan(θ(t))/(1 + s), β_max).
///
/// The unclipped β diverges at `t = 1` (ᾱ(1) = 0), where g(t) = √β and the score scale would be
/// infinite; as Nichol & Dhariwal clip the discrete βₜ, β is clipped here at `maximumBeta`
/// (default 20, the linear schedule's β_max). The unclipped formula holds up to
/// `t* = (1+s)(2/π)·atan(β_max(1+s)/π) − s` (≈ 0.9008 by default, where ᾱ ≈ 0.0237) and β is
/// constant after it, so ᾱ(1) ≈ 0.0033 (scale ≈ 0.057) and every closed form (B, its inverse)
/// stays exact.
///
/// ```swift
/// let schedule = CosineNoiseSchedule<Double>()             // s = 0.008, β ≤ 20
/// let vp = VPSDE<Double>(schedule: .cosine())              // the same
/// ```
public struct CosineNoiseSchedule<Scalar: BLASScalar>: NoiseSchedule {
  /// The offset `s` that keeps β(0) small.
  public let offset: Scalar
  /// The clip `β_max`.
  public let maximumBeta: Scalar

  /// The schedule with offset `s` and β clipped at `maximumBeta`.
  /// - Precondition: `offset > 0` and `maximumBeta` finite and above the unclipped β(0).
  @inlinable
  public init(offset: Scalar = 0.008, maximumBeta: Scalar = 20) {
    if let failure = Self.validationFailure(offset: offset, maximumBeta: maximumBeta) {
      preconditionFailure(failure)
    }
    self.offset = offset
    self.maximumBeta = maximumBeta
  }

  /// `β(t) = min(π·tan θ(t)/(1 + s), β_max)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar {
    Swift.min(Self.unclippedBeta(at: t, offset: offset), maximumBeta)
  }

  /// `B(s, t)`: `−2 log(cos θ(b)/cos θ(a))` on the part of `[s, t]` before the clip time `t*`
  /// (written without cancellation) plus `β_max` times the part after it.
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    let knee = clipTime
    let lo = Swift.min(s, knee)
    let hi = Swift.min(t, knee)
    let smooth = lo < hi ? Self.increment(from: lo, to: hi, offset: offset) : 0
    return smooth + maximumBeta * (Swift.max(t, knee) - Swift.max(s, knee))
  }

  /// In closed form: `θ = acos(cos θ(0)·e^{−B/2})` (written without cancellation) before the
  /// clip and a linear piece after it.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    checkIntegratedBeta(integral)
    if integral == 0 { return 0 }
    let knee = clipTime
    let kneeIntegral = Self.increment(from: 0, to: knee, offset: offset)
    if integral > kneeIntegral { return knee + (integral - kneeIntegral) / maximumBeta }
    // cos θ = c·cos θ₀ with c = e^{−B/2}, u = 1 − c. Then sin θ = S = √(sin²θ₀ + cos²θ₀·u(2−u))
    // and tan θ − tan θ₀ = u(2−u) / ((S + c·sin θ₀)·c·cos θ₀), free of cancellation.
    let theta0 = Self.angle(at: 0, offset: offset)
    let (sin0, cos0) = (Scalar.sin(theta0), Scalar.cos(theta0))
    let u = -Scalar.expMinusOne(-integral / 2)
    let c = 1 - u
    let twoU = u * (2 - u)
    let sinTheta = (sin0 * sin0 + cos0 * cos0 * twoU).squareRoot()
    let tanTheta = sinTheta / (c * cos0)
    let tanDifference = twoU / ((sinTheta + c * sin0) * c * cos0)
    let delta = Scalar.atan(tanDifference / (1 + tanTheta * sin0 / cos0))
    return delta * 2 * (1 + offset) / Scalar.pi
  }

  /// The clip time `t*` where the unclipped β reaches `β_max`: θ(t*) = atan(β_max(1+s)/π).
  @inlinable
  public var clipTime: Scalar {
    Scalar.atan(maximumBeta * (1 + offset) / Scalar.pi) * 2 * (1 + offset) / Scalar.pi - offset
  }

  /// θ(t) = ((t + s)/(1 + s))·π/2.
  @inlinable
  static func angle(at t: Scalar, offset s: Scalar) -> Scalar {
    (t + s) / (1 + s) * Scalar.pi / 2
  }

  /// Why `offset`, `maximumBeta` make no schedule, or `nil`: the rule of
  /// ``init(offset:maximumBeta:)`` and of ``SDEDescription/validationFailure``.
  @inlinable
  static func validationFailure(offset: Scalar, maximumBeta: Scalar) -> String? {
    guard offset > 0 && offset.isFinite else {
      return "the cosine schedule needs a positive finite offset, got \(offset)"
    }
    let beta0 = unclippedBeta(at: 0, offset: offset)
    guard maximumBeta > beta0 && maximumBeta.isFinite else {
      return "the cosine schedule needs a finite maximumBeta above β(0) = \(beta0), got \(maximumBeta)"
    }
    return nil
  }

  /// The unclipped β(t) = π·tan θ(t)/(1 + s).
  @inlinable
  static func unclippedBeta(at t: Scalar, offset s: Scalar) -> Scalar {
    Scalar.pi * Scalar.tan(angle(at: t, offset: s)) / (1 + s)
  }

  /// −2 log(cos θ(b)/cos θ(a)) for the unclipped schedule, as −2·log1p(−2 sin²(Δ/2) − tan θ(a)·sin Δ)
  /// with Δ = θ(b) − θ(a), accurate when b is close to a.
  @inlinable
  static func increment(from a: Scalar, to b: Scalar, offset s: Scalar) -> Scalar {
    let delta = (b - a) / (1 + s) * Scalar.pi / 2
    let half = Scalar.sin(delta / 2)
    let ratioMinusOne = -2 * half * half - Scalar.tan(angle(at: a, offset: s)) * Scalar.sin(delta)
    return -2 * Scalar.log(onePlus: ratioMinusOne)
  }
}

extension NoiseSchedule {
  /// The clipped cosine schedule of Nichol & Dhariwal (``CosineNoiseSchedule``), as in
  /// `VPSDE(schedule: .cosine())`.
  ///
  /// - Parameters:
  ///   - offset: `s`, 0.008 by default.
  ///   - maximumBeta: the clip `β_max`, 20 by default.
  @inlinable
  public static func cosine<S>(offset: S = 0.008, maximumBeta: S = 20) -> Self
  where Self == CosineNoiseSchedule<S> {
    CosineNoiseSchedule(offset: offset, maximumBeta: maximumBeta)
  }
}
