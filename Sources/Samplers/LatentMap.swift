public import DiffusionProcesses
public import LinearAlgebra

/// The probability flow as a deterministic, invertible map between data and latents (Song et
/// al. 2021, §4.3, "manipulating latent representations"): ``encode(_:)`` integrates the ODE
/// forward from `ε` to `T`, ``decode(_:)`` backward from `T` to `ε`. Decoding an encoding returns
/// the data up to the integration error.
///
/// ```swift
/// let map = LatentMap(process: sde, score: model, integration: .rungeKutta4(steps: 200))
/// let (z, _) = try map.encode(data)
/// let (back, _) = try map.decode(z)      // ≈ data
/// ```
public struct LatentMap<Process: GaussianSDE, Model: ScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The probability-flow ODE.
  public let flow: ProbabilityFlowODE<Process, Model>
  /// How the ODE is integrated.
  public var integration: ODEIntegration<Scalar>
  /// The data end of the map, `ε` (default ``SDE/smallTimeCutoff``).
  public var startTime: Scalar

  /// A map between data at `startTime` and latents at `T`.
  @inlinable
  public init(
    process: Process, score model: Model, integration: ODEIntegration<Scalar> = .standard,
    startTime: Scalar? = nil
  ) {
    self.flow = ProbabilityFlowODE(process: process, score: model)
    self.integration = integration
    self.startTime = startTime ?? process.smallTimeCutoff
  }

  /// A map between data at `startTime` and latents at `T`.
  @available(*, deprecated, renamed: "init(process:score:integration:startTime:)")
  @inlinable
  public init(
    forward: Process, score model: Model, integration: ODEIntegration<Scalar> = .standard,
    startTime: Scalar? = nil
  ) {
    self.init(process: forward, score: model, integration: integration, startTime: startTime)
  }

  /// The latents `x(T)` of the data `x(ε)` (forward integration).
  /// - Throws: ``SamplingError`` when the solve fails.
  @inlinable
  public func encode(_ data: Matrix<Scalar>) throws(SamplingError) -> (
    latents: Matrix<Scalar>, statistics: SamplingStatistics
  ) {
    try run(data, from: startTime, to: flow.process.endTime)
  }

  /// The data `x(ε)` of the latents `x(T)` (backward integration; deterministic sampling).
  /// - Throws: ``SamplingError`` when the solve fails.
  @inlinable
  public func decode(_ latents: Matrix<Scalar>) throws(SamplingError) -> (
    data: Matrix<Scalar>, statistics: SamplingStatistics
  ) {
    try run(latents, from: flow.process.endTime, to: startTime)
  }

  @inlinable
  func run(_ x: Matrix<Scalar>, from t0: Scalar, to t1: Scalar) throws(SamplingError) -> (
    Matrix<Scalar>, SamplingStatistics
  ) {
    let clock = ContinuousClock()
    let started = clock.now
    var y = x
    var statistics = try integration.integrate(&y, along: flow, from: t0, to: t1, process: flow.process)
    statistics.wallTime = clock.now - started
    return (y, statistics)
  }
}
