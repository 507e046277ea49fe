public import LinearAlgebra

/// The module's matrix-kernel processes as one concrete ``LinearGaussianSDE``, chosen at run time
/// (from a model file or a command-line flag), as ``StandardSDE`` is for the scalar-kernel ones:
/// a general ``LinearSDE`` or ``CriticallyDampedLangevin`` diffusion, rebuilt from an
/// ``SDEDescription`` of kind `.linear` or `.criticallyDampedLangevin`.
///
/// ```swift
/// let process = try StandardLinearSDE<Float>(
///   SDEDescription(.criticallyDampedLangevin(dimension: 2, mass: 0.25, initialVelocityScale: 0.04,
///                                             schedule: .linear(betaMin: 4, betaMax: 4))))
/// let score = NetworkScoreModel(network: mlp, process: process)   // the learned (x, v) score
/// ```
public enum StandardLinearSDE<Scalar: BLASScalar>: LinearGaussianSDE, SDEForwarding, Equatable {
  /// `dX = β(F X + c) dt + √β L dW`.
  case linear(LinearSDE<Scalar>)
  /// Critically-damped Langevin diffusion on `(x, v)`.
  case criticallyDampedLangevin(CriticallyDampedLangevin<Scalar>)

  /// The process a description names (its numbers rounded to `Scalar`).
  /// - Parameter description: of kind `.linear` or `.criticallyDampedLangevin`.
  /// - Throws: ``SDEDescriptionError`` for another kind or a description that fails
  ///   ``SDEDescription/validationFailure``; `LinearAlgebraError` when the process cannot be built
  ///   in `Scalar`.
  public init(_ description: SDEDescription) throws {
    if let failure = description.validationFailure { throw SDEDescriptionError.invalid(failure) }
    let endTime = Scalar(description.endTime)
    switch description.kind {
    case .linear(let drift, let offset, let noise, let schedule):
      self = .linear(
        try LinearSDE(
          drift: Matrix(drift).converted(to: Scalar.self), offset: offset.map { Scalar($0) },
          noise: Matrix(noise).converted(to: Scalar.self), schedule: schedule.noiseSchedule(),
          endTime: endTime))
    case .criticallyDampedLangevin(let dimension, let mass, let gamma, let schedule):
      self = .criticallyDampedLangevin(
        CriticallyDampedLangevin(
          dimension: dimension, mass: Scalar(mass), initialVelocityScale: Scalar(gamma),
          schedule: schedule.noiseSchedule(), endTime: endTime))
    default:
      throw SDEDescriptionError.invalid("\(description.name) has a scalar kernel: use StandardSDE")
    }
  }

  /// The description of this process (`nil` for a schedule other than the linear and cosine ones).
  public var processDescription: SDEDescription? {
    switch self {
    case .linear(let p): return SDEDescription(p)
    case .criticallyDampedLangevin(let p): return SDEDescription(p)
    }
  }

  /// Calls `body` with the wrapped process (one `switch`, specialised once inlined).
  @inlinable
  public func withProcess<Result>(_ body: (any LinearGaussianSDE<Scalar>) -> Result) -> Result {
    switch self {
    case .linear(let p): return body(p)
    case .criticallyDampedLangevin(let p): return body(p)
    }
  }

  /// Calls `body` with the wrapped process (``SDEForwarding``'s one `switch`).
  @inlinable
  public func withSDE<Result>(_ body: (any SDE<Scalar>) -> Result) -> Result { withProcess { body($0) } }

  /// The process's `ε`.
  @inlinable public var smallTimeCutoff: Scalar { withProcess { $0.smallTimeCutoff } }
  /// The process's `L` (`nil` for `L = I`).
  @inlinable public var noiseFactor: Matrix<Scalar>? { withProcess { $0.noiseFactor } }
  /// The process's `L Lᵀ`.
  @inlinable public var noiseCovariance: Matrix<Scalar>? { withProcess { $0.noiseCovariance } }

  /// The process's kernel.
  @inlinable
  public func marginalKernel(at t: Scalar, dimension: Int) -> LinearTransition<Scalar> {
    withProcess { $0.marginalKernel(at: t, dimension: dimension) }
  }

  /// The process's `∇·f`.
  @inlinable
  public func driftDivergence(at t: Scalar, dimension: Int) -> Scalar {
    withProcess { $0.driftDivergence(at: t, dimension: dimension) }
  }

  /// The process's `P ∂f/∂x`.
  @inlinable
  public func driftVectorJacobianProduct(
    _ probe: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>
  ) {
    withProcess { $0.driftVectorJacobianProduct(probe, at: t, into: &out) }
  }

  /// The process's log-SNR.
  @inlinable
  public func logSignalToNoiseRatio(at t: Scalar) -> Scalar {
    withProcess { $0.logSignalToNoiseRatio(at: t) }
  }

  /// The process's inverse log-SNR.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    withProcess { $0.time(atLogSignalToNoiseRatio: logSNR) }
  }

  /// The process's perturbation.
  @inlinable
  public func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>
  ) {
    withProcess { $0.perturb(x0, at: times, noise: noise, into: &xt) }
  }

  /// The process's `−C⁻ᵀ z`.
  @inlinable
  public func conditionalScore(noise: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>) {
    withProcess { $0.conditionalScore(noise: noise, at: times, into: &out) }
  }

  /// The process's conditional score.
  @inlinable
  public func conditionalScore(
    _ xt: Matrix<Scalar>, given x0: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>
  ) {
    withProcess { $0.conditionalScore(xt, given: x0, at: times, into: &out) }
  }

  /// The process's state width.
  @inlinable
  public func stateDimension(dataDimension: Int) -> Int {
    withProcess { $0.stateDimension(dataDimension: dataDimension) }
  }

  /// The process's learned columns.
  @inlinable
  public func learnedScoreColumns(stateDimension: Int) -> Range<Int> {
    withProcess { $0.learnedScoreColumns(stateDimension: stateDimension) }
  }

  /// The process's denoising perturbation.
  @inlinable
  public func denoisingPerturbation(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into state: inout Matrix<Scalar>
  ) {
    withProcess { $0.denoisingPerturbation(x0, at: times, noise: noise, into: &state) }
  }

  /// The process's `K(t)`.
  @inlinable
  public func noisePredictionScoreMatrix(at t: Scalar, dimension: Int) -> Matrix<Scalar> {
    withProcess { $0.noisePredictionScoreMatrix(at: t, dimension: dimension) }
  }
}

/// Why an ``SDEDescription`` cannot be built as the process asked for.
public enum SDEDescriptionError: Error, Equatable, CustomStringConvertible {
  /// The description is invalid or of the wrong family; the reason.
  case invalid(String)

  /// The reason.
  public var description: String {
    switch self {
    case .invalid(let reason): return reason
    }
  }
}
