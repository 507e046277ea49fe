public import LinearAlgebra

/// Any of the module's forward processes as one concrete ``GaussianSDE``,
/// chosen at run time (from a model file or a command-line flag) and dispatched by one `switch`
/// (``withProcess(_:)``): once it is inlined, each case calls its process's specialised
/// methods, so samplers and score models stay generic and specialised.
///
/// ```swift
/// let process = StandardSDE<Float>(.init(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))))
/// let (scale, std) = process.marginal(at: 0.5)
/// ```
public enum StandardSDE<Scalar: BLASScalar>: GaussianSDE, SDEForwarding, Hashable {
  /// A variance-preserving process (linear or cosine schedule).
  case vp(VPSDE<Scalar>)
  /// A sub-VP process.
  case subVP(SubVPSDE<Scalar>)
  /// A variance-exploding process.
  case ve(VESDE<Scalar>)
  /// An Ornstein–Uhlenbeck process.
  case ornsteinUhlenbeck(OrnsteinUhlenbeckSDE<Scalar>)

  /// The process a description names (its parameters rounded to `Scalar`).
  ///
  /// - Parameter description: a valid description (see ``SDEDescription/validationFailure``) of
  ///   an isotropic kernel (``SDEDescription/hasIsotropicKernel``; the matrix kernels, `.linear`
  ///   and `.criticallyDampedLangevin`, are ``StandardLinearSDE``s).
  public init(_ description: SDEDescription) {
    if let failure = description.validationFailure { preconditionFailure("StandardSDE: \(failure)") }
    let endTime = Scalar(description.endTime)
    func schedule(_ s: SDEDescription.Schedule) -> AnyNoiseSchedule<Scalar> {
      switch s {
      case .linear(let b0, let b1): return .linear(betaMin: Scalar(b0), betaMax: Scalar(b1))
      case .cosine(let offset, let bmax): return .cosine(offset: Scalar(offset), maximumBeta: Scalar(bmax))
      }
    }
    switch description.kind {
    case .vp(let s): self = .vp(VPSDE(schedule: schedule(s), endTime: endTime))
    case .subVP(let s): self = .subVP(SubVPSDE(schedule: schedule(s), endTime: endTime))
    case .ve(let lo, let hi): self = .ve(VESDE(sigmaMin: Scalar(lo), sigmaMax: Scalar(hi), endTime: endTime))
    case .ornsteinUhlenbeck(let theta, let mean, let sigma):
      self = .ornsteinUhlenbeck(
        OrnsteinUhlenbeckSDE(theta: Scalar(theta), mean: Scalar(mean), sigma: Scalar(sigma), endTime: endTime)
      )
    case .linear, .criticallyDampedLangevin:
      preconditionFailure("StandardSDE: \(description.name) has a matrix kernel; build a StandardLinearSDE")
    }
  }

  /// The description of this process.
  public var processDescription: SDEDescription {
    withProcess { SDEDescription($0)! }
  }

  /// Calls `body` with the wrapped process: the one `switch` every requirement goes through.
  /// `body` sees an existential, but once this is inlined each case passes a known concrete
  /// type, which the optimiser devirtualises and specialises.
  ///
  /// - Parameter body: what to do with the process.
  /// - Returns: `body`'s result.
  @inlinable
  public func withProcess<Result>(_ body: (any GaussianSDE<Scalar>) -> Result) -> Result {
    switch self {
    case .vp(let p): return body(p)
    case .subVP(let p): return body(p)
    case .ve(let p): return body(p)
    case .ornsteinUhlenbeck(let p): return body(p)
    }
  }

  /// Calls `body` with the wrapped process (``SDEForwarding``'s one `switch`).
  @inlinable
  public func withSDE<Result>(_ body: (any SDE<Scalar>) -> Result) -> Result { withProcess { body($0) } }

  /// The process's kernel `(scale(t), std(t))`.
  @inlinable
  public func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    withProcess { $0.marginal(at: t) }
  }

  /// The process's kernel shift.
  @inlinable
  public func marginalShift(at t: Scalar) -> Scalar { withProcess { $0.marginalShift(at: t) } }

  /// The process's affine drift `(a(t), b(t))`.
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) {
    withProcess { $0.linearDrift(at: t) }
  }

  /// The process's transition kernel from `s` to `t`.
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    withProcess { $0.transition(from: s, to: t) }
  }

  /// The process's closed-form time at a standard deviation.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    withProcess { $0.time(atStandardDeviation: standardDeviation) }
  }

  /// The process's closed-form time at a log signal-to-noise ratio.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    withProcess { $0.time(atLogSignalToNoiseRatio: logSNR) }
  }
}
