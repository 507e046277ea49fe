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
/// `η ∈ [0, 1]` it is the same update as ``DDIM`` with that `η`, so both are one type,
/// ``DDIMStep``, whose coefficients are written once, in DDIM's cancellation-free form; `η > 1`
/// adds more noise, capped at `σ_up = σ̃₁`. One score evaluation per step; first order.
///
/// ```swift
/// let sampler = EulerAncestral(process: VESDE<Double>(), score: model, eta: 1)
/// var workspace = sampler.makeWorkspace(rows: n, columns: d)
/// try sampler.integrate(&x, over: TimeGrid(spacing: .karras(), steps: 50, process: sde, to: 1e-3),
///                       noise: &noise, workspace: &workspace)
/// ```
public typealias EulerAncestral<Process: GaussianSDE, Model: ScoreModel> =
  DDIMStep<Process, Model, EulerAncestralStochasticity> where Process.Scalar == Model.Scalar

/// k-diffusion's `η ≥ 0` for the Euler-ancestral sampler, 1 (ancestral sampling) by default.
public enum EulerAncestralStochasticity: StochasticityConvention {
  /// `"EulerAncestral"`.
  public static var samplerName: String { "EulerAncestral" }
  /// 1.
  public static var defaultEta: Double { 1 }
  /// No bound: beyond `η²(1 − r²) = 1` the fresh noise stays at `σ̃₁`.
  public static var maximumEta: Double { .infinity }
  /// `"a finite η ≥ 0"`.
  public static var etaRange: String { "a finite η ≥ 0" }
}
