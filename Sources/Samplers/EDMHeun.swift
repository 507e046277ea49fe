public import DiffusionProcesses
public import LinearAlgebra
public import RealModule

/// The churn settings of ``EDMHeun`` (Karras et al. 2022, Algorithm 2): how much fresh noise each
/// step adds before it integrates, and at which noise levels.
///
/// At a step from noise level `σᵢ` the sampler raises the level to `σ̂ᵢ = (1 + γᵢ)·σᵢ` with
///
///     γᵢ = min(S_churn/N, √2 − 1)   if S_tmin ≤ σᵢ ≤ S_tmax,   else 0,
///
/// (`N` the number of steps), adding noise of standard deviation `S_noise·√(σ̂ᵢ² − σᵢ²)`. The levels
/// are EDM's `σ = std/scale` (``TimeGrid/Spacing/karras(rho:)``'s σ), not times. `churn = 0` (the
/// default) is the deterministic Heun sampler of Algorithm 1; Karras et al. use `S_churn = 40`,
/// `S_tmin = 0.05`, `S_tmax = 50`, `S_noise = 1.003` on ImageNet-64 with 256 steps, and `0` on
/// CIFAR-10 with 18.
///
/// ```swift
/// let churn = ChurnOptions<Double>(churn: 40, minimumLevel: 0.05, maximumLevel: 50, noiseScale: 1.003)
/// let kind: SamplerKind<Double> = .edmHeun(steps: 64, churn: churn)
/// ```
public struct ChurnOptions<Scalar: BLASScalar>: Sendable, Hashable {
  /// `S_churn ≥ 0`, the total churn spread over the grid's steps (0: no fresh noise).
  public var churn: Scalar
  /// `S_tmin`: no churn at levels `σ` below it.
  public var minimumLevel: Scalar
  /// `S_tmax`: no churn at levels `σ` above it.
  public var maximumLevel: Scalar
  /// `S_noise`, the inflation of the added noise (slightly above 1 offsets a denoiser that
  /// removes a little too much).
  public var noiseScale: Scalar

  /// Churn settings; the defaults (`S_churn = 0`, `S_tmin = 0`, `S_tmax = ∞`, `S_noise = 1`) add
  /// no noise.
  @inlinable
  public init(
    churn: Scalar = 0, minimumLevel: Scalar = 0, maximumLevel: Scalar = .infinity, noiseScale: Scalar = 1
  ) {
    precondition(churn >= 0 && churn.isFinite, "ChurnOptions: S_churn must be finite and ≥ 0, got \(churn)")
    precondition(
      minimumLevel >= 0 && minimumLevel <= maximumLevel,
      "ChurnOptions: needs 0 ≤ S_tmin ≤ S_tmax, got \(minimumLevel) and \(maximumLevel)")
    precondition(
      noiseScale > 0 && noiseScale.isFinite, "ChurnOptions: S_noise must be positive, got \(noiseScale)")
    self.churn = churn
    self.minimumLevel = minimumLevel
    self.maximumLevel = maximumLevel
    self.noiseScale = noiseScale
  }

  /// `γ = min(S_churn/N, √2 − 1)` for a grid of `steps` steps.
  @inlinable
  public func gamma(steps: Int) -> Scalar {
    churn == 0 ? 0 : Swift.min(churn / Scalar(Swift.max(steps, 1)), Scalar(2).squareRoot() - 1)
  }
}

/// Karras et al.'s stochastic Heun sampler (2022, "Elucidating the Design Space of
/// Diffusion-Based Generative Models", Algorithm 2; Algorithm 1 without churn), for any
/// ``GaussianSDE``.
///
/// EDM works in the scaled variable `x̃ = (x − shift)/α` at the noise level `σ̃ = σ/α` (with
/// `α = scale`, `σ = std`), where every process of this kind is the same `x̃ = x₀ + σ̃·z`, and
/// reads the model as the denoiser `D(x̃; σ̃) = x̂₀ = (x − shift + σ²·s(x, t))/α`. The probability
/// flow is then `dx̃/dσ̃ = (x̃ − D)/σ̃ = −σ·s(x, t)` (the noise prediction). One step from `σ̃ᵢ`
/// to `σ̃ᵢ₊₁`:
///
///     σ̂ = (1 + γᵢ)·σ̃ᵢ,                 x̂ = x̃ᵢ + S_noise·√(σ̂² − σ̃ᵢ²)·z,      z ~ N(0, I)
///     d = (x̂ − D(x̂; σ̂))/σ̂,           x̃' = x̂ + (σ̃ᵢ₊₁ − σ̂)·d                (Euler)
///     d' = (x̃' − D(x̃'; σ̃ᵢ₊₁))/σ̃ᵢ₊₁,   x̃ᵢ₊₁ = x̂ + (σ̃ᵢ₊₁ − σ̂)·(d + d')/2     (Heun)
///
/// with `γᵢ` from ``ChurnOptions``; the raised level `σ̂` is evaluated at the time where
/// `std/scale = σ̂` (never beyond `T`: the first step from the prior takes no churn). Two score
/// evaluations per step; second order in the step for `S_churn = 0`.
///
/// Karras et al. end with an Euler step to `σ = 0`, `x₀ = x̂ + (0 − σ̂)·(x̂ − D)/σ̂ = D(x̂; σ̂)`:
/// that is exactly Tweedie's denoising step (``TweedieDenoiser``), which ``Sampler`` takes at `ε`
/// by default for this kind. A grid of `N − 1` Heun steps to `ε` and the denoising step is their
/// `N`-level sampler with `2N − 1` evaluations.
///
/// ```swift
/// let heun = EDMHeun(process: VESDE<Double>(), score: model, churn: ChurnOptions(churn: 10), steps: 32)
/// var workspace = heun.makeWorkspace(rows: n, columns: d)
/// let grid = TimeGrid(spacing: .karras(), steps: 32, process: sde, to: 1e-3)
/// let nfe = try heun.integrate(&x, over: grid, noise: &noise, workspace: &workspace)   // 64
/// ```
public struct EDMHeun<Process: GaussianSDE, Model: ScoreModel>: ReverseSDESolver, ScoreComposition
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// The churn settings.
  public let churn: ChurnOptions<Scalar>
  /// `γ = min(S_churn/N, √2 − 1)`, the relative rise of the noise level at a churned step.
  public let gamma: Scalar

  /// The model's scratch memory, the two scores, the evaluation point and the noise.
  public struct Workspace {
    @usableFromInline var model: Model.Workspace
    @usableFromInline var first: Matrix<Scalar>
    @usableFromInline var second: Matrix<Scalar>
    @usableFromInline var point: Matrix<Scalar>
    @usableFromInline var noise: Matrix<Scalar>

    @inlinable
    init(model: Model.Workspace, rows: Int, columns: Int) {
      self.model = model
      first = Matrix(rows: rows, columns: columns)
      second = Matrix(rows: rows, columns: columns)
      point = Matrix(rows: rows, columns: columns)
      noise = Matrix(rows: rows, columns: columns)
    }
  }

  /// The EDM sampler for `process` with `model`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - model: the score model.
  ///   - churn: the churn settings (none by default: Algorithm 1).
  ///   - steps: the number of steps `N` of the grid the sampler will run over, which spreads
  ///     `S_churn` (`γ = S_churn/N`); needed only with churn.
  @inlinable
  public init(
    process: Process, score model: Model, churn: ChurnOptions<Scalar> = ChurnOptions(), steps: Int? = nil
  ) {
    precondition(churn.churn == 0 || steps != nil, "EDMHeun: churn needs the grid's number of steps")
    precondition(steps.map { $0 >= 1 } ?? true, "EDMHeun: steps must be at least 1, got \(steps!)")
    self.process = process
    self.model = model
    self.churn = churn
    self.gamma = churn.gamma(steps: steps ?? 1)
  }

  /// 2.
  @inlinable public var evaluationsPerStep: Int { 2 }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model.makeWorkspace(rows: rows), rows: rows, columns: columns)
  }

  /// The churned time and its level: `(t̂, σ̃(t̂))` with `σ̃(t̂) = (1 + γ)·σ̃(t0)` when `σ̃(t0)` is in
  /// `[S_tmin, S_tmax]`, capped at `T`; `(t0, σ̃(t0))` otherwise.
  @inlinable
  public func churnedTime(from t0: Scalar) -> (time: Scalar, level: Scalar) {
    let (a0, s0) = process.marginal(at: t0)
    let level = s0 / a0
    guard gamma > 0, level >= churn.minimumLevel, level <= churn.maximumLevel else { return (t0, level) }
    // λ = log(α²/σ²) = −2 log σ̃.
    let lambda = Swift.max(
      -2 * Scalar.log(level * (1 + gamma)), process.logSignalToNoiseRatio(at: process.endTime))
    let t = Swift.max(t0, Swift.min(process.time(atLogSignalToNoiseRatio: lambda), process.endTime))
    let (a, s) = process.marginal(at: t)
    return (t, s / a)
  }

  /// One step from `t0` to `t1 < t0`: churn, then Heun in `σ̃`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace w: inout Workspace
  ) {
    precondition(t1 < t0, "EDMHeun steps backwards in time, got \(t0) → \(t1)")
    w.first.ensureShape(of: x)
    w.second.ensureShape(of: x)
    w.point.ensureShape(of: x)
    let (a0, s0) = process.marginal(at: t0)
    let shift0 = process.marginalShift(at: t0)
    let level0 = s0 / a0
    // x ← x̃ = (x − shift₀)/α₀.
    let inverse = 1 / a0
    x.apply { ($0 - shift0) * inverse }
    let (tHat, levelHat) = churnedTime(from: t0)
    if tHat != t0 {
      w.noise.ensureShape(of: x)
      noise.fillNormal(&w.noise)
      let added = churn.noiseScale * Swift.max(0, levelHat * levelHat - level0 * level0).squareRoot()
      x.add(w.noise, scaledBy: added)
    }
    // d = (x̂ − D(x̂; σ̂))/σ̂ = −σ(t̂)·s(α̂x̂ + shift̂, t̂).
    let (aHat, sHat) = process.marginal(at: tHat)
    w.point.assign(x, scaledBy: aHat, offset: process.marginalShift(at: tHat))
    model.score(w.point, at: tHat, into: &w.first, workspace: &w.model)
    let (a1, s1) = process.marginal(at: t1)
    let shift1 = process.marginalShift(at: t1)
    let level1 = s1 / a1
    let delta = level1 - levelHat
    // Euler: x̃' = x̂ − Δ·σ(t̂)·s₁, evaluated at x' = α₁x̃' + shift₁.
    w.point.assign(x, scaledBy: a1, offset: shift1)
    w.point.add(w.first, scaledBy: -a1 * delta * sHat)
    model.score(w.point, at: t1, into: &w.second, workspace: &w.model)
    // Heun: x₁ = α₁·(x̂ − (Δ/2)(σ(t̂)·s₁ + σ₁·s₂)) + shift₁.
    x.scale(
      by: a1, adding: w.first, scaledBy: -a1 * delta * sHat / 2, w.second, scaledBy: -a1 * delta * s1 / 2)
    if shift1 != 0 { x.apply { $0 + shift1 } }
  }
}

extension EDMHeun.Workspace: Sendable where Model.Workspace: Sendable {}
