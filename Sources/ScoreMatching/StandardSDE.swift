public import DiffusionProcesses
public import LinearAlgebra

/// Any of the module's forward processes as one concrete ``GaussianSDE``,
/// chosen at run time (from a model file or a command-line flag) and dispatched by a `switch`:
/// samplers and score models stay generic and specialised, with no existential.
///
/// ```swift
/// let process = StandardSDE<Float>(.init(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))))
/// let (scale, std) = process.marginal(at: 0.5)
/// ```
public enum StandardSDE<Scalar: BLASScalar>: GaussianSDE, Hashable {
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
  /// - Parameter description: a valid description (see ``SDEDescription/validationFailure``).
  public init(_ description: SDEDescription) {
    if let failure = description.validationFailure { preconditionFailure("StandardSDE: \(failure)") }
    let endTime = Scalar(description.endTime)
    func schedule(_ s: SDEDescription.Schedule) -> NoiseSchedule<Scalar> {
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
    }
  }

  /// The description of this process.
  public var processDescription: SDEDescription {
    switch self {
    case .vp(let p): return SDEDescription(p)!
    case .subVP(let p): return SDEDescription(p)!
    case .ve(let p): return SDEDescription(p)!
    case .ornsteinUhlenbeck(let p): return SDEDescription(p)!
    }
  }

  /// `T`.
  @inlinable
  public var endTime: Scalar {
    switch self {
    case .vp(let p): return p.endTime
    case .subVP(let p): return p.endTime
    case .ve(let p): return p.endTime
    case .ornsteinUhlenbeck(let p): return p.endTime
    }
  }

  /// The process's drift `f(x, t)`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    switch self {
    case .vp(let p): p.drift(x, at: t, into: &out)
    case .subVP(let p): p.drift(x, at: t, into: &out)
    case .ve(let p): p.drift(x, at: t, into: &out)
    case .ornsteinUhlenbeck(let p): p.drift(x, at: t, into: &out)
    }
  }

  /// The process's `g(t)`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar {
    switch self {
    case .vp(let p): return p.diffusion(at: t)
    case .subVP(let p): return p.diffusion(at: t)
    case .ve(let p): return p.diffusion(at: t)
    case .ornsteinUhlenbeck(let p): return p.diffusion(at: t)
    }
  }

  /// Draws from the process's prior.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    switch self {
    case .vp(let p): return p.samplePrior(count: count, dimension: dimension, using: &rng)
    case .subVP(let p): return p.samplePrior(count: count, dimension: dimension, using: &rng)
    case .ve(let p): return p.samplePrior(count: count, dimension: dimension, using: &rng)
    case .ornsteinUhlenbeck(let p): return p.samplePrior(count: count, dimension: dimension, using: &rng)
    }
  }

  /// The prior's log-density of each row.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] {
    switch self {
    case .vp(let p): return p.priorLogDensity(x)
    case .subVP(let p): return p.priorLogDensity(x)
    case .ve(let p): return p.priorLogDensity(x)
    case .ornsteinUhlenbeck(let p): return p.priorLogDensity(x)
    }
  }

  /// The process's kernel `(scale(t), std(t))`.
  @inlinable
  public func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) {
    switch self {
    case .vp(let p): return p.marginal(at: t)
    case .subVP(let p): return p.marginal(at: t)
    case .ve(let p): return p.marginal(at: t)
    case .ornsteinUhlenbeck(let p): return p.marginal(at: t)
    }
  }

  /// The process's kernel shift.
  @inlinable
  public func marginalShift(at t: Scalar) -> Scalar {
    switch self {
    case .vp(let p): return p.marginalShift(at: t)
    case .subVP(let p): return p.marginalShift(at: t)
    case .ve(let p): return p.marginalShift(at: t)
    case .ornsteinUhlenbeck(let p): return p.marginalShift(at: t)
    }
  }

  /// The process's affine drift `(a(t), b(t))`.
  @inlinable
  public func linearDrift(at t: Scalar) -> (coefficient: Scalar, offset: Scalar) {
    switch self {
    case .vp(let p): return p.linearDrift(at: t)
    case .subVP(let p): return p.linearDrift(at: t)
    case .ve(let p): return p.linearDrift(at: t)
    case .ornsteinUhlenbeck(let p): return p.linearDrift(at: t)
    }
  }

  /// The process's transition kernel from `s` to `t`.
  @inlinable
  public func transition(from s: Scalar, to t: Scalar) -> (
    scale: Scalar, shift: Scalar, standardDeviation: Scalar
  ) {
    switch self {
    case .vp(let p): return p.transition(from: s, to: t)
    case .subVP(let p): return p.transition(from: s, to: t)
    case .ve(let p): return p.transition(from: s, to: t)
    case .ornsteinUhlenbeck(let p): return p.transition(from: s, to: t)
    }
  }

  /// The process's closed-form time at a standard deviation.
  @inlinable
  public func time(atStandardDeviation standardDeviation: Scalar) -> Scalar {
    switch self {
    case .vp(let p): return p.time(atStandardDeviation: standardDeviation)
    case .subVP(let p): return p.time(atStandardDeviation: standardDeviation)
    case .ve(let p): return p.time(atStandardDeviation: standardDeviation)
    case .ornsteinUhlenbeck(let p): return p.time(atStandardDeviation: standardDeviation)
    }
  }

  /// The process's closed-form time at a log signal-to-noise ratio.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    switch self {
    case .vp(let p): return p.time(atLogSignalToNoiseRatio: logSNR)
    case .subVP(let p): return p.time(atLogSignalToNoiseRatio: logSNR)
    case .ve(let p): return p.time(atLogSignalToNoiseRatio: logSNR)
    case .ornsteinUhlenbeck(let p): return p.time(atLogSignalToNoiseRatio: logSNR)
    }
  }
}
