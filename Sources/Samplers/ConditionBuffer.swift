public import DiffusionProcesses
public import LinearAlgebra

/// Scratch memory shared by the condition-binding models: the condition repeated on every row
/// of the batch, and the conditional model's own workspace.
public struct ConditionBuffer<Model: ConditionalScoreModel> {
  @usableFromInline var model: Model.Workspace
  @usableFromInline var conditions: Matrix<Model.Scalar>

  /// No condition yet, and `model`'s workspace for batches of up to `rows` points.
  @inlinable
  init(for model: Model, rows: Int) {
    self.model = model.makeWorkspace(rows: rows)
    conditions = Matrix(rows: 0, columns: 0)
  }

  /// Makes `conditions` hold `condition` on each of `rows` rows (a no-op when it already does,
  /// so repeated calls allocate nothing).
  @inlinable
  mutating func broadcast(_ condition: [Model.Scalar], rows: Int) {
    if conditions.rows == rows && conditions.columns == condition.count {
      if rows == 0 { return }
      var same = true
      for j in condition.indices where conditions[0, j] != condition[j] { same = false }
      if same { return }
    }
    conditions.resize(rows: rows, columns: condition.count)
    for i in 0..<rows { conditions.setRow(i, to: condition) }
  }
}

extension ConditionBuffer: Sendable where Model.Workspace: Sendable {}

/// A ``ScoreModel`` that binds one condition `c` to a conditional model: `s(x, t) = s(x, t, c)`
/// for every sample, so any sampler draws from `p(x | c)`.
///
/// ```swift
/// let given = ConditionedScore(model: conditional, condition: [0.7])
/// let sampler = EulerMaruyama(process: sde, score: given)
/// ```
public struct ConditionedScore<Model: ConditionalScoreModel>: WorkspaceScoreModel {
  /// The precision.
  public typealias Scalar = Model.Scalar
  /// The condition repeated on every row, and the model's workspace.
  public typealias Workspace = ConditionBuffer<Model>

  /// The conditional model.
  public let model: Model
  /// The condition `c`, `conditionDimension` entries.
  public let condition: [Scalar]

  /// Binds `condition` to `model`.
  @inlinable
  public init(model: Model, condition: [Scalar]) {
    precondition(
      condition.count == model.conditionDimension,
      "ConditionedScore: a condition of \(condition.count) entries for a model of \(model.conditionDimension)"
    )
    self.model = model
    self.condition = condition
  }

  /// Scratch memory for batches of up to `rows` points.
  @inlinable
  public func makeWorkspace(rows: Int) -> Workspace {
    Workspace(for: model, rows: rows)
  }

  /// `s(xᵢ, t, c)` for every row.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    workspace.broadcast(condition, rows: x.rows)
    model.score(x, at: t, condition: workspace.conditions, into: &out, workspace: &workspace.model)
  }
}
