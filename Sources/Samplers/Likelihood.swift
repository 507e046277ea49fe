public import DiffusionProcesses
public import LinearAlgebra

/// Exact log-likelihoods through the probability-flow ODE (Song et al. 2021, §4.3 and appendix
/// D.2): integrate the augmented flow ``ProbabilityFlowWithDivergence`` from the data at `ε` to
/// `T`, then
///
///     log p_ε(x) = log p_T(x(T)) + ∫_ε^T ∇ₓ·v(x(t), t) dt,
///
/// with `p_T` the prior (``SDE/priorLogDensity(_:)``) unless another terminal density is given.
/// The divergence is exact by default or Hutchinson's estimate (``DivergenceMethod``); the
/// integration is adaptive Dormand–Prince (default `rtol = atol = 1e-5`) or fixed RK4 steps
/// (``ODEIntegration``). Each row's log-likelihood is a result of its own, so adaptive steps hold
/// every row to the tolerance: the controller's error norm is taken as
/// ``PIController/ErrorNorm/worstRow`` whatever it was set to (on the 2-D mixture at the default
/// tolerance the batch-wide norm gave per-point errors up to 2.7e-3 nats, the per-row one 7e-5).
///
/// ```swift
/// let likelihood = ProbabilityFlowLikelihood(process: VPSDE<Double>(), score: oracle,
///     integration: .adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8)))
/// let result = try likelihood.logLikelihood(of: data)
/// print(result.negativeLogLikelihood, "nats per point")
/// ```
public struct ProbabilityFlowLikelihood<Process: LinearGaussianSDE, Model: DivergenceScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The probability-flow ODE.
  public let flow: ProbabilityFlowODE<Process, Model>
  /// Exact divergence or Hutchinson's estimate.
  public var divergence: DivergenceMethod
  /// How the ODE is integrated from ``startTime`` to `T`.
  public var integration: ODEIntegration<Scalar>
  /// Where integration starts: the data are treated as samples of `p_ε` (default `ε = 1e-5`).
  public var startTime: Scalar

  /// A likelihood evaluator.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - model: the score model, with divergences or vector-Jacobian products.
  ///   - divergence: `.exact` (default) or `.hutchinson(…)`.
  ///   - integration: adaptive (default, `rtol = atol = 1e-5`) or fixed RK4.
  ///   - startTime: `ε`, by default ``SDE/smallTimeCutoff``.
  @inlinable
  public init(
    process: Process, score model: Model, divergence: DivergenceMethod = .exact,
    integration: ODEIntegration<Scalar> = .standard, startTime: Scalar? = nil
  ) {
    self.flow = ProbabilityFlowODE(process: process, score: model)
    self.divergence = divergence
    self.integration = integration
    self.startTime = startTime ?? process.smallTimeCutoff
    precondition(
      self.startTime >= 0 && self.startTime < process.endTime,
      "ProbabilityFlowLikelihood: start time \(self.startTime) outside [0, \(process.endTime))")
  }

  /// A likelihood evaluator.
  @available(*, deprecated, renamed: "init(process:score:divergence:integration:startTime:)")
  @inlinable
  public init(
    forward: Process, score model: Model, divergence: DivergenceMethod = .exact,
    integration: ODEIntegration<Scalar> = .standard, startTime: Scalar? = nil
  ) {
    self.init(
      process: forward, score: model, divergence: divergence, integration: integration, startTime: startTime)
  }

  /// `log p_ε(xᵢ)` for every row of `data`.
  ///
  /// - Parameters:
  ///   - data: `n × d` points.
  ///   - firstRow: the global index of `data`'s first row, which keys its Hutchinson probes (so
  ///     a point's estimate does not depend on how the data are batched).
  ///   - terminalLogDensity: `log p_T` of the latents; `nil` uses the prior. Passing the exact
  ///     `p_T` of an oracle removes the prior-mismatch error and leaves only the ODE's.
  ///   - observer: called after every step with the augmented state `[x, ℓ]`.
  /// - Returns: the log-likelihoods, latents and costs.
  /// - Throws: ``SamplingError`` when the solve fails.
  @inlinable
  public func logLikelihood(
    of data: Matrix<Scalar>, firstRow: Int = 0, terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])? = nil,
    observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> LikelihoodResult<Scalar> {
    let clock = ContinuousClock()
    let started = clock.now
    let n = data.rows
    let d = data.columns
    var state = Matrix<Scalar>(rows: n, columns: d + 1)
    data.withUnsafeBufferPointer { x in
      state.withUnsafeMutableBufferPointer { s in
        for i in 0..<n {
          for j in 0..<d { s[i * (d + 1) + j] = x[i * d + j] }
        }
      }
    }
    let probes: Matrix<Scalar>?
    switch divergence {
    case .exact: probes = nil
    case .hutchinson(let kind, let seed):
      probes = kind.probes(rows: firstRow..<(firstRow + n), dimension: d, seed: seed)
    }
    let field = ProbabilityFlowWithDivergence(flow: flow, probes: probes)
    var statistics = try integration.withErrorNorm(.worstRow).integrate(
      &state, along: field, from: startTime, to: flow.process.endTime, process: flow.process,
      observer: observer)
    var latents = Matrix<Scalar>(rows: n, columns: d)
    var integrals = [Scalar](repeating: 0, count: n)
    state.withUnsafeBufferPointer { s in
      latents.withUnsafeMutableBufferPointer { z in
        for i in 0..<n {
          for j in 0..<d { z[i * d + j] = s[i * (d + 1) + j] }
          integrals[i] = s[i * (d + 1) + d]
        }
      }
    }
    let prior = terminalLogDensity?(latents) ?? flow.process.priorLogDensity(latents)
    statistics.wallTime = clock.now - started
    return LikelihoodResult(
      logLikelihoods: zip(prior, integrals).map { $0 + $1 }, priorLogDensities: prior,
      divergenceIntegrals: integrals, latents: latents, statistics: statistics)
  }
}

/// The outcome of ``ProbabilityFlowLikelihood/logLikelihood(of:firstRow:terminalLogDensity:observer:)``.
public struct LikelihoodResult<Scalar: BLASScalar>: Sendable {
  /// `log p_ε(xᵢ)` in nats, one per data row.
  public let logLikelihoods: [Scalar]
  /// `log p_T(x(T))` of each latent.
  public let priorLogDensities: [Scalar]
  /// `∫_ε^T ∇ₓ·v dt` along each trajectory (exact or estimated).
  public let divergenceIntegrals: [Scalar]
  /// The latents `x(T)`, `n × d`.
  public let latents: Matrix<Scalar>
  /// Evaluations, steps and wall time.
  public let statistics: SamplingStatistics

  /// A result from its parts.
  @inlinable
  public init(
    logLikelihoods: [Scalar], priorLogDensities: [Scalar], divergenceIntegrals: [Scalar],
    latents: Matrix<Scalar>, statistics: SamplingStatistics
  ) {
    self.logLikelihoods = logLikelihoods
    self.priorLogDensities = priorLogDensities
    self.divergenceIntegrals = divergenceIntegrals
    self.latents = latents
    self.statistics = statistics
  }

  /// The mean negative log-likelihood `−(1/n) Σᵢ log p_ε(xᵢ)`, in nats per point.
  @inlinable
  public var negativeLogLikelihood: Scalar {
    -logLikelihoods.reduce(0, +) / Scalar(logLikelihoods.count)
  }

  /// ``negativeLogLikelihood`` in bits per dimension for data on a grid of width `binWidth`
  /// (see ``bitsPerDimension(negativeLogLikelihood:dimension:binWidth:)``).
  @inlinable
  public func bitsPerDimension(binWidth: Scalar) -> Scalar {
    Samplers.bitsPerDimension(
      negativeLogLikelihood: negativeLogLikelihood, dimension: latents.columns, binWidth: binWidth)
  }
}
