public import DiffusionProcesses
public import LinearAlgebra

/// Classifier-free guidance (Ho & Salimans 2021, eq. 6 in score form): the guided score
///
///     s̃(x, t) = (1 + w)·s(x, t, c) − w·s(x, t, ∅)
///
/// of a ``ConditionalScoreModel`` with condition `c` and guidance weight `w ≥ 0`. `w = 0` is the
/// conditional score; larger `w` sharpens samples towards regions where `p(c | x)` is large
/// (the score of `p_t(x | c)·p_t(c | x)^w`). A ``ScoreModel``, so any sampler can use it; each
/// evaluation calls the conditional model twice.
///
/// ```swift
/// let guided = ClassifierFreeGuidance(model: conditional, condition: [1, 0, 0], weight: 2)
/// let sampler = DPMSolver(process: sde, score: guided, order: 2)
/// ```
public struct ClassifierFreeGuidance<Model: ConditionalScoreModel>: WorkspaceScoreModel {
  /// The precision.
  public typealias Scalar = Model.Scalar

  /// The conditional model.
  public let model: Model
  /// The condition `c`.
  public let condition: [Scalar]
  /// The guidance weight `w`.
  public let weight: Scalar

  /// The condition, the unconditional score and the model's workspace.
  public struct Workspace {
    @usableFromInline var buffer: ConditionBuffer<Model>
    @usableFromInline var unconditional: Matrix<Scalar>

    @inlinable
    init(buffer: ConditionBuffer<Model>) {
      self.buffer = buffer
      unconditional = Matrix(rows: 0, columns: 0)
    }
  }

  /// Guidance towards `condition` with weight `weight`.
  /// - Parameters:
  ///   - model: the conditional model (its `nil` condition is the unconditional score).
  ///   - condition: `c`, `conditionDimension` entries.
  ///   - weight: `w`, finite (negative values push away from `c`).
  @inlinable
  public init(model: Model, condition: [Scalar], weight: Scalar) {
    precondition(
      condition.count == model.conditionDimension,
      "ClassifierFreeGuidance: a condition of \(condition.count) entries for a model of "
        + "\(model.conditionDimension)")
    precondition(weight.isFinite, "ClassifierFreeGuidance needs a finite weight, got \(weight)")
    self.model = model
    self.condition = condition
    self.weight = weight
  }

  /// Scratch memory for batches of up to `rows` points.
  @inlinable
  public func makeWorkspace(rows: Int) -> Workspace {
    Workspace(buffer: ConditionBuffer(for: model, rows: rows))
  }

  /// `(1 + w)·s(xᵢ, t, c) − w·s(xᵢ, t, ∅)` for every row.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    workspace.buffer.broadcast(condition, rows: x.rows)
    model.score(
      x, at: t, condition: workspace.buffer.conditions, into: &out, workspace: &workspace.buffer.model)
    if weight == 0 { return }
    workspace.unconditional.ensureShape(of: x)
    model.score(x, at: t, condition: nil, into: &workspace.unconditional, workspace: &workspace.buffer.model)
    out.scale(by: 1 + weight, adding: workspace.unconditional, scaledBy: -weight)
  }
}

extension ClassifierFreeGuidance.Workspace: Sendable where Model.Workspace: Sendable {}
