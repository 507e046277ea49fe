public import DiffusionProcesses
public import LinearAlgebra

/// What ``Sampler`` needs besides the SDE and the model: the sampler kind with its own settings
/// (``SamplerKind``), and what every kind shares — the final time, denoising, batching, tiles,
/// threads, the seed, what to record and observations.
///
/// ```swift
/// var options = SamplingOptions<Double>(kind: .dpmSolver(steps: 10))
/// options.seed = 42
/// options.batchSize = 500
/// ```
public struct SamplingOptions<Scalar: BLASScalar>: Sendable, Equatable {
  /// Which sampler, with its steps, grid and parameters.
  public var kind: SamplerKind<Scalar>
  /// The final time `ε`; `nil` uses ``SamplerKind/defaultSmallTime`` (`1e-3`, or the SDE's
  /// ``SDE/smallTimeCutoff`` if that is larger).
  public var smallTime: Scalar?
  /// Whether to apply Tweedie's denoising step ``TweedieDenoiser`` at `ε` at the end (one more
  /// score evaluation); `nil` does what ``SamplerKind/denoisesByDefault`` says (yes for the
  /// reverse-SDE samplers).
  public var denoise: Bool?
  /// Samples per batch (one batched model call per stage); `nil` puts all in one batch.
  public var batchSize: Int?
  /// Batches run concurrently on this many threads (1 by default); results do not depend on it.
  public var threads: Int
  /// The model is evaluated on tiles of exactly this many rows, sample `g` at tile row
  /// `g mod tileRows` (``RowTiledScore``), so the samples are bit-identical for every
  /// ``batchSize``; 256 by default. `nil` evaluates each batch in one call: slightly less work
  /// for a batch that is not a whole number of tiles, but a sample's last bits then depend on
  /// the batch it is in.
  public var tileRows: Int?
  /// The seed of every sample's noise stream.
  public var seed: UInt64
  /// Record the particles every this many steps (and at the start and the end); `nil` records
  /// nothing.
  public var trajectoryStride: Int?
  /// Observed coordinates for posterior sampling by replacement (stochastic kinds only).
  public var observation: Observation<Scalar>?

  /// Options for `kind` (by default DPM-Solver++ of order 3 with 20 log-SNR steps, as
  /// `score-sde sample`: the best quality per score evaluation measured in
  /// <doc:ChoosingASampler>): the kind's own end time and final denoising, one batch on one
  /// thread in 256-row tiles, seed `seed`.
  @inlinable
  public init(kind: SamplerKind<Scalar> = .dpmSolver(steps: 20, order: 3), seed: UInt64 = 0) {
    self.kind = kind
    self.smallTime = nil
    self.denoise = nil
    self.batchSize = nil
    self.threads = 1
    self.tileRows = 256
    self.seed = seed
    self.trajectoryStride = nil
    self.observation = nil
  }

  /// The end time `ε` sampling with `process` stops at: ``smallTime``, else the kind's
  /// ``SamplerKind/defaultSmallTime`` but never below the process's ``SDE/smallTimeCutoff``.
  @inlinable
  public func resolvedSmallTime<Process: SDE>(for process: Process) -> Scalar where Process.Scalar == Scalar {
    smallTime ?? Swift.max(kind.defaultSmallTime, process.smallTimeCutoff)
  }

  /// Whether sampling ends with Tweedie's denoising step: ``denoise``, else the kind's
  /// ``SamplerKind/denoisesByDefault``.
  @inlinable
  public var resolvedDenoise: Bool { denoise ?? kind.denoisesByDefault }

  /// The kind's fixed steps (0 for adaptive integration); setting it keeps the kind and its other
  /// settings.
  @available(*, deprecated, message: "the steps belong to the kind: options.kind = .dpmSolver(steps: n)")
  @inlinable
  public var steps: Int {
    get { kind.steps ?? 0 }
    set { kind = kind.withSteps(newValue) }
  }

  /// Options for the kind `name` with its defaults and `steps` fixed steps.
  @available(*, deprecated, message: "use init(kind: SamplerKind(name, steps: steps), seed:)")
  @inlinable
  public init(kind name: SamplerName, steps: Int? = nil, seed: UInt64 = 0) {
    self.init(kind: SamplerKind(name, steps: steps), seed: seed)
  }
}
