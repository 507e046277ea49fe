public import DiffusionProcesses
import RealModule

/// EDM's training distribution of noise levels (Karras et al. 2022, §5 and Table 1):
/// `ln σ̃ ~ N(P_mean, P_std²)` with `P_mean = −1.2`, `P_std = 1.2`, written as a density of the
/// time of any ``GaussianSDE`` through `σ̃(t) = σ(t)/a(t)` and truncated to `[ε, T]`.
///
/// With `ℓ(t) = ln σ̃(t) = −½·λ_SNR(t)` increasing in `t` and `dℓ/dt = g(t)²/(2σ(t)²)` (for every
/// linear SDE `g²/σ² = −dλ_SNR/dt`), the density and the sampler are
///
///     q(t) = φ((ℓ(t) − P_mean)/P_std) · g(t)²/(2σ(t)²) / (P_std·Z),   Z = Φ(h) − Φ(l),
///     t(u) = λ_SNR⁻¹(−2·(P_mean + P_std·Φ⁻¹(Φ(l) + u·Z))),
///
/// `l`, `h` the standardised `ℓ(ε)`, `ℓ(T)`. The inverse log-SNR is the process's own
/// ``GaussianSDE/time(atLogSignalToNoiseRatio:)`` (closed form for VP, sub-VP, VE and OU).
public struct LogNormalNoiseLevels<Process: LinearGaussianSDE>: Sendable {
  /// The precision.
  public typealias Scalar = Process.Scalar
  /// `P_mean`.
  public static var meanLogNoiseLevel: Double { -1.2 }
  /// `P_std`.
  public static var standardDeviationOfLogNoiseLevel: Double { 1.2 }

  /// The forward process.
  public let process: Process
  /// `ε`.
  public let smallTimeCutoff: Scalar
  /// `Φ(l)` and `Φ(h)`, the normal CDF at the standardised ends.
  @usableFromInline let lowerProbability: Double
  @usableFromInline let upperProbability: Double

  /// The distribution on `[ε, T]` for `process`.
  public init(process: Process, smallTimeCutoff: Scalar) {
    self.process = process
    self.smallTimeCutoff = smallTimeCutoff
    let standardise = { (t: Scalar) -> Double in
      (-0.5 * Double(process.logSignalToNoiseRatio(at: t)) - Self.meanLogNoiseLevel)
        / Self.standardDeviationOfLogNoiseLevel
    }
    lowerProbability = standardNormalCDF(standardise(smallTimeCutoff))
    upperProbability = standardNormalCDF(standardise(process.endTime))
  }

  /// The time at quantile `u ∈ [0, 1]`.
  @inlinable
  public func time(atQuantile u: Scalar) -> Scalar {
    let p = lowerProbability + Double(u) * (upperProbability - lowerProbability)
    let logSigma = Self.meanLogNoiseLevel + Self.standardDeviationOfLogNoiseLevel * standardNormalQuantile(p)
    let t = process.time(atLogSignalToNoiseRatio: Scalar(-2 * logSigma))
    return Swift.min(process.endTime, Swift.max(smallTimeCutoff, t))
  }

  /// The fraction of the distribution below `t`.
  @inlinable
  public func cumulativeProbability(at t: Scalar) -> Scalar {
    let z =
      (-0.5 * Double(process.logSignalToNoiseRatio(at: t)) - Self.meanLogNoiseLevel)
      / Self.standardDeviationOfLogNoiseLevel
    return Scalar((standardNormalCDF(z) - lowerProbability) / (upperProbability - lowerProbability))
  }

  /// `q(t)`.
  @inlinable
  /// (NaN for a process without an isotropic kernel, which trains with uniform times only.)
  public func density(at t: Scalar) -> Scalar {
    let ps = Self.standardDeviationOfLogNoiseLevel
    let z = (-0.5 * Double(process.logSignalToNoiseRatio(at: t)) - Self.meanLogNoiseLevel) / ps
    let g = Double(process.diffusion(at: t))
    let s = Double(process.isotropicMarginal(at: t)?.standardDeviation ?? .nan)
    let phi = Double.exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
    return Scalar(phi * g * g / (2 * s * s) / (ps * (upperProbability - lowerProbability)))
  }
}

/// `Φ(x) = ½·erfc(−x/√2)`.
@inlinable
func standardNormalCDF(_ x: Double) -> Double {
  0.5 * Double.erfc(-x / 2.0.squareRoot())
}

/// `Φ⁻¹(p)` for `p ∈ (0, 1)`: Acklam's rational approximation (relative error 1.15e-9), refined
/// by one Halley step on `Φ(x) − p` to full double precision.
@inlinable
func standardNormalQuantile(_ p: Double) -> Double {
  if p <= 0 { return -.infinity }
  if p >= 1 { return .infinity }
  let a = [
    -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
  ]
  let b = [
    -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
    6.680131188771972e+01, -1.328068155288572e+01,
  ]
  let c = [
    -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
    -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
  ]
  let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  let low = 0.02425
  var x: Double
  if p < low {
    let q = (-2 * Double.log(p)).squareRoot()
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
      / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  } else if p <= 1 - low {
    let q = p - 0.5
    let r = q * q
    x =
      (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
      / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  } else {
    let q = (-2 * Double.log(1 - p)).squareRoot()
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
      / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  // Halley: e = Φ(x) − p, u = e·√(2π)·exp(x²/2), x ← x − u/(1 + x·u/2).
  let e = standardNormalCDF(x) - p
  let u = e * (2 * Double.pi).squareRoot() * Double.exp(x * x / 2)
  x -= u / (1 + x * u / 2)
  return x
}
