public import DiffusionProcesses
public import LinearAlgebra

/// A reverse step that is linear in the state, the score and the noise,
///
///     x₁ = a·x₀ + b·s(x₀, t₀) + c·z + offset,   z ~ N(0, I),
///
/// so a sampler is just the rule for its ``ReverseStepCoefficients`` from `t₀` down to `t₁`: one
/// score evaluation and one pass over the batch per step, written once here. Conformers:
/// ``GaussianReverseStep`` (``AncestralSampler``, ``ReverseDiffusionPredictor``), ``DDIM`` and
/// ``EulerAncestral``. A new first-order sampler of this family needs only
/// ``coefficients(from:to:)``:
///
/// ```swift
/// struct Halfway<Process: GaussianSDE, Model: ScoreModel>: LinearReverseStep
/// where Process.Scalar == Model.Scalar {
///   let process: Process, model: Model
///   init(process: Process, score model: Model) { (self.process, self.model) = (process, model) }
///   func coefficients(from t0: Process.Scalar, to t1: Process.Scalar) -> ReverseStepCoefficients<Scalar> {
///     let (a, b, g) = process.transition(from: t1, to: t0)
///     return ReverseStepCoefficients(state: 2 - a, score: g * g / 2, noise: 0, offset: -b)
///   }
/// }
/// ```
public protocol LinearReverseStep: ReverseSDESolver, ScoreStepping
where Workspace == ScoreStepWorkspace<Model> {
  /// `(a, b, c, offset)` of the step from `t0` to `t1 < t0`.
  func coefficients(from t0: Process.Scalar, to t1: Process.Scalar) -> ReverseStepCoefficients<Process.Scalar>
}

extension LinearReverseStep {
  /// 1.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// `x ← a·x + b·s(x, t₀) + c·z + offset` with ``coefficients(from:to:)`` from `t0` to `t1 < t0`.
  @inlinable
  public func step(
    _ x: inout Matrix<Process.Scalar>, from t0: Process.Scalar, to t1: Process.Scalar,
    noise: inout RowStreams,
    workspace: inout ScoreStepWorkspace<Model>
  ) {
    precondition(t1 < t0, "\(Self.self) steps backwards in time, got \(t0) → \(t1)")
    coefficients(from: t0, to: t1).apply(to: &x, at: t0, model: model, noise: &noise, workspace: &workspace)
  }
}

extension ReverseStepCoefficients {
  /// `x ← a·x + b·s(x, t) + c·z + offset`: evaluates the score in `workspace` and, when `c ≠ 0`,
  /// draws row `i`'s `z` from `noise`'s stream `i`. The one pass of every
  /// ``LinearReverseStep``.
  @inlinable
  public func apply<Model: ScoreModel>(
    to x: inout Matrix<Scalar>, at t: Scalar, model: Model, noise: inout RowStreams,
    workspace: inout ScoreStepWorkspace<Model>
  ) where Model.Scalar == Scalar {
    guard self.noise != 0 else {
      applyWithoutNoise(to: &x, at: t, model: model, workspace: &workspace)
      return
    }
    workspace.evaluate(model, at: x, time: t)
    workspace.drawNoise(like: x, from: &noise)
    x.scale(by: state, adding: workspace.score, scaledBy: score, workspace.noise, scaledBy: self.noise)
    addOffset(to: &x)
  }

  /// `x ← a·x + b·s(x, t) + offset`, the step's mean (`c` is not read): evaluates the score in
  /// `workspace` and draws nothing.
  @inlinable
  public func applyWithoutNoise<Model: ScoreModel>(
    to x: inout Matrix<Scalar>, at t: Scalar, model: Model, workspace: inout ScoreStepWorkspace<Model>
  ) where Model.Scalar == Scalar {
    workspace.evaluate(model, at: x, time: t)
    x.scale(by: state, adding: workspace.score, scaledBy: score)
    addOffset(to: &x)
  }

  @inlinable
  func addOffset(to x: inout Matrix<Scalar>) {
    let offset = self.offset
    if offset != 0 { x.apply { $0 + offset } }
  }
}
