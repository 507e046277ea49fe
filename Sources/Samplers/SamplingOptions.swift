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
  /// The final time `ε`; `nil` uses the SDE's ``SDE/smallTimeCutoff`` (`1e-5`). `1e-3` suits
  /// `.dpmSolver` with 20 steps or fewer (see ``DPMSolver``).
  public var smallTime: Scalar?
  /// Apply Tweedie's denoising step at `ε` at the end (one more score evaluation).
  public var denoise: Bool
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

  /// Options for `kind` (Euler–Maruyama with 1000 steps by default): no denoising, one batch on
  /// one thread in 256-row tiles, seed `seed`.
  @inlinable
  public init(kind: SamplerKind<Scalar> = .eulerMaruyama(), seed: UInt64 = 0) {
    self.kind = kind
    self.smallTime = nil
    self.denoise = false
    self.batchSize = nil
    self.threads = 1
    self.tileRows = 256
    self.seed = seed
    self.trajectoryStride = nil
    self.observation = nil
  }

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
