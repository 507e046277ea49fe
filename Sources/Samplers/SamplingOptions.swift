public import LinearAlgebra

/// The samplers ``Sampler`` can run, with the short names a command line uses.
public enum SamplerKind: String, Sendable, Hashable, CaseIterable {
  /// ``EulerMaruyama`` on the reverse SDE (`em`).
  case eulerMaruyama = "em"
  /// ``PredictorCorrector``: ``ReverseDiffusionPredictor`` + ``LangevinCorrector`` (`pc`).
  case predictorCorrector = "pc"
  /// ``RungeKutta4`` on the probability-flow ODE (`ode`).
  case probabilityFlow = "ode"
  /// Adaptive ``DormandPrince5`` on the probability-flow ODE (`adaptive`).
  case adaptive = "adaptive"
  /// ``DPMSolver`` (DPM-Solver++ multistep) on the probability-flow ODE (`dpm`).
  case dpmSolver = "dpm"
  /// ``AncestralSampler`` (DDPM / SMLD posterior steps) (`ancestral`).
  case ancestral = "ancestral"

  /// Whether the sampler draws noise at every step (the reverse-SDE samplers).
  public var isStochastic: Bool {
    switch self {
    case .eulerMaruyama, .predictorCorrector, .ancestral: return true
    case .probabilityFlow, .adaptive, .dpmSolver: return false
    }
  }

  /// The default number of steps: 1000 for the SDE samplers (Song et al. 2021), 100 RK4 steps,
  /// 20 DPM-Solver steps (Lu et al. 2022); the adaptive solver chooses its own.
  public var defaultSteps: Int {
    switch self {
    case .eulerMaruyama, .predictorCorrector, .ancestral: return 1000
    case .probabilityFlow: return 100
    case .dpmSolver: return 20
    case .adaptive: return 0
    }
  }
}

/// Everything ``Sampler`` needs besides the SDE and the model: which sampler, how many steps on
/// which grid, its parameters, batching, the seed and what to record.
///
/// ```swift
/// var options = SamplingOptions<Double>(kind: .dpmSolver, steps: 10)
/// options.seed = 42
/// options.batchSize = 500
/// ```
public struct SamplingOptions<Scalar: BLASScalar>: Sendable, Equatable {
  /// Which sampler.
  public var kind: SamplerKind
  /// Steps of a fixed-step sampler (ignored by `.adaptive`).
  public var steps: Int
  /// The grid's spacing; `nil` uses log-SNR for `.dpmSolver` and uniform otherwise.
  public var spacing: TimeGrid<Scalar>.Spacing?
  /// The final time `ε`; `nil` uses the SDE's ``SDE/smallTimeCutoff`` (`1e-5`). `1e-3` suits
  /// `.dpmSolver` with 20 steps or fewer (see ``DPMSolver``).
  public var smallTime: Scalar?
  /// The Langevin corrector's target signal-to-noise ratio (`.predictorCorrector`).
  public var signalToNoiseRatio: Scalar
  /// Langevin moves per step (`.predictorCorrector`).
  public var correctorSteps: Int
  /// How the Langevin step follows from the signal-to-noise ratio (`.predictorCorrector`).
  public var correctorStepSize: LangevinStepSize
  /// The adaptive solver's relative tolerance.
  public var relativeTolerance: Scalar
  /// The adaptive solver's absolute tolerance.
  public var absoluteTolerance: Scalar
  /// DPM-Solver++'s order, 1–3.
  public var dpmOrder: Int
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

  /// Options for `kind` with the literature's defaults: `steps` from ``SamplerKind/defaultSteps``,
  /// `r = 0.16` and one corrector step with the noise-level step size, `rtol = atol = 1e-5`,
  /// DPM-Solver++ order 2, no denoising, one batch on one thread in 256-row tiles, seed 0.
  @inlinable
  public init(kind: SamplerKind = .eulerMaruyama, steps: Int? = nil, seed: UInt64 = 0) {
    self.kind = kind
    self.steps = steps ?? kind.defaultSteps
    self.spacing = nil
    self.smallTime = nil
    self.signalToNoiseRatio = 0.16
    self.correctorSteps = 1
    self.correctorStepSize = .noiseLevel
    self.relativeTolerance = 1e-5
    self.absoluteTolerance = 1e-5
    self.dpmOrder = 2
    self.denoise = false
    self.batchSize = nil
    self.threads = 1
    self.tileRows = 256
    self.seed = seed
    self.trajectoryStride = nil
    self.observation = nil
  }
}
