public import LinearAlgebra
public import RealModule

/// The variance-exploding SDE of Song et al. (2021, eq. 9), the continuous limit of SMLD /
/// NCSN (Song & Ermon 2019):
///
///     dx = σ(t)·√(2·log(σ_max/σ_min)) dW,   σ(t) = σ_min·(σ_max/σ_min)^t,
///
/// with no drift, so `g(t)² = d σ(t)²/dt`. Its exact kernel from `x(0) = x₀` is
///
///     scale(t) = 1,   std(t)² = ∫₀ᵗ g² = σ(t)² − σ_min² = σ_min²·((σ_max/σ_min)^{2t} − 1),
///
/// and the prior is `N(0, σ_max² I)`.
///
/// **Kernel choice.** score_sde's `VESDE.marginal_prob` returns `std = σ(t)`, which is the
/// kernel of this SDE started from the data already blurred by `N(0, σ_min² I)`, not from the
/// data itself (it has `std(0) = σ_min`). ScoreSDE uses the exact kernel `σ(t)² − σ_min²` so
/// that every ``GaussianSDE`` has `p_0 = p_data` (`std(0) = 0`): the oracles' densities at
/// `t → 0` are the data's, and the kernel agrees with a simulation of the SDE from `x₀`. The
/// two differ by `σ_min² = 10⁻⁴` in variance, and their transitions between two times are the
/// same (`σ(t)² − σ(s)²`, SMLD's update).
///
/// ```swift
/// let sde = VESDE<Float>()                         // σ ∈ [0.01, 50], T = 1
/// let std = sde.marginal(at: 1).standardDeviation  // √(50² − 0.01²)
/// ```
public struct VESDE<Scalar: BLASScalar>: GaussianSDE, Hashable {
  /// `σ_min` (0.01 by default).
  public let sigmaMin: Scalar
  /// `σ_max` (50 by default), the prior's standard deviation.
  public let sigmaMax: Scalar
  /// The end time `T` (1 by default).
  public let endTime: Scalar

  /// A VE SDE with `σ(t) = σ_min·(σ_max/σ_min)^t`.
  /// - Parameters:
  ///   - sigmaMin: `σ_min > 0`, 0.01 by default (Song et al. 2021).
  ///   - sigmaMax: `σ_max > σ_min`, 50 by default (the CIFAR-10 setting; Song & Ermon 2020
  ///     advise the largest pairwise distance of the data).
  ///   - endTime: `T`, 1 by default.
  @inlinable
  public init(sigmaMin: Scalar = 0.01, sigmaMax: Scalar = 50, endTime: Scalar = 1) {
    if let failure = Self.validationFailure(sigmaMin: sigmaMin, sigmaMax: sigmaMax) {
      preconditionFailure(failure)
    }
    checkEndTime(endTime, of: "VESDE")
    self.sigmaMin = sigmaMin
    self.sigmaMax = sigmaMax
    self.endTime = endTime
  }

  /// Why `sigmaMin`, `sigmaMax` make no VE SDE, or `nil`: the rule of
  /// ``init(sigmaMin:sigmaMax:endTime:)`` and of ``SDEDescription/validationFailure``.
  @inlinable
  static func validationFailure(sigmaMin: Scalar, sigmaMax: Scalar) -> String? {
    sigmaMin > 0 && sigmaMax > sigmaMin && sigmaMax.isFinite
      ? nil : "the VE SDE needs 0 < sigmaMin < sigmaMax < ∞, got \(sigmaMin), \(sigmaMax)"
  }

  /// `log(σ_max/σ_min)`.
  @inlinable
  var logRatio: Scalar { Scalar.log(sigmaMax / sigmaMin) }

  /// The noise level `σ(t) = σ_min·(σ_max/σ_min)^t` (score_sde's "std"; see the kernel choice
  /// above).
  @inlinable
  public func sigma(at t: Scalar) -> Scalar { sigmaMin * Scalar.exp(t * logRatio) }

  /// `f(x, t) = 0`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    out.assign(x, scaledBy: 0, offset: 0)
  }

  /// `g(t) = σ(t)·√(2·log(σ_max/σ_min))`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { sigma(at: t) * (2 * logRatio).squareRoot() }

  /// Draws from the prior `N(0, σ_max² I)`.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    Matrix.randomNormal(rows: count, columns: dimension, standardDeviation: sigmaMax, using: &rng)
  }

  /// `log N(xᵢ; 0, σ_max² I) = −d/2·log(2πσ_max²) − ‖xᵢ‖²/(2σ_max²)`.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] {
    x.isotropicGaussianLogDensity(mean: 0, variance: sigmaMax * sigmaMax)
  }

  /// `scale = 1`, `std = σ_min·√(expm1(2t·log(σ_max/σ_min)))`.
  @inlinable
  public func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    (1, sigmaMin * Scalar.expMinusOne(2 * t * logRatio).squareRoot())
  }

  /// `(0, 0)`.
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) { (0, 0) }

  /// `scale = 1`, shift 0, `std² = σ(t)² − σ(s)² = σ(s)²·expm1(2(t − s)·log(σ_max/σ_min))`
  /// (SMLD's update `σᵢ² − σᵢ₋₁²`).
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    checkTransitionTimes(from: s, to: t)
    return (1, 0, sigma(at: s) * Scalar.expMinusOne(2 * (t - s) * logRatio).squareRoot())
  }

  /// Closed form: `t = log(1 + std²/σ_min²) / (2·log(σ_max/σ_min))`.
  /// - Precondition: `standardDeviation ≥ 0`.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    precondition(
      standardDeviation >= 0, "VESDE.time(atStandardDeviation:) needs std ≥ 0, got \(standardDeviation)")
    let r = standardDeviation / sigmaMin
    return Scalar.log(onePlus: r * r) / (2 * logRatio)
  }

  /// Closed form: `λ = −log std²`, so `t = log(1 + e^{−λ}/σ_min²) / (2·log(σ_max/σ_min))`.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    softplus(-logSNR - 2 * Scalar.log(sigmaMin)) / (2 * logRatio)
  }
}
