public import DiffusionProcesses
public import LinearAlgebra

/// The coefficients of a reverse step that is linear in the state, the score and the noise:
///
///     x₁ = a·x₀ + b·s(x₀, t₀) + c·z + offset,   z ~ N(0, I).
public struct ReverseStepCoefficients<Scalar: BLASScalar>: Sendable, Hashable {
  /// `a`, the factor on the state.
  public var state: Scalar
  /// `b`, the factor on the score.
  public var score: Scalar
  /// `c`, the standard deviation of the added noise.
  public var noise: Scalar
  /// The constant added to every entry.
  public var offset: Scalar

  /// The coefficients `(a, b, c, offset)`.
  @inlinable
  public init(state: Scalar, score: Scalar, noise: Scalar, offset: Scalar) {
    self.state = state
    self.score = score
    self.noise = noise
    self.offset = offset
  }
}

/// A rule that gives the coefficients of a ``GaussianReverseStep`` from `t₀` down to `t₁` for a
/// ``GaussianSDE``. The rules here: ``AncestralRule`` (DDPM / SMLD posterior draws),
/// ``ReverseDiffusionRule`` (the forward discretisation run backwards) and ``TweedieRule`` (the
/// noiseless jump to the posterior mean of the clean data).
///
/// ```swift
/// let c = AncestralRule.coefficients(of: VPSDE<Double>(), from: 0.5, to: 0.49)
/// ```
public protocol ReverseStepRule: Sendable {
  /// `(a, b, c, offset)` of the step from `t0` to `t1 < t0`.
  static func coefficients<Process: GaussianSDE>(
    of process: Process, from t0: Process.Scalar, to t1: Process.Scalar
  ) -> ReverseStepCoefficients<Process.Scalar>
}

/// Ancestral sampling: each step draws from the forward process's posterior
/// `q(x_{t₁} | x_{t₀}, x₀)` with the clean data replaced by its Tweedie estimate (Ho et al. 2020,
/// eq. 6–7 and 11; Song et al. 2021, appendix F):
///
///     x̂₀ = (x − shift(t₀) + std(t₀)²·s(x, t₀)) / scale(t₀),
///     x₁ = c₀·x̂₀ + c_x·x + c + σ·z,
///
/// with `(c₀, c_x, c, σ)` from ``GaussianSDE/posterior(from:to:)``, so
/// `x₁ = (c₀/scale + c_x)·x + (c₀·std²/scale)·s + σz + (c − c₀·shift/scale)`. For the VP SDE this is
/// exactly DDPM's update `μ_θ = (x − βᵢ/√(1 − ᾱᵢ)·ε̂)/√αᵢ`, `σᵢ² = β̃ᵢ`; for the VE SDE it is
/// SMLD's `x + (σᵢ² − σᵢ₋₁²)·s` with variance `σᵢ₋₁²(σᵢ² − σᵢ₋₁²)/σᵢ²`.
///
/// ```swift
/// let ddpm = AncestralSampler(process: VPSDE<Double>(), score: model)
/// ```
public enum AncestralRule: ReverseStepRule {
  /// The posterior draw's coefficients; needs `t1 ≥ 0`.
  @inlinable
  public static func coefficients<Process: GaussianSDE>(
    of process: Process, from t0: Process.Scalar, to t1: Process.Scalar
  ) -> ReverseStepCoefficients<Process.Scalar> {
    precondition(t1 >= 0, "AncestralSampler steps backwards to t ≥ 0, got \(t0) → \(t1)")
    let (scale, std) = process.marginal(at: t0)
    let shift = process.marginalShift(at: t0)
    let (c0, cx, c, sigma) = process.posterior(from: t0, to: t1)
    let k = c0 / scale
    return ReverseStepCoefficients(state: k + cx, score: k * std * std, noise: sigma, offset: c - k * shift)
  }
}

/// The reverse-diffusion predictor of Song et al. (2021, appendix E, eq. 45): the forward
/// process's own discretisation run backwards.
///
/// The exact forward step from `t₁` to `t₀ > t₁` is `x_{t₀} = A·x_{t₁} + B + G·z`
/// (``GaussianSDE/transition(from:to:)``: DDPM's `√(1 − βᵢ)`, `√βᵢ` for VP, SMLD's `1`,
/// `√(σᵢ² − σᵢ₋₁²)` for VE). Writing it as `x_{t₀} = x_{t₁} + f(x) + G z` with
/// `f(x) = (A − 1)x + B`, the reverse step is
///
///     x_{t₁} = x_{t₀} − f(x_{t₀}) + G²·s(x_{t₀}, t₀) + G·z = (2 − A)·x − B + G²·s + G·z.
///
/// ```swift
/// let predictor = ReverseDiffusionPredictor(process: VESDE<Double>(), score: model)
/// ```
public enum ReverseDiffusionRule: ReverseStepRule {
  /// `(2 − A, G², G, −B)` with `(A, B, G)` the forward transition from `t1` to `t0`.
  @inlinable
  public static func coefficients<Process: GaussianSDE>(
    of process: Process, from t0: Process.Scalar, to t1: Process.Scalar
  ) -> ReverseStepCoefficients<Process.Scalar> {
    let (a, b, g) = process.transition(from: t1, to: t0)
    return ReverseStepCoefficients(state: 2 - a, score: g * g, noise: g, offset: -b)
  }
}

/// One reverse-time step of a ``GaussianSDE`` that is linear in the state, the score and the
/// noise, `x₁ = a·x₀ + b·s(x₀, t₀) + c·z + offset`, with the coefficients from `Rule`: one score
/// evaluation and one pass over the batch per step. ``AncestralSampler`` and
/// ``ReverseDiffusionPredictor`` are its two sampling rules; ``TweedieDenoiser`` is its
/// ``TweedieRule``, the final denoising step.
///
/// ```swift
/// let ddpm = AncestralSampler(process: VPSDE<Double>(), score: model)
/// var workspace = ddpm.makeWorkspace(rows: n, columns: d)
/// try ddpm.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 1000, process: sde),
///                    noise: &noise, workspace: &workspace)
/// ```
public struct GaussianReverseStep<Process: GaussianSDE, Model: ScoreModel, Rule: ReverseStepRule>:
  LinearReverseStep
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model

  /// The step of `Rule` for `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    self.process = process
    self.model = model
  }

  /// The rule's coefficients from `t0` to `t1 < t0`.
  @inlinable
  public func coefficients(from t0: Scalar, to t1: Scalar) -> ReverseStepCoefficients<Scalar> {
    Rule.coefficients(of: process, from: t0, to: t1)
  }
}

/// Ancestral sampling (DDPM / SMLD posterior steps, ``AncestralRule``).
public typealias AncestralSampler<Process: GaussianSDE, Model: ScoreModel> =
  GaussianReverseStep<Process, Model, AncestralRule> where Process.Scalar == Model.Scalar

/// The reverse-diffusion predictor (``ReverseDiffusionRule``), the default predictor of Song
/// et al.'s PC samplers.
public typealias ReverseDiffusionPredictor<Process: GaussianSDE, Model: ScoreModel> =
  GaussianReverseStep<Process, Model, ReverseDiffusionRule> where Process.Scalar == Model.Scalar
