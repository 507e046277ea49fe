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
/// The step is linear in `x`, `s` and `z` (``coefficients(from:to:)``); one score evaluation.
///
/// In the `σ̃` variable this is the same update as k-diffusion's Euler-ancestral step
/// (``EulerAncestral``) with the same `η ∈ [0, 1]`.
///
/// ```swift
/// let ddim = DDIM(process: VPSDE<Double>(), score: model, eta: 0.5)
/// var workspace = ddim.makeWorkspace(rows: n, columns: d)
/// try ddim.integrate(&x, over: TimeGrid(spacing: .logSNR, steps: 50, process: sde, to: 1e-3),
///                    noise: &noise, workspace: &workspace)
/// ```
public struct DDIM<Process: GaussianSDE, Model: ScoreModel>: LinearReverseStep
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// `η ∈ [0, 1]`: 0 is deterministic DDIM, 1 the ancestral (DDPM) posterior noise.
  public let eta: Scalar

  /// DDIM with stochasticity `eta` for `process` with `model`.
  @inlinable
  public init(process: Process, score model: Model, eta: Scalar) {
    precondition(eta >= 0 && eta <= 1, "DDIM needs 0 ≤ η ≤ 1, got \(eta)")
    self.process = process
    self.model = model
    self.eta = eta
  }

  /// Deterministic DDIM (`η = 0`).
  @inlinable
  public init(process: Process, score model: Model) {
    self.init(process: process, score: model, eta: 0)
  }

  /// The step's coefficients `x₁ = a·x + b·s(x, t₀) + c·z + offset`: with `r = σ̃₁/σ̃₀ = e^{−h}`
  /// (`h` the step in `λ = log(α/σ)`) and `k = r·√(1 − η²(1 − r²))`, the factor on `ε̂`,
  ///
  ///     a = α₁/α₀,   b = a·(1 − k)·σ₀²,   c = η·σ₁·√(1 − r²),   offset = shift₁ − a·shift₀,
  ///
  /// with `1 − r² = −expm1(−2h)` and `1 − k = (1 − r²)(1 + η²r²)/(1 + k)` free of cancellation.
  @inlinable
  public func coefficients(from t0: Scalar, to t1: Scalar) -> ReverseStepCoefficients<Scalar> {
    let (a0, s0) = process.marginal(at: t0)
    let (a1, s1) = process.marginal(at: t1)
    let h = (Scalar.log(a1) - Scalar.log(s1)) - (Scalar.log(a0) - Scalar.log(s0))
    let r = Scalar.exp(-h)
    let oneMinusR2 = -Scalar.expMinusOne(-2 * h)
    let k = r * (1 - eta * eta * oneMinusR2).squareRoot()
    let oneMinusK = oneMinusR2 * (1 + eta * eta * r * r) / (1 + k)
    let a = a1 / a0
    return ReverseStepCoefficients(
      state: a, score: a * oneMinusK * s0 * s0, noise: eta * s1 * oneMinusR2.squareRoot(),
      offset: process.marginalShift(at: t1) - a * process.marginalShift(at: t0))
  }
}
