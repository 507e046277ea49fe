public import LinearAlgebra
public import RealModule

/// A linear SDE `dx = (a(t)·x + b(t)) dt + g(t) dW` whose transition kernel from time 0 is
/// Gaussian and isotropic:
///
///     p_t(x | x₀) = N(scale(t)·x₀ + shift(t), std(t)² I),
///     scale(t) = exp(∫₀ᵗ a),   std(t)² = ∫₀ᵗ exp(2∫ᵤᵗ a)·g(u)² du.
///
/// Every SDE of Song et al. (2021) is of this kind (VP, sub-VP, VE), and so is the
/// Ornstein–Uhlenbeck process (whose `shift` is non-zero). The closed-form kernel makes
/// denoising score matching possible: perturb data with ``LinearGaussianSDE/perturb(_:at:noise:into:)`` and
/// regress on the kernel's score ``LinearGaussianSDE/conditionalScore(noise:at:into:)``.
///
/// ```swift
/// let sde = VPSDE<Double>()
/// let (a, s) = sde.marginal(at: 0.5)     // x_t = a·x₀ + s·z
/// let t = sde.time(atStandardDeviation: 0.5)
/// ```
///
/// Only ``marginal(at:)`` must be written; the other requirements have defaults (shift 0,
/// transitions from the marginals, times by bisection), which the concrete SDEs replace by
/// closed forms that are more accurate.
public protocol GaussianSDE<Scalar>: LinearGaussianSDE {
  /// `(scale(t), std(t))` of the kernel `p_t(x | x₀) = N(scale(t)·x₀ + shift(t), std(t)² I)`.
  func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar)

  /// The additive shift of the kernel mean, the same for every coordinate:
  /// `E[x_t | x₀] = scale(t)·x₀ + shift(t)`. Zero (the default) for VP, sub-VP and VE;
  /// `μ(1 − e^{−θt})` for the Ornstein–Uhlenbeck process.
  func marginalShift(at t: Scalar) -> Scalar

  /// The drift as an affine function of the state, `f(x, t) = coefficient·x + offset`
  /// (coefficient `a(t) = d/dt log scale(t)`, offset `b(t)`). Likelihood computation uses it:
  /// `∇ₓ·f = d·a(t)`. The default evaluates ``SDE/drift(_:at:into:)`` at 0 and 1 (allocating).
  func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar)

  /// The kernel from time `s` to a later time `t`: `x_t | x_s ~ N(scale·x_s + shift, std² I)`
  /// with
  ///
  ///     scale_{t|s} = scale_t / scale_s,   shift_{t|s} = shift_t − scale_{t|s}·shift_s,
  ///     std_{t|s}²  = std_t² − scale_{t|s}²·std_s².
  ///
  /// This is the exact discretised forward update (DDPM's `β_i`, SMLD's `σ_i² − σ_{i−1}²`).
  /// The default computes these from the marginals; concrete SDEs use forms without the
  /// cancellation in `std_t² − scale_{t|s}²·std_s²` for `s` close to `t`.
  /// - Precondition: `0 ≤ s ≤ t`.
  func transition(from s: Scalar, to t: Scalar) -> (scale: Scalar, shift: Scalar, standardDeviation: Scalar)

  /// The time at which `std(t)` equals `standardDeviation`. Concrete SDEs use closed forms; the
  /// default bisects on `[0, endTime]`, assuming `std` increases with `t`.
  func time(atStandardDeviation standardDeviation: Scalar) -> Scalar

  /// The time at which the log signal-to-noise ratio `λ(t) = log(scale²/std²)` equals
  /// `logSNR`. Concrete SDEs use closed forms; the default bisects on `[0, endTime]`, assuming
  /// `λ` decreases with `t`.
  func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar
}

extension GaussianSDE {
  /// No shift: `E[x_t | x₀] = scale(t)·x₀`.
  @inlinable
  public func marginalShift(at t: Scalar) -> Scalar { 0 }

  /// Reads the affine drift off ``SDE/drift(_:at:into:)`` at `x = 0` and `x = 1` (allocates a
  /// 2 × 1 matrix; concrete SDEs give closed forms).
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) {
    let x = Matrix<Scalar>(rows: 2, columns: 1, elements: [0, 1])
    var f = Matrix<Scalar>(rows: 2, columns: 1)
    drift(x, at: t, into: &f)
    return (f[1, 0] - f[0, 0], f[0, 0])
  }

  /// The transition from the marginals at `s` and `t` (see the requirement).
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    checkTransitionTimes(from: s, to: t)
    let (scaleS, stdS) = marginal(at: s)
    let (scaleT, stdT) = marginal(at: t)
    let scale = scaleT / scaleS
    let shift = marginalShift(at: t) - scale * marginalShift(at: s)
    let variance = Swift.max(0, stdT * stdT - scale * scale * stdS * stdS)
    return (scale, shift, variance.squareRoot())
  }

  /// Bisection on `[0, endTime]` for the time where `std(t) = standardDeviation`.
  /// - Precondition: `std(0) ≤ standardDeviation ≤ std(endTime)`.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    let lower = marginal(at: 0).standardDeviation
    let upper = marginal(at: endTime).standardDeviation
    precondition(
      standardDeviation >= lower && standardDeviation <= upper,
      "time(atStandardDeviation: \(standardDeviation)): std ranges over [\(lower), \(upper)] on [0, \(endTime)]"
    )
    return bisect(increasing: { marginal(at: $0).standardDeviation }, target: standardDeviation)
  }

  /// Bisection on `[0, endTime]` for the time where `λ(t) = logSNR`.
  /// - Precondition: `λ(endTime) ≤ logSNR ≤ λ(0)`.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    let upper = logSignalToNoiseRatio(at: 0)
    let lower = logSignalToNoiseRatio(at: endTime)
    precondition(
      logSNR >= lower && logSNR <= upper,
      "time(atLogSignalToNoiseRatio: \(logSNR)): λ ranges over [\(lower), \(upper)] on [0, \(endTime)]")
    return bisect(increasing: { -logSignalToNoiseRatio(at: $0) }, target: -logSNR)
  }

  /// The signal-to-noise ratio `SNR(t) = scale(t)² / std(t)²` (Kingma et al. 2021, "Variational
  /// Diffusion Models"); `+∞` at `t = 0`.
  @inlinable
  public func signalToNoiseRatio(at t: Scalar) -> Scalar {
    let (a, s) = marginal(at: t)
    return (a * a) / (s * s)
  }

  /// The log signal-to-noise ratio `λ(t) = log(scale²/std²) = 2(log scale − log std)`, which
  /// decreases from `+∞` at `t = 0`.
  @inlinable
  public func logSignalToNoiseRatio(at t: Scalar) -> Scalar {
    let (a, s) = marginal(at: t)
    return 2 * (Scalar.log(a) - Scalar.log(s))
  }

  /// The variance `std(t)²` of the kernel.
  @inlinable
  public func marginalVariance(at t: Scalar) -> Scalar {
    let s = marginal(at: t).standardDeviation
    return s * s
  }
}
