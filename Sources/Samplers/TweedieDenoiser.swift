public import DiffusionProcesses
public import LinearAlgebra

/// The final denoising step: Tweedie's formula for the posterior mean of the clean data given a
/// point at time `t` (Efron 2011; Song et al. 2021 and Jolicoeur-Martineau et al. 2021 use it to
/// remove the noise left at `t = ε`):
///
///     E[x₀ | x_t = x] = (x − shift(t) + std(t)²·s(x, t)) / scale(t).
///
/// One score evaluation.
///
/// ```swift
/// let denoiser = TweedieDenoiser(forward: sde, score: model)
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)
/// denoiser.denoise(&x, at: sde.smallTimeCutoff, workspace: &workspace)
/// ```
public struct TweedieDenoiser<Forward: GaussianSDE, Model: ScoreModel>: Sendable
where Forward.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The forward process.
  public let forward: Forward
  /// The score model.
  public let model: Model

  /// The score and the model's scratch memory.
  public struct Workspace {
    @usableFromInline var model: Model.Workspace
    @usableFromInline var score: Matrix<Scalar>

    @inlinable
    init(model: Model.Workspace, score: Matrix<Scalar>) {
      self.model = model
      self.score = score
    }
  }

  /// A denoiser for `forward` with the score `model`.
  @inlinable
  public init(forward: Forward, score model: Model) {
    self.forward = forward
    self.model = model
  }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model.makeWorkspace(rows: rows), score: Matrix(rows: rows, columns: columns))
  }

  /// Replaces every row of `x` by its Tweedie estimate of `x₀` at time `t > 0`.
  @inlinable
  public func denoise(_ x: inout Matrix<Scalar>, at t: Scalar, workspace: inout Workspace) {
    precondition(t > 0, "TweedieDenoiser needs t > 0, got \(t)")
    workspace.score.ensureShape(of: x)
    model.score(x, at: t, into: &workspace.score, workspace: &workspace.model)
    let (scale, std) = forward.marginal(at: t)
    let shift = forward.marginalShift(at: t)
    x.add(workspace.score, scaledBy: std * std)
    let inverse = 1 / scale
    let offset = -shift * inverse
    x.apply { $0 * inverse + offset }
  }
}

extension TweedieDenoiser.Workspace: Sendable where Model.Workspace: Sendable {}
