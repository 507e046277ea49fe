public import LinearAlgebra

/// Which sampler ``Sampler`` runs, with that sampler's own settings: only the settings a kind
/// uses can be written with it.
///
/// Every default follows the literature: 1000 uniform steps for the reverse-SDE samplers (Song
/// et al. 2021), `r = 0.16` and one Langevin move for the corrector, 100 RK4 steps for the
/// probability flow, 20 log-SNR steps of second-order DPM-Solver++ (Lu et al. 2022) and of its
/// 2M SDE variant, 18 Karras steps for EDM's Heun (Karras et al. 2022), 50 Karras steps of
/// Euler-ancestral (`η = 1`) and 50 log-SNR steps of deterministic DDIM (`η = 0`). Every kind
/// ends at `ε = 1e-3` (``defaultSmallTime``), and the reverse-SDE kinds then take Tweedie's
/// denoising step (``denoisesByDefault``), as score_sde samples.
///
/// ```swift
/// let em: SamplerKind<Double> = .eulerMaruyama(steps: 500)
/// let pc: SamplerKind<Double> = .predictorCorrector(corrector: LangevinOptions(signalToNoiseRatio: 0.1))
/// let heun: SamplerKind<Double> = .probabilityFlow(.heun(steps: 50))
/// let adaptive: SamplerKind<Double> = .probabilityFlow(.standard)
/// let dpm: SamplerKind<Double> = .dpmSolver(steps: 10, order: 3)
/// let edm: SamplerKind<Double> = .edmHeun(steps: 32, churn: ChurnOptions(churn: 10))
/// let ddim: SamplerKind<Double> = .ddim(steps: 50, eta: 0.5)
/// ```
public enum SamplerKind<Scalar: BLASScalar>: Sendable, Hashable {
  /// ``EulerMaruyama`` on the reverse SDE (`em`).
  case eulerMaruyama(steps: Int = 1000, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// ``PredictorCorrector``: ``ReverseDiffusionPredictor`` + ``LangevinCorrector`` (`pc`).
  case predictorCorrector(
    steps: Int = 1000, spacing: TimeGrid<Scalar>.Spacing = .uniform,
    corrector: LangevinOptions<Scalar> = LangevinOptions())
  /// ``AncestralSampler`` (DDPM / SMLD posterior steps) (`ancestral`).
  case ancestral(steps: Int = 1000, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// The probability-flow ODE integrated as `integration` says: ``Euler`` (`euler`), ``Heun``
  /// (`heun`), ``RungeKutta4`` (`ode`) or adaptive ``DormandPrince5`` (`adaptive`), through
  /// ``ODEIntegration/integrate(_:along:from:to:process:observer:)``.
  case probabilityFlow(ODEIntegration<Scalar> = .rungeKutta4(steps: 100))
  /// ``DPMSolver`` (DPM-Solver++ multistep of order 1–3) on the probability-flow ODE (`dpm`).
  case dpmSolver(steps: Int = 20, order: Int = 2, spacing: TimeGrid<Scalar>.Spacing = .logSNR)
  /// ``EDMHeun``, Karras et al.'s Heun sampler with churn (`edm-heun`); 18 steps of the Karras
  /// `ρ = 7` grid by default, no churn.
  case edmHeun(
    steps: Int = 18, spacing: TimeGrid<Scalar>.Spacing = .karras(rho: 7),
    churn: ChurnOptions<Scalar> = ChurnOptions())
  /// ``EulerAncestral`` with stochasticity `eta` (`euler-a`); 50 Karras steps, `η = 1` by default.
  case eulerAncestral(steps: Int = 50, eta: Scalar = 1, spacing: TimeGrid<Scalar>.Spacing = .karras(rho: 7))
  /// ``DDIM`` with stochasticity `eta ∈ [0, 1]` (`ddim`); 50 log-SNR steps, `η = 0` by default.
  case ddim(steps: Int = 50, eta: Scalar = 0, spacing: TimeGrid<Scalar>.Spacing = .logSNR)
  /// ``DPMSolverSDE``, DPM-Solver++(2M) SDE or (3M) SDE (`dpm-sde`); 20 log-SNR steps of 2M by
  /// default.
  case dpmSolverSDE(steps: Int = 20, order: Int = 2, spacing: TimeGrid<Scalar>.Spacing = .logSNR)
  /// ``RosslerSRA1``, the stochastic Runge–Kutta method of strong order 1.5 for additive noise, on
  /// the reverse SDE (`sra`); two score evaluations per step.
  case sra(steps: Int = 100, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// ``AdaptiveReverseSDESolver`` (Jolicoeur-Martineau et al. 2021, Algorithm 1) on the reverse
  /// SDE, driven by per-row ``BrownianPaths`` (`adaptive-sde`); one step size per batch, chosen by
  /// the controller (the paper's rule and defaults unless given).
  case adaptiveSDE(PIController<Scalar> = .jolicoeurMartineau())
  /// ``SymmetricSplittingSampler``, the symmetric splitting sampler of critically-damped Langevin
  /// diffusion (Dockhorn, Vahdat & Kreis 2022) on the augmented state `(x, v)` (`sscs`); 100
  /// uniform steps by default, one score evaluation per step. Only for a ``Sampler`` built on a
  /// ``CriticallyDampedLangevin``.
  case symmetricSplitting(steps: Int = 100, spacing: TimeGrid<Scalar>.Spacing = .uniform)

  /// Adaptive Dormand–Prince on the probability flow with `rtol = atol = 1e-5`.
  public static var adaptive: SamplerKind { .probabilityFlow(.standard) }

  /// The kind `name` with its defaults, or with `steps` fixed steps when given (ignored by
  /// `.adaptive` and `.adaptiveSDE`): what a command line's `--sampler` and `--steps` mean.
  ///
  /// ```swift
  /// let kind = SamplerKind<Float>(.dpmSolver, steps: 10)   // .dpmSolver(steps: 10)
  /// ```
  @inlinable
  public init(_ name: SamplerName, steps: Int? = nil) {
    switch name {
    case .eulerMaruyama: self = .eulerMaruyama(steps: steps ?? 1000)
    case .predictorCorrector: self = .predictorCorrector(steps: steps ?? 1000)
    case .ancestral: self = .ancestral(steps: steps ?? 1000)
    case .euler: self = .probabilityFlow(.euler(steps: steps ?? 100))
    case .heun: self = .probabilityFlow(.heun(steps: steps ?? 100))
    case .probabilityFlow: self = .probabilityFlow(.rungeKutta4(steps: steps ?? 100))
    case .adaptive: self = .adaptive
    case .dpmSolver: self = .dpmSolver(steps: steps ?? 20)
    case .edmHeun: self = .edmHeun(steps: steps ?? 18)
    case .eulerAncestral: self = .eulerAncestral(steps: steps ?? 50)
    case .ddim: self = .ddim(steps: steps ?? 50)
    case .dpmSolverSDE: self = .dpmSolverSDE(steps: steps ?? 20)
    case .sra: self = .sra(steps: steps ?? 100)
    case .adaptiveSDE: self = .adaptiveSDE()
    case .symmetricSplitting: self = .symmetricSplitting(steps: steps ?? 100)
    }
  }

  /// The kind's short name.
  @inlinable
  public var name: SamplerName {
    switch self {
    case .eulerMaruyama: return .eulerMaruyama
    case .predictorCorrector: return .predictorCorrector
    case .ancestral: return .ancestral
    case .probabilityFlow(.euler): return .euler
    case .probabilityFlow(.heun): return .heun
    case .probabilityFlow(.rungeKutta4): return .probabilityFlow
    case .probabilityFlow(.adaptive): return .adaptive
    case .dpmSolver: return .dpmSolver
    case .edmHeun: return .edmHeun
    case .eulerAncestral: return .eulerAncestral
    case .ddim: return .ddim
    case .dpmSolverSDE: return .dpmSolverSDE
    case .sra: return .sra
    case .adaptiveSDE: return .adaptiveSDE
    case .symmetricSplitting: return .symmetricSplitting
    }
  }

  /// Whether the sampler is a reverse-SDE sampler, drawing per-row noise at its steps
  /// (``SamplerName/isStochastic``; for the EDM family also with settings that draw none).
  @inlinable
  public var isStochastic: Bool { name.isStochastic }

  /// The end time `ε` every kind stops at unless ``SamplingOptions/smallTime`` is set: `1e-3`
  /// (never below the process's ``SDE/smallTimeCutoff``).
  ///
  /// Measured in <doc:ChoosingASampler>: on a trained model the few-step probability-flow
  /// solvers end far better at `1e-3` than at the SDE's `1e-5` (Heun with 10 steps: sliced W₂
  /// 0.072 against 0.209; DPM-Solver++ with 20: 0.068 against 0.083), where the learned score is
  /// least accurate and the log-SNR grid spends its last steps; with many steps and for the
  /// reverse-SDE samplers the two agree within the noise. score_sde samples to `1e-3` (Song et
  /// al. 2021) and DPM-Solver ends there for few steps (Lu et al. 2022).
  @inlinable
  public var defaultSmallTime: Scalar { Scalar(1e-3) }

  /// Whether the kind ends with Tweedie's denoising step unless ``SamplingOptions/denoise`` is
  /// set: `x̂₀ = (x_ε − shift(ε) + σ_ε² s(x_ε, ε))/α_ε` (``TweedieDenoiser``), one more score
  /// evaluation.
  /// Yes for the reverse-SDE samplers (their state at `ε` carries fresh noise; for the EDM family
  /// the step is their own last step to `σ = 0`), no for the probability-flow kinds and for
  /// ``symmetricSplitting(steps:spacing:)``: critically-damped Langevin samples are never
  /// denoised (``Sampler/denoises``).
  @inlinable
  public var denoisesByDefault: Bool { isStochastic && self.name != .symmetricSplitting }

  /// The fixed steps, or `nil` for adaptive integration.
  @inlinable
  public var steps: Int? {
    switch self {
    case .eulerMaruyama(let steps, _), .predictorCorrector(let steps, _, _), .ancestral(let steps, _),
      .dpmSolver(let steps, _, _), .edmHeun(let steps, _, _), .eulerAncestral(let steps, _, _),
      .ddim(let steps, _, _), .dpmSolverSDE(let steps, _, _), .sra(let steps, _),
      .symmetricSplitting(let steps, _):
      return steps
    case .probabilityFlow(let integration): return integration.steps
    case .adaptiveSDE: return nil
    }
  }

  /// The same kind and settings with `steps` fixed steps (adaptive integration is unchanged).
  ///
  /// ```swift
  /// let fewer = SamplerKind<Double>.dpmSolver(steps: 20, order: 3).withSteps(10)   // order 3 kept
  /// ```
  @inlinable
  public func withSteps(_ steps: Int) -> SamplerKind {
    switch self {
    case .eulerMaruyama(_, let spacing): return .eulerMaruyama(steps: steps, spacing: spacing)
    case .predictorCorrector(_, let spacing, let corrector):
      return .predictorCorrector(steps: steps, spacing: spacing, corrector: corrector)
    case .ancestral(_, let spacing): return .ancestral(steps: steps, spacing: spacing)
    case .probabilityFlow(.euler(_, let spacing)):
      return .probabilityFlow(.euler(steps: steps, spacing: spacing))
    case .probabilityFlow(.heun(_, let spacing)):
      return .probabilityFlow(.heun(steps: steps, spacing: spacing))
    case .probabilityFlow(.rungeKutta4(_, let spacing)):
      return .probabilityFlow(.rungeKutta4(steps: steps, spacing: spacing))
    case .probabilityFlow(.adaptive): return self
    case .dpmSolver(_, let order, let spacing):
      return .dpmSolver(steps: steps, order: order, spacing: spacing)
    case .edmHeun(_, let spacing, let churn): return .edmHeun(steps: steps, spacing: spacing, churn: churn)
    case .eulerAncestral(_, let eta, let spacing):
      return .eulerAncestral(steps: steps, eta: eta, spacing: spacing)
    case .ddim(_, let eta, let spacing): return .ddim(steps: steps, eta: eta, spacing: spacing)
    case .dpmSolverSDE(_, let order, let spacing):
      return .dpmSolverSDE(steps: steps, order: order, spacing: spacing)
    case .sra(_, let spacing): return .sra(steps: steps, spacing: spacing)
    case .adaptiveSDE: return self
    case .symmetricSplitting(_, let spacing): return .symmetricSplitting(steps: steps, spacing: spacing)
    }
  }
}

/// The short names of the sampler kinds, as a command line spells them (`--sampler em`).
///
/// ```swift
/// let kind = SamplerKind<Double>(SamplerName(rawValue: "heun")!, steps: 50)
/// ```
public enum SamplerName: String, Sendable, Hashable, CaseIterable {
  /// ``SamplerKind/eulerMaruyama(steps:spacing:)`` (`em`).
  case eulerMaruyama = "em"
  /// ``SamplerKind/predictorCorrector(steps:spacing:corrector:)`` (`pc`).
  case predictorCorrector = "pc"
  /// ``SamplerKind/ancestral(steps:spacing:)`` (`ancestral`).
  case ancestral = "ancestral"
  /// Probability flow with Euler steps (`euler`).
  case euler = "euler"
  /// Probability flow with Heun steps (`heun`).
  case heun = "heun"
  /// Probability flow with RK4 steps (`ode`).
  case probabilityFlow = "ode"
  /// Probability flow with adaptive Dormand–Prince steps (`adaptive`).
  case adaptive = "adaptive"
  /// ``SamplerKind/dpmSolver(steps:order:spacing:)`` (`dpm`).
  case dpmSolver = "dpm"
  /// ``SamplerKind/edmHeun(steps:spacing:churn:)`` (`edm-heun`).
  case edmHeun = "edm-heun"
  /// ``SamplerKind/eulerAncestral(steps:eta:spacing:)`` (`euler-a`).
  case eulerAncestral = "euler-a"
  /// ``SamplerKind/ddim(steps:eta:spacing:)`` (`ddim`).
  case ddim = "ddim"
  /// ``SamplerKind/dpmSolverSDE(steps:order:spacing:)`` (`dpm-sde`).
  case dpmSolverSDE = "dpm-sde"
  /// ``SamplerKind/sra(steps:spacing:)`` (`sra`).
  case sra = "sra"
  /// ``SamplerKind/adaptiveSDE(_:)`` (`adaptive-sde`).
  case adaptiveSDE = "adaptive-sde"
  /// ``SamplerKind/symmetricSplitting(steps:spacing:)`` (`sscs`), critically-damped Langevin only.
  case symmetricSplitting = "sscs"

  /// Whether the sampler is a reverse-SDE sampler (``ReverseSDESolver``): it draws per-row noise
  /// at its steps and (all but `sscs`) ends with Tweedie's denoising step by default.
  ///
  /// The EDM family (`edm-heun`, `euler-a`, `ddim`, `dpm-sde`) counts as stochastic even where
  /// its settings draw no noise (no churn, `η = 0`): their updates are written for noise levels
  /// down to `σ = 0`, and their last step to `σ = 0` is exactly Tweedie's step
  /// `x̂₀ = (x − shift + σ²s)/α` (Karras et al.'s final Euler step, DDIM's step to `ᾱ = 1`), which
  /// ``Sampler`` takes at `ε` instead.
  @inlinable
  public var isStochastic: Bool {
    switch self {
    case .eulerMaruyama, .predictorCorrector, .ancestral, .edmHeun, .eulerAncestral, .ddim, .dpmSolverSDE,
      .sra, .adaptiveSDE, .symmetricSplitting:
      return true
    case .euler, .heun, .probabilityFlow, .adaptive, .dpmSolver: return false
    }
  }

  /// The default number of steps: 1000 for the first-order SDE samplers, 100 for SRA, SSCS and the
  /// fixed-step probability flow, 20 for DPM-Solver and its SDE variant, 18 for EDM's Heun, 50 for
  /// Euler-ancestral and DDIM; 0 for the adaptive solvers, which choose their own.
  @inlinable
  public var defaultSteps: Int { SamplerKind<Double>(self).steps ?? 0 }
}

extension SamplerName {
  /// Whether the kind's update is written in a scalar kernel `x_t = a(t)·x₀ + b(t) + σ(t)·z`
  /// (``GaussianSDE/marginal(at:)``): predictor–corrector (the reverse-diffusion predictor and the
  /// corrector's signal-to-noise step rule), ancestral sampling, DPM-Solver and its SDE variant,
  /// and the EDM family (`edm-heun`, `euler-a`, `ddim`). A ``Sampler`` on a process that is only
  /// a ``LinearGaussianSDE`` refuses them (``SamplerConfigurationError/needsScalarKernel(_:alternatives:)``).
  @inlinable
  public var needsScalarKernel: Bool {
    switch self {
    case .predictorCorrector, .ancestral, .dpmSolver, .edmHeun, .eulerAncestral, .ddim, .dpmSolverSDE:
      return true
    case .eulerMaruyama, .euler, .heun, .probabilityFlow, .adaptive, .sra, .adaptiveSDE, .symmetricSplitting:
      return false
    }
  }

  /// Whether the kind draws its noise as `g(t)·z` and so cannot apply a matrix diffusion
  /// `G = g·L` (``SDE/noiseFactor``): `sra` and `adaptive-sde`, whose Brownian increments and
  /// error estimates are written per coordinate.
  @inlinable
  public var needsScalarDiffusion: Bool { self == .sra || self == .adaptiveSDE }

  /// Whether the kind runs only on critically-damped Langevin diffusion: `sscs`.
  @inlinable
  public var needsPhaseSpace: Bool { self == .symmetricSplitting }

  /// The kinds a ``Sampler`` on a process that is not a ``GaussianSDE`` takes: Euler–Maruyama and
  /// the probability-flow kinds always; `sra` and `adaptive-sde` when the diffusion is scalar
  /// (`matrixDiffusion` false); `sscs` on critically-damped Langevin (`phaseSpace` true).
  ///
  /// ```swift
  /// SamplerName.linearProcessCases(phaseSpace: true, matrixDiffusion: true)   // sscs, em, ode, …
  /// ```
  @inlinable
  public static func linearProcessCases(phaseSpace: Bool, matrixDiffusion: Bool) -> [SamplerName] {
    (phaseSpace ? [.symmetricSplitting] : [])
      + allCases.filter { name in
        !name.needsScalarKernel && !name.needsPhaseSpace && !(matrixDiffusion && name.needsScalarDiffusion)
      }
  }
}
