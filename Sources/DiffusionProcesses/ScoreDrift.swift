public import LinearAlgebra

/// Scratch memory of the score-corrected drifts of ``ReverseSDE`` and ``ProbabilityFlowODE``:
/// the model's workspace and a buffer for the forward drift, resized on first use to the
/// batch's shape.
public struct ScoreDriftWorkspace<Model: ScoreModel> {
  /// The model's own scratch memory.
  public var model: Model.Workspace
  /// The forward drift `f(x, t)`.
  public var forwardDrift: Matrix<Model.Scalar>

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  init(model: Model, rows: Int, columns: Int) {
    self.model = model.makeWorkspace(rows: rows)
    self.forwardDrift = Matrix(rows: rows, columns: columns)
  }
}

extension ScoreDriftWorkspace: Sendable where Model.Workspace: Sendable {}

extension SDE {
  /// Writes `f(xᵢ, t) − λ·g(t)²·s(xᵢ, t)` into row `i` of `out`: the reverse-SDE drift for
  /// `λ = 1`, the probability-flow velocity for `λ = ½`. Allocates nothing once `workspace`
  /// has the batch's shape.
  @inlinable
  func scoreCorrectedDrift<Model: ScoreModel>(
    _ x: Matrix<Scalar>, at t: Scalar, score model: Model, weight lambda: Scalar,
    into out: inout Matrix<Scalar>,
    workspace: inout ScoreDriftWorkspace<Model>, caller: String
  ) where Model.Scalar == Scalar {
    precondition(
      out.rows == x.rows && out.columns == x.columns,
      "\(caller): input \(x.shapeDescription) but output \(out.shapeDescription)")
    if workspace.forwardDrift.rows != x.rows || workspace.forwardDrift.columns != x.columns {
      workspace.forwardDrift.resize(rows: x.rows, columns: x.columns)
    }
    model.score(x, at: t, into: &out, workspace: &workspace.model)
    drift(x, at: t, into: &workspace.forwardDrift)
    let g = diffusion(at: t)
    out.scale(by: -lambda * g * g, adding: workspace.forwardDrift)
  }
}
