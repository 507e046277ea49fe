public import DiffusionProcesses
public import LinearAlgebra

/// Ancestral sampling: each step draws from the forward process's posterior
/// `q(x_{t₁} | x_{t₀}, x₀)` with the clean data replaced by its Tweedie estimate (Ho et al. 2020,
/// eq. 6–7 and 11; Song et al. 2021, appendix F):
///
///     x̂₀ = (x − shift(t₀) + std(t₀)²·s(x, t₀)) / scale(t₀),
///     x₁ = c₀·x̂₀ + c_x·x + c + σ·z,
///
/// with `(c₀, c_x, c, σ)` from ``GaussianSDE/posterior(from:to:)``. For the VP SDE this is
/// exactly DDPM's update `μ_θ = (x − βᵢ/√(1 − ᾱᵢ)·ε̂)/√αᵢ`, `σᵢ² = β̃ᵢ`; for the VE SDE it is
/// SMLD's `x + (σᵢ² − σᵢ₋₁²)·s` with variance `σᵢ₋₁²(σᵢ² − σᵢ₋₁²)/σᵢ²`. One score evaluation per
/// step.
///
/// ```swift
/// let ddpm = AncestralSampler(forward: VPSDE<Double>(), score: model)
/// try ddpm.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 1000, process: sde),
///                    noise: &noise, workspace: &workspace)
/// ```
public struct AncestralSampler<Forward: GaussianSDE, Model: ScoreModel>: ReverseSDESolver
where Forward.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The forward process.
  public let forward: Forward
  /// The score model.
  public let model: Model

  /// The score, the noise and the model's scratch memory.
  public struct Workspace {
    @usableFromInline var model: Model.Workspace
    @usableFromInline var score: Matrix<Scalar>
    @usableFromInline var noise: Matrix<Scalar>

    @inlinable
    init(model: Model.Workspace, rows: Int, columns: Int) {
      self.model = model
      score = Matrix(rows: rows, columns: columns)
      noise = Matrix(rows: rows, columns: columns)
    }
  }

  /// Ancestral sampling for `forward` with the score `model`.
  @inlinable
  public init(forward: Forward, score model: Model) {
    self.forward = forward
    self.model = model
  }

  /// 1.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model.makeWorkspace(rows: rows), rows: rows, columns: columns)
  }

  /// One draw from the posterior at `t1` given the state at `t0` and its Tweedie estimate of `x₀`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    precondition(t1 < t0 && t1 >= 0, "AncestralSampler steps backwards to t ≥ 0, got \(t0) → \(t1)")
    workspace.score.ensureShape(of: x)
    workspace.noise.ensureShape(of: x)
    model.score(x, at: t0, into: &workspace.score, workspace: &workspace.model)
    noise.fillNormal(&workspace.noise)
    let (scale, std) = forward.marginal(at: t0)
    let shift = forward.marginalShift(at: t0)
    let (c0, cx, c, sigma) = forward.posterior(from: t0, to: t1)
    // x₁ = c₀(x − shift + std²s)/scale + c_x·x + c + σz
    //    = (c₀/scale + c_x)·x + (c₀·std²/scale)·s + σz + (c − c₀·shift/scale).
    let k = c0 / scale
    x.scale(by: k + cx, adding: workspace.score, scaledBy: k * std * std, workspace.noise, scaledBy: sigma)
    let offset = c - k * shift
    if offset != 0 { x.apply { $0 + offset } }
  }
}

extension AncestralSampler.Workspace: Sendable where Model.Workspace: Sendable {}
