public import DiffusionProcesses
public import LinearAlgebra
public import Samplers

/// A score model used as a Boltzmann generator: samples drawn through the probability-flow ODE
/// together with their exact log-densities under that ODE model, the proposal of
/// ``FreeEnergy/logPartitionFunction(logTarget:logProposal:)`` (Noé et al. 2019; Song et al.
/// 2021, §4.3).
///
/// The probability-flow ODE is a deterministic map from the prior at `T` to time `ε`, so its
/// samples have the density `q(x) = π(z)·|det ∂z/∂x|`, which ``ProbabilityFlowLikelihood``
/// computes by integrating the same ODE back from `x` with the divergence:
/// `log q(x) = log π(x(T)) + ∫_ε^T ∇·ṽ dt`. Both solves use `integration`; the round trip
/// `x → x(T)` lands on the latent that made `x` to the solver's tolerance, and so does `log q`.
/// (Samples of the reverse *SDE* have no tractable density; that is why the generator samples the
/// ODE.) Sampling ends at the likelihood's start time `ε` without Tweedie's denoising step, so
/// that the samples and their densities describe the same distribution.
///
/// ```swift
/// let generator = BoltzmannGenerator(process: sde, score: model)
/// let (x, logq) = try generator.sample(count: 1000, dimension: 2, seed: 1)
/// let logZ = FreeEnergy.logPartitionFunction(logTarget: well.unnormalizedLogDensity(x), logProposal: logq)
/// ```
public struct BoltzmannGenerator<Process: GaussianSDE, Model: DivergenceScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The probability-flow model both solves integrate: its ODE (the process and the score), its
  /// ``ODEIntegration`` and its start time `ε`.
  public let likelihood: ProbabilityFlowLikelihood<Process, Model>

  /// A generator for the score `model` under `process`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - model: the score model (with divergences, for the likelihood).
  ///   - integration: how both ODE solves are integrated (adaptive Dormand–Prince at
  ///     `rtol = atol = 1e-6` by default).
  ///   - startTime: `ε`, where sampling stops and the likelihood starts (the process's cutoff by
  ///     default).
  public init(
    process: Process, score model: Model, integration: ODEIntegration<Scalar>? = nil, startTime: Scalar? = nil
  ) {
    likelihood = ProbabilityFlowLikelihood(
      process: process, score: model,
      integration: integration
        ?? .adaptive(PIController(relativeTolerance: Scalar(1e-6), absoluteTolerance: Scalar(1e-6))),
      startTime: startTime)
  }

  /// The forward process.
  public var process: Process { likelihood.flow.process }
  /// The score model (with divergences, for the likelihood).
  public var model: Model { likelihood.flow.model }
  /// The score model.
  @available(*, deprecated, renamed: "model")
  public var score: Model { model }
  /// How both ODE solves are integrated.
  public var integration: ODEIntegration<Scalar> { likelihood.integration }
  /// `ε`, where sampling stops and the likelihood starts.
  public var startTime: Scalar { likelihood.startTime }

  /// `count` samples of the probability-flow model and their exact log-densities `log q(xᵢ)`.
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - dimension: `d`.
  ///   - seed: the seed of the prior draws.
  /// - Throws: ``SamplingError`` when either solve fails.
  @inlinable
  public func sample(count: Int, dimension: Int, seed: UInt64) throws(SamplingError) -> (
    samples: Matrix<Scalar>, logDensities: [Scalar]
  ) {
    var options = SamplingOptions<Scalar>(kind: .probabilityFlow(integration), seed: seed)
    options.smallTime = startTime
    options.denoise = false
    let samples = try Sampler(process: process, score: model, options: options)
      .sample(count: count, dimension: dimension).samples
    return (samples, try likelihood.logLikelihood(of: samples).logLikelihoods)
  }
}
