import RealModule

/// The standard normal distribution's cumulative distribution function Φ and its inverse Φ⁻¹
/// (the probit), in `Double`.
///
/// ```swift
/// StandardNormal.cumulativeProbability(1.959_963_984_540_054)  // 0.975
/// StandardNormal.quantile(0.975)                                 // 1.959963984540054
/// ```
public enum StandardNormal {
  /// `Φ(x) = ½·erfc(−x/√2)`: accurate to rounding in both tails (no `1 − Φ` cancellation on the
  /// left).
  ///
  /// - Parameter x: any `Double`.
  /// - Returns: `P(Z ≤ x)` for `Z ~ N(0, 1)`.
  public static func cumulativeProbability(_ x: Double) -> Double {
    0.5 * Double.erfc(-x / 2.0.squareRoot())
  }

  /// `Φ⁻¹(p)`: Acklam's rational approximation (relative error below 1.2e-9) refined by one
  /// Halley step on `Φ(x) − p`, which brings it to a few ulps.
  ///
  /// The Halley step uses `e = Φ(x) − p` and `u = e·√(2π)·exp(x²/2)` (the Newton correction
  /// `e/φ(x)`): `x ← x − u/(1 + x·u/2)`. On the upper half it works with `1 − p` and the
  /// symmetry `Φ⁻¹(p) = −Φ⁻¹(1 − p)`, so that `p` close to 1 loses nothing to cancellation.
  ///
  /// - Parameter p: a probability in `(0, 1)`.
  /// - Returns: the `x` with `Φ(x) = p`; `−∞` for 0 and `+∞` for 1.
  public static func quantile(_ p: Double) -> Double {
    precondition(p >= 0 && p <= 1, "StandardNormal.quantile: p = \(p) is not in [0, 1]")
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    if p > 0.5 { return -quantile(1 - p) }
    let x = acklam(p)
    let e = cumulativeProbability(x) - p
    let u = e * (2 * Double.pi).squareRoot() * Double.exp(x * x / 2)
    return x - u / (1 + x * u / 2)
  }

  /// Acklam's approximation of Φ⁻¹(p) for `p ≤ ½`.
  static func acklam(_ p: Double) -> Double {
    let a = [
      -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
      -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01,
    ]
    let c = [
      -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    if p < 0.02425 {
      let q = (-2 * Double.log(p)).squareRoot()
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    let q = p - 0.5
    let r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
      / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  }
}
