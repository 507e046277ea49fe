public import LinearAlgebra
public import RealModule

/// The noise rate `β(t)` of a variance-preserving process (``VPSDE``, ``SubVPSDE``) and its
/// integral `B(t) = ∫₀ᵗ β(u) du`, which fixes the kernel: `scale = e^{−B/2}`, `ᾱ(t) = e^{−B}`.
///
/// ```swift
/// let linear = NoiseSchedule<Double>.linear(betaMin: 0.1, betaMax: 20)   // Song et al. 2021
/// let cosine = NoiseSchedule<Double>.cosine()                             // Nichol & Dhariwal 2021
/// ```
public enum NoiseSchedule<Scalar: BLASScalar>: Sendable, Hashable {
  /// `β(t) = β_min + t(β_max − β_min)`, so `B(t) = β_min·t + ½(β_max − β_min)t²` (Song et al.
  /// 2021, the continuous limit of DDPM's linear schedule, β ∈ [0.1, 20] by default).
  case linear(betaMin: Scalar = 0.1, betaMax: Scalar = 20)

  /// The cosine schedule of Nichol & Dhariwal (2021, "Improved Denoising Diffusion
  /// Probabilistic Models", eq. 17) in continuous time:
  ///
  ///     ᾱ(t) = cos²(θ(t)) / cos²(θ(0)),   θ(t) = ((t + s)/(1 + s))·π/2,   s = offset = 0.008,
  ///     β(t) = −d/dt log ᾱ(t) = π·tan(θ(t)) / (1 + s).
  ///
  /// β diverges at `t = 1` (ᾱ(1) = 0), where g(t) = √β and the score scale would be infinite.
  /// As Nichol & Dhariwal clip the discrete βₜ, β is clipped here at `maximumBeta` (default 20,
  /// the linear schedule's β_max): β(t) = min(π·tan θ(t)/(1+s), β_max). The unclipped formula
  /// holds up to `t* = (1+s)(2/π)·atan(β_max(1+s)/π) − s` (≈ 0.9008 by default, where
  /// ᾱ ≈ 0.0237) and β is constant after it, so ᾱ(1) ≈ 0.0033 (scale ≈ 0.057) and every closed
  /// form (B, its inverse) stays exact.
  case cosine(offset: Scalar = 0.008, maximumBeta: Scalar = 20)

  /// Checks the parameters (a programmer error if invalid).
  @inlinable
  func validate() {
    switch self {
    case .linear(let b0, let b1):
      precondition(
        b0 >= 0 && b1 >= b0 && b1 > 0,
        "NoiseSchedule.linear needs 0 ≤ betaMin ≤ betaMax, betaMax > 0; got \(b0), \(b1)")
    case .cosine(let s, let bmax):
      precondition(s > 0 && s.isFinite, "NoiseSchedule.cosine needs a positive offset, got \(s)")
      precondition(
        bmax > Self.cosineBeta(at: 0, offset: s) && bmax.isFinite,
        "NoiseSchedule.cosine needs maximumBeta above β(0) = \(Self.cosineBeta(at: 0, offset: s)), got \(bmax)"
      )
    }
  }

  /// The noise rate `β(t)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar {
    switch self {
    case .linear(let b0, let b1): return b0 + t * (b1 - b0)
    case .cosine(let s, let bmax): return Swift.min(Self.cosineBeta(at: t, offset: s), bmax)
    }
  }

  /// `B(t) = ∫₀ᵗ β(u) du = −log ᾱ(t)`.
  @inlinable
  public func integratedBeta(at t: Scalar) -> Scalar {
    integratedBeta(from: 0, to: t)
  }

  /// `∫ₛᵗ β(u) du`, computed without cancellation when `s` is close to `t`.
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    switch self {
    case .linear(let b0, let b1):
      return (t - s) * (b0 + (b1 - b0) * (t + s) / 2)
    case .cosine(let offset, let bmax):
      let knee = Self.cosineClipTime(offset: offset, maximumBeta: bmax)
      let lo = Swift.min(s, knee)
      let hi = Swift.min(t, knee)
      let smooth = lo < hi ? Self.cosineIncrement(from: lo, to: hi, offset: offset) : 0
      return smooth + bmax * (Swift.max(t, knee) - Swift.max(s, knee))
    }
  }

  /// The time at which `B(t)` reaches `integral` (the inverse of ``integratedBeta(at:)``), in
  /// closed form: `t = 2B/(β_min + √(β_min² + 2(β_max − β_min)B))` for the linear schedule,
  /// `θ = acos(cos θ(0)·e^{−B/2})` (written without cancellation) before the cosine's clip
  /// and a linear piece after it.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    precondition(integral >= 0, "time(atIntegratedBeta:) needs a non-negative integral, got \(integral)")
    if integral == 0 { return 0 }
    switch self {
    case .linear(let b0, let b1):
      return 2 * integral / (b0 + (b0 * b0 + 2 * (b1 - b0) * integral).squareRoot())
    case .cosine(let offset, let bmax):
      let knee = Self.cosineClipTime(offset: offset, maximumBeta: bmax)
      let kneeIntegral = Self.cosineIncrement(from: 0, to: knee, offset: offset)
      if integral > kneeIntegral { return knee + (integral - kneeIntegral) / bmax }
      // cos θ = c·cos θ₀ with c = e^{−B/2}, u = 1 − c. Then sin θ = S = √(sin²θ₀ + cos²θ₀·u(2−u))
      // and tan θ − tan θ₀ = u(2−u) / ((S + c·sin θ₀)·c·cos θ₀), free of cancellation.
      let theta0 = Self.cosineAngle(at: 0, offset: offset)
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
  }

  /// θ(t) = ((t + s)/(1 + s))·π/2.
  @inlinable
  static func cosineAngle(at t: Scalar, offset s: Scalar) -> Scalar {
    (t + s) / (1 + s) * Scalar.pi / 2
  }

  /// The unclipped cosine β(t) = π·tan θ(t)/(1 + s).
  @inlinable
  static func cosineBeta(at t: Scalar, offset s: Scalar) -> Scalar {
    Scalar.pi * Scalar.tan(cosineAngle(at: t, offset: s)) / (1 + s)
  }

  /// t* where the unclipped β reaches `maximumBeta`: θ(t*) = atan(β_max(1+s)/π).
  @inlinable
  static func cosineClipTime(offset s: Scalar, maximumBeta: Scalar) -> Scalar {
    Scalar.atan(maximumBeta * (1 + s) / Scalar.pi) * 2 * (1 + s) / Scalar.pi - s
  }

  /// −2 log(cos θ(b)/cos θ(a)) for the unclipped schedule, as −2·log1p(−2 sin²(Δ/2) − tan θ(a)·sin Δ)
  /// with Δ = θ(b) − θ(a), accurate when b is close to a.
  @inlinable
  static func cosineIncrement(from a: Scalar, to b: Scalar, offset s: Scalar) -> Scalar {
    let delta = (b - a) / (1 + s) * Scalar.pi / 2
    let half = Scalar.sin(delta / 2)
    let ratioMinusOne = -2 * half * half - Scalar.tan(cosineAngle(at: a, offset: s)) * Scalar.sin(delta)
    return -2 * Scalar.log(onePlus: ratioMinusOne)
  }
}
