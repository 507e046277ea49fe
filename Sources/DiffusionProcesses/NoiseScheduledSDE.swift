public import LinearAlgebra

/// A Gaussian SDE with the variance-preserving drift of Song et al. (2021, eqs. 11–12) and the
/// standard normal prior,
///
///     dx = −½β(t)·x dt + g(t) dW,   p_T ≈ N(0, I),
///
/// whose `β` comes from a ``NoiseSchedule``. The kernel depends on `t` only through
/// `B(t) = ∫₀ᵗ β`, so ``VPSDE`` (`g = √β`) and ``SubVPSDE`` (`g = √(β(1 − e^{−2B}))`) write only
/// `g`, the transition and the kernel as functions of `B` (``marginal(integratedBeta:)`` and its
/// inverses); the drift, the prior, `β`, and the kernel and its inverses in `t` (the schedule's
/// `B(t)` and `B⁻¹` composed with those) are written once here.
///
/// ```swift
/// func rate(of process: some NoiseScheduledSDE<Double>) -> Double { process.beta(at: 0.5) }
/// ```
public protocol NoiseScheduledSDE<Scalar>: GaussianSDE {
  /// The schedule's type.
  associatedtype Schedule: NoiseSchedule where Schedule.Scalar == Scalar

  /// The noise rate `β(t)`, its integral and its inverse.
  var schedule: Schedule { get }

  /// The process with `schedule` on `[0, endTime]`.
  init(schedule: Schedule, endTime: Scalar)

  /// The kernel `(scale, std)` once the noise rate has integrated to `b = B(t)`.
  static func marginal(integratedBeta b: Scalar) -> (scale: Scalar, standardDeviation: Scalar)

  /// The `B` at which the kernel's standard deviation is `standardDeviation` (the inverse of
  /// ``marginal(integratedBeta:)``'s `std`).
  static func integratedBeta(atStandardDeviation standardDeviation: Scalar) -> Scalar

  /// The `B` at which `log(scale²/std²)` is `logSNR`.
  static func integratedBeta(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar
}

extension NoiseScheduledSDE where Schedule == AnyNoiseSchedule<Scalar> {
  /// The process with the linear schedule `β(t) = betaMin + t(betaMax − betaMin)`.
  /// - Parameters:
  ///   - betaMin: `β(0)`, 0.1 by default (Song et al. 2021).
  ///   - betaMax: `β(1)`, 20 by default.
  ///   - endTime: `T`, 1 by default.
  @inlinable
  public init(betaMin: Scalar = 0.1, betaMax: Scalar = 20, endTime: Scalar = 1) {
    self.init(schedule: .linear(betaMin: betaMin, betaMax: betaMax), endTime: endTime)
  }

  /// The process with any ``NoiseSchedule``, such as a ``NumericalNoiseSchedule`` (wrapped in an
  /// ``AnyNoiseSchedule``).
  /// - Parameters:
  ///   - schedule: `β(t)`.
  ///   - endTime: `T`, 1 by default.
  @inlinable
  @_disfavoredOverload
  public init(schedule: some NoiseSchedule<Scalar>, endTime: Scalar = 1) {
    self.init(schedule: AnyNoiseSchedule(schedule), endTime: endTime)
  }
}

extension NoiseScheduledSDE {
  /// The noise rate `β(t)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar { schedule.beta(at: t) }

  /// The kernel at `B(t)`: ``marginal(integratedBeta:)`` of the schedule's integral.
  @inlinable
  public func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    Self.marginal(integratedBeta: schedule.integratedBeta(at: t))
  }

  /// Closed form: ``integratedBeta(atStandardDeviation:)``, then the schedule's inverse `B⁻¹`.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    schedule.time(atIntegratedBeta: Self.integratedBeta(atStandardDeviation: standardDeviation))
  }

  /// Closed form: ``integratedBeta(atLogSignalToNoiseRatio:)``, then the schedule's inverse `B⁻¹`.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    schedule.time(atIntegratedBeta: Self.integratedBeta(atLogSignalToNoiseRatio: logSNR))
  }

  /// `f(x, t) = −½β(t)·x`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    out.assign(x, scaledBy: -beta(at: t) / 2, offset: 0)
  }

  /// `(−½β(t), 0)`.
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) {
    (-beta(at: t) / 2, 0)
  }

  /// Draws from the prior `N(0, I)`.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    Matrix.randomNormal(rows: count, columns: dimension, using: &rng)
  }

  /// `log N(xᵢ; 0, I) = −d/2·log 2π − ‖xᵢ‖²/2`.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] {
    x.isotropicGaussianLogDensity(mean: 0, variance: 1)
  }
}

/// Checks a process's end time (a programmer error if invalid).
@inlinable
func checkEndTime<Scalar: BLASScalar>(_ endTime: Scalar, of process: String) {
  if let failure = endTimeFailure(endTime) { preconditionFailure("\(process): \(failure)") }
}

/// Why `endTime` cannot end a process, or `nil`: the rule of every process's initialiser and of
/// ``SDEDescription/validationFailure``.
@inlinable
func endTimeFailure<Scalar: BLASScalar>(_ endTime: Scalar) -> String? {
  endTime > 0 && endTime.isFinite ? nil : "endTime must be positive and finite, got \(endTime)"
}
