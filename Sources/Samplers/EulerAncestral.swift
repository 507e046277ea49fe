public import DiffusionProcesses

/// The Euler-ancestral sampler with stochasticity `η` (k-diffusion's `sample_euler_ancestral` and
/// `get_ancestral_step`, Crowson 2022, on the σ-formulation of Karras et al. 2022, eq. 4; the
/// ancestral split is Ho et al. 2020's posterior), for any ``GaussianSDE``.
///
/// In the scaled variable `x̃ = (x − shift)/α` at the level `σ̃ = σ/α` (`α = scale`, `σ = std`),
/// with the denoiser `D = x̂₀ = (x − shift + σ²·s(x, t))/α`, a step from `σ̃₀` to `σ̃₁` splits
/// `σ̃₁` into a deterministic part `σ_down` and fresh noise `σ_up`:
///
///     σ_up   = min(σ̃₁, η·σ̃₁·√(1 − σ̃₁²/σ̃₀²)),   σ_down = √(σ̃₁² − σ_up²),
///     d      = (x̃ − D)/σ̃₀ = −σ₀·s(x, t₀),
///     x̃₁     = x̃ + (σ_down − σ̃₀)·d + σ_up·z,     z ~ N(0, I),
///
/// and `x₁ = α₁x̃₁ + shift₁`: an Euler step of the probability flow down to `σ_down`, then noise
/// back up to `σ̃₁`. `η = 1` draws from the posterior `q(x̃₁ | x̃₀, x̂₀)` (ancestral sampling),
/// `η = 0` is the Euler step of Karras et al.'s ODE (in `σ̃`; deterministic DDIM). For
/// `η ∈ [0, 1]` it is the same update as ``DDIM`` with that `η`; `η > 1` adds more noise, capped
/// at `σ_up = σ̃₁`. One score evaluation per step; first order.
///
/// ```swift
/// let sampler = EulerAncestral(process: VESDE<Double>(), score: model, eta: 1)
/// var workspace = sampler.makeWorkspace(rows: n, columns: d)
/// try sampler.integrate(&x, over: TimeGrid(spacing: .karras(), steps: 50, process: sde, to: 1e-3),
///                       noise: &noise, workspace: &workspace)
/// ```
public struct EulerAncestral<Process: GaussianSDE, Model: ScoreModel>: LinearReverseStep
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// `η ≥ 0`: 1 (the default) is ancestral sampling, 0 the probability-flow Euler step in `σ̃`.
  public let eta: Scalar

  /// Euler-ancestral with stochasticity `eta` for `process` with `model`.
  @inlinable
  public init(process: Process, score model: Model, eta: Scalar) {
    precondition(eta >= 0 && eta.isFinite, "EulerAncestral needs a finite η ≥ 0, got \(eta)")
    self.process = process
    self.model = model
    self.eta = eta
  }

  /// Euler-ancestral with `η = 1`.
  @inlinable
  public init(process: Process, score model: Model) {
    self.init(process: process, score: model, eta: 1)
  }

  /// k-diffusion's `get_ancestral_step(σ̃₀, σ̃₁, η)`: `(σ_down, σ_up)`.
  @inlinable
  public func ancestralLevels(from level0: Scalar, to level1: Scalar) -> (down: Scalar, up: Scalar) {
    let up = Swift.min(
      level1, eta * (level1 * level1 * (level0 * level0 - level1 * level1) / (level0 * level0)).squareRoot())
    return ((level1 * level1 - up * up).squareRoot(), up)
  }

  /// The step's coefficients `x₁ = a·x + b·s(x, t₀) + c·z + offset`:
  ///
  ///     a = α₁/α₀,   b = α₁·(σ̃₀ − σ_down)·σ₀,   c = α₁·σ_up,   offset = shift₁ − a·shift₀.
  @inlinable
  public func coefficients(from t0: Scalar, to t1: Scalar) -> ReverseStepCoefficients<Scalar> {
    let (a0, s0) = process.marginal(at: t0)
    let (a1, s1) = process.marginal(at: t1)
    let level0 = s0 / a0
    let (down, up) = ancestralLevels(from: level0, to: s1 / a1)
    let a = a1 / a0
    return ReverseStepCoefficients(
      state: a, score: a1 * (level0 - down) * s0, noise: a1 * up,
      offset: process.marginalShift(at: t1) - a * process.marginalShift(at: t0))
  }
}
