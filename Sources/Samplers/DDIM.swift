public import DiffusionProcesses
public import RealModule

/// DDIM with stochasticity `η` (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models",
/// eq. 12 with the noise level of eq. 16), for any ``GaussianSDE``.
///
/// In the scaled variable `x̃ = (x − shift)/α` at the level `σ̃ = σ/α` (`α = scale`, `σ = std`),
/// with the data prediction `x̂₀ = (x − shift + σ²·s(x, t))/α` and the noise prediction
/// `ε̂ = (x̃ − x̂₀)/σ̃ = −σ·s(x, t)`, one step from `t₀` to `t₁` is eq. 12,
///
///     x̃₁ = x̂₀ + √(σ̃₁² − c²)·ε̂ + c·z,    c = η·σ̃₁·√(1 − σ̃₁²/σ̃₀²),    z ~ N(0, I),
///
/// and `x₁ = α₁x̃₁ + shift₁`. For the VP SDE (`α² = ᾱ`, `σ² = 1 − ᾱ`) `α₁c` is eq. 16's
/// `σ_τ(η) = η·√((1 − ᾱ₁)/(1 − ᾱ₀))·√(1 − ᾱ₀/ᾱ₁)`, and the general `c` is the posterior
/// standard deviation of `q(x̃₁ | x̃₀, x₀)`, so `η = 1` is ancestral sampling (DDPM) with the
/// Tweedie estimate of `x₀` and `η = 0` the deterministic DDIM, which is first-order DPM-Solver++
/// (``DPMSolver`` with `order: 1`): `x₁ = (σ₁/σ₀)(x − shift₀) + α₁(1 − e^{−h})·x̂₀ + shift₁`.
/// The step is linear in `x`, `s` and `z` (``DDIMStep/coefficients(from:to:)``); one score evaluation.
///
/// In the `σ̃` variable this is the same update as k-diffusion's Euler-ancestral step, so both are
/// one type, ``DDIMStep``: ``EulerAncestral`` is the same step with k-diffusion's spelling of `η`
/// (default 1, any `η ≥ 0`).
///
/// ```swift
/// let ddim = DDIM(process: VPSDE<Double>(), score: model, eta: 0.5)
/// var workspace = ddim.makeWorkspace(rows: n, columns: d)
/// try ddim.integrate(&x, over: TimeGrid(spacing: .logSNR, steps: 50, process: sde, to: 1e-3),
///                    noise: &noise, workspace: &workspace)
/// ```
public typealias DDIM<Process: GaussianSDE, Model: ScoreModel> =
  DDIMStep<Process, Model, DDIMStochasticity> where Process.Scalar == Model.Scalar

/// How a ``DDIMStep`` spells its stochasticity `η`: the default and the accepted range, which
/// differ between DDIM (Song et al.: `η ∈ [0, 1]`, 0 by default) and k-diffusion's
/// Euler-ancestral sampler (`η ≥ 0`, 1 by default, the noise capped at `σ̃₁`).
public protocol StochasticityConvention: Sendable {
  /// The sampler's name, for messages.
  static var samplerName: String { get }
  /// `η` when none is given.
  static var defaultEta: Double { get }
  /// The largest `η` accepted (`.infinity` for no bound).
  static var maximumEta: Double { get }
  /// The accepted range in words, for messages: `"0 ≤ η ≤ 1"`.
  static var etaRange: String { get }
}

/// DDIM's `η ∈ [0, 1]`, 0 (deterministic DDIM) by default.
public enum DDIMStochasticity: StochasticityConvention {
  /// `"DDIM"`.
  public static var samplerName: String { "DDIM" }
  /// 0.
  public static var defaultEta: Double { 0 }
  /// 1.
  public static var maximumEta: Double { 1 }
  /// `"0 ≤ η ≤ 1"`.
  public static var etaRange: String { "0 ≤ η ≤ 1" }
}

/// The step of DDIM (Song, Meng & Ermon 2021, eq. 12) and of k-diffusion's Euler-ancestral
/// sampler, one update for every stochasticity `η ≥ 0`, for any ``GaussianSDE``; ``DDIM`` and
/// ``EulerAncestral`` are its two spellings (``StochasticityConvention``).
///
/// With `r = σ̃₁/σ̃₀ = e^{−h}` (`h` the step in `λ = log(α/σ)`), a step keeps the fraction
/// `k = σ_down/σ̃₀ = r·√(1 − η²(1 − r²))` of the noise prediction and adds fresh noise
/// `σ_up = σ̃₁·min(1, η·√(1 − r²))`; for `η²(1 − r²) ≥ 1` (only `η > 1` reaches it) the noise is
/// capped at `σ̃₁` and `k = 0`, as k-diffusion's `get_ancestral_step` does.
public struct DDIMStep<Process: GaussianSDE, Model: ScoreModel, Convention: StochasticityConvention>:
  LinearReverseStep
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// `η ≥ 0`: 0 is deterministic DDIM (the probability-flow step), 1 the ancestral (DDPM)
  /// posterior noise; `Convention` bounds it.
  public let eta: Scalar

  /// The step with stochasticity `eta` for `process` with `model`.
  @inlinable
  public init(process: Process, score model: Model, eta: Scalar) {
    precondition(
      eta >= 0 && eta.isFinite && Double(eta) <= Convention.maximumEta,
      "\(Convention.samplerName) needs \(Convention.etaRange), got \(eta)")
    self.process = process
    self.model = model
    self.eta = eta
  }

  /// The step with the convention's default `η` (0 for ``DDIM``, 1 for ``EulerAncestral``).
  @inlinable
  public init(process: Process, score model: Model) {
    self.init(process: process, score: model, eta: Scalar(Convention.defaultEta))
  }

  /// k-diffusion's `get_ancestral_step(σ̃₀, σ̃₁, η)`: `(σ_down, σ_up)`, with
  /// `σ_up = min(σ̃₁, η·σ̃₁·√(1 − σ̃₁²/σ̃₀²))` and `σ_down = √(σ̃₁² − σ_up²)`.
  @inlinable
  public func ancestralLevels(from level0: Scalar, to level1: Scalar) -> (down: Scalar, up: Scalar) {
    let up = Swift.min(
      level1, eta * (level1 * level1 * (level0 * level0 - level1 * level1) / (level0 * level0)).squareRoot())
    return ((level1 * level1 - up * up).squareRoot(), up)
  }

  /// The step's coefficients `x₁ = a·x + b·s(x, t₀) + c·z + offset`: with `k` and the capped
  /// noise as above,
  ///
  ///     a = α₁/α₀,   b = a·(1 − k)·σ₀²,   c = σ₁·min(1, η·√(1 − r²)),   offset = shift₁ − a·shift₀,
  ///
  /// with `1 − r² = −expm1(−2h)` and `1 − k = (1 − r²)(1 + η²r²)/(1 + k)` free of cancellation
  /// (`b = α₁(σ̃₀ − σ_down)σ₀`, `c = α₁σ_up` in k-diffusion's variables).
  @inlinable
  public func coefficients(from t0: Scalar, to t1: Scalar) -> ReverseStepCoefficients<Scalar> {
    let (a0, s0) = process.marginal(at: t0)
    let (a1, s1) = process.marginal(at: t1)
    let h = (Scalar.log(a1) - Scalar.log(s1)) - (Scalar.log(a0) - Scalar.log(s0))
    let r = Scalar.exp(-h)
    let oneMinusR2 = -Scalar.expMinusOne(-2 * h)
    let retained = 1 - eta * eta * oneMinusR2  // (σ_down/σ̃₁)²
    let a = a1 / a0
    let oneMinusK: Scalar
    let noise: Scalar
    if retained > 0 {
      let k = r * retained.squareRoot()
      oneMinusK = oneMinusR2 * (1 + eta * eta * r * r) / (1 + k)
      noise = eta * s1 * oneMinusR2.squareRoot()
    } else {
      (oneMinusK, noise) = (1, s1)
    }
    return ReverseStepCoefficients(
      state: a, score: a * oneMinusK * s0 * s0, noise: noise,
      offset: process.marginalShift(at: t1) - a * process.marginalShift(at: t0))
  }
}
