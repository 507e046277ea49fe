public import DiffusionProcesses
public import LinearAlgebra

/// The reverse-diffusion predictor of Song et al. (2021, appendix E, eq. 45): the forward
/// process's own discretisation run backwards.
///
/// The exact forward step from `t₁` to `t₀ > t₁` is `x_{t₀} = A·x_{t₁} + B + G·z`
/// (``GaussianSDE/transition(from:to:)``: DDPM's `√(1 − βᵢ)`, `√βᵢ` for VP, SMLD's `1`,
/// `√(σᵢ² − σᵢ₋₁²)` for VE). Writing it as `x_{t₀} = x_{t₁} + f(x) + G z` with `f(x) = (A − 1)x + B`, the reverse step
/// is
///
///     x_{t₁} = x_{t₀} − f(x_{t₀}) + G²·s(x_{t₀}, t₀) + G·z = (2 − A)·x − B + G²·s + G·z.
///
/// One score evaluation per step; the default predictor of Song et al.'s PC samplers.
///
/// ```swift
/// let predictor = ReverseDiffusionPredictor(forward: VESDE<Double>(), score: model)
/// predictor.step(&x, from: t0, to: t1, noise: &noise, workspace: &workspace)
/// ```
public struct ReverseDiffusionPredictor<Forward: GaussianSDE, Model: ScoreModel>: ReverseSDESolver
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

  /// The reverse-diffusion predictor for `forward` with the score `model`.
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

  /// `x ← (2 − A)·x − B + G²·s(x, t₀) + G·z` with `(A, B, G)` the forward transition from `t1` to
  /// `t0`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    precondition(t1 < t0, "ReverseDiffusionPredictor steps backwards in time, got \(t0) → \(t1)")
    workspace.score.ensureShape(of: x)
    workspace.noise.ensureShape(of: x)
    model.score(x, at: t0, into: &workspace.score, workspace: &workspace.model)
    noise.fillNormal(&workspace.noise)
    let (a, b, g) = forward.transition(from: t1, to: t0)
    x.scale(by: 2 - a, adding: workspace.score, scaledBy: g * g, workspace.noise, scaledBy: g)
    if b != 0 { x.apply { $0 - b } }
  }
}

extension ReverseDiffusionPredictor.Workspace: Sendable where Model.Workspace: Sendable {}
