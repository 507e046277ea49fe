public import LinearAlgebra

/// Scratch memory of the score-corrected drifts of ``ReverseSDE`` and ``ProbabilityFlowODE``:
/// the model's workspace and a buffer for the forward drift, resized on first use to the
/// batch's shape.
public struct ScoreDriftWorkspace<Model: ScoreModel> {
  /// The model's own scratch memory.
  public var model: Model.Workspace
  /// The forward drift `f(x, t)` (and, for a matrix diffusion, the score before it is
  /// multiplied by `L Lᵀ`).
  public var forwardDrift: Matrix<Model.Scalar>
  /// Scratch for the matrix-diffusion paths (``SDE/noiseCovariance`` not `nil`); empty until
  /// first used.
  @usableFromInline var scratch: Matrix<Model.Scalar>

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  init(model: Model, rows: Int, columns: Int) {
    self.model = model.makeWorkspace(rows: rows)
    self.forwardDrift = Matrix(rows: rows, columns: columns)
    self.scratch = Matrix(rows: 0, columns: 0)
  }
}

extension ScoreDriftWorkspace: Sendable where Model.Workspace: Sendable {}

/// A value composed of a forward ``SDE`` and a ``ScoreModel`` `s(x, t) ≈ ∇ₓ log p_t(x)`: the
/// score-driven processes (``ScoreDrivenProcess``) and the samplers built on a score.
///
/// ```swift
/// let reverse = ReverseSDE(process: VPSDE<Double>(), score: oracle)
/// let (sde, model) = (reverse.process, reverse.model)   // any ScoreComposition
/// ```
public protocol ScoreComposition<Process, Model>: Sendable {
  /// The forward process.
  associatedtype Process: SDE
  /// The score model.
  associatedtype Model: ScoreModel where Model.Scalar == Process.Scalar

  /// The forward (noising) process.
  var process: Process { get }
  /// The score model `s(x, t) ≈ ∇ₓ log p_t(x)` (score parameterisation).
  var model: Model { get }
}

extension ScoreComposition {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process (the name before `process:` was the one label for it).
  @available(*, deprecated, renamed: "process")
  @inlinable
  public var forward: Process { process }
}

/// A process assembled from a forward ``SDE`` and a ``ScoreModel`` whose drift is
/// `f(x, t) − λ·g(t)²·s(x, t)`: the ``ReverseSDE`` (`λ = 1`) and the ``ProbabilityFlowODE``
/// (`λ = ½`), both the ``ScoreCorrectedProcess`` of their `λ`. They share the workspace and the
/// end time written here.
///
/// ```swift
/// let flow = ProbabilityFlowODE(process: VPSDE<Double>(), score: oracle)
/// var workspace = flow.makeWorkspace(rows: n, columns: d)      // any ScoreDrivenProcess
/// ```
public protocol ScoreDrivenProcess<Process, Model>: ScoreComposition {
  /// `λ` in `f − λ·g²·s`.
  static var scoreWeight: Process.Scalar { get }
}

extension ScoreDrivenProcess {
  /// Scratch memory: the model's workspace and a buffer for the forward drift.
  public typealias Workspace = ScoreDriftWorkspace<Model>

  /// The forward process's end time `T`, where reverse integration starts.
  @inlinable
  public var endTime: Process.Scalar { process.endTime }

  /// Scratch memory for batches of `rows × columns`: the model's workspace and a buffer for the
  /// forward drift.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> ScoreDriftWorkspace<Model> {
    ScoreDriftWorkspace(model: model, rows: rows, columns: columns)
  }
}

extension SDE {
  /// Writes `f(xᵢ, t) − λ·G(t)G(t)ᵀ·s(xᵢ, t)` into row `i` of `out`: the reverse-SDE drift for
  /// `λ = 1`, the probability-flow velocity for `λ = ½`. `G Gᵀ = g(t)²·Q` with
  /// ``SDE/noiseCovariance`` `Q` (`I` when `nil`, the scalar path). Allocates nothing once
  /// `workspace` has the batch's shape.
  @inlinable
  func scoreCorrectedDrift<Model: ScoreModel>(
    _ x: Matrix<Scalar>, at t: Scalar, score model: Model, weight lambda: Scalar,
    into out: inout Matrix<Scalar>,
    workspace: inout ScoreDriftWorkspace<Model>, caller: @autoclosure () -> String
  ) where Model.Scalar == Scalar {
    precondition(
      out.hasShape(of: x),
      "\(caller()): input \(x.shapeDescription) but output \(out.shapeDescription)")
    if workspace.forwardDrift.rows != x.rows || workspace.forwardDrift.columns != x.columns {
      workspace.forwardDrift.resize(rows: x.rows, columns: x.columns)
    }
    if let q = noiseCovariance {
      // Score into the drift buffer, Q·sᵢ (rows: S Q, Q symmetric) into `out`, then the drift.
      model.score(x, at: t, into: &workspace.forwardDrift, workspace: &workspace.model)
      out.formProduct(workspace.forwardDrift, q)
    } else {
      model.score(x, at: t, into: &out, workspace: &workspace.model)
    }
    drift(x, at: t, into: &workspace.forwardDrift)
    let g = diffusion(at: t)
    out.scale(by: -lambda * g * g, adding: workspace.forwardDrift)
  }
}
