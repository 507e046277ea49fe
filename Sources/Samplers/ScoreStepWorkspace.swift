public import DiffusionProcesses
public import LinearAlgebra

/// The scratch memory of a step that evaluates the score once and may draw one Gaussian per
/// entry: the model's workspace, the score `s(x, t)` and the noise `z`. Shared by
/// ``GaussianReverseStep`` (ancestral and reverse-diffusion steps), ``LangevinCorrector``,
/// ``TweedieDenoiser`` and ``SymmetricSplittingSampler``; made once per batch shape, after which
/// nothing is allocated.
///
/// ```swift
/// var workspace = ScoreStepWorkspace(model: model, rows: n, columns: d)
/// workspace.evaluate(model, at: x, time: 0.5)   // workspace.score = s(x, 0.5)
/// workspace.drawNoise(like: x, from: &noise)   // workspace.noise = z
/// ```
public struct ScoreStepWorkspace<Model: ScoreModel> {
  /// The precision.
  public typealias Scalar = Model.Scalar

  /// The model's scratch memory.
  @usableFromInline var model: Model.Workspace
  /// `s(x, t)` after ``evaluate(_:at:time:)``.
  @usableFromInline var score: Matrix<Scalar>
  /// `z ~ N(0, I)` after ``drawNoise(like:from:)``.
  @usableFromInline var noise: Matrix<Scalar>

  /// Scratch memory for batches of `rows × columns`.
  /// - Parameters:
  ///   - model: the score model whose workspace is made.
  ///   - rows: the batch's rows.
  ///   - columns: the dimension.
  @inlinable
  public init(model: Model, rows: Int, columns: Int) {
    self.model = model.makeWorkspace(rows: rows)
    score = Matrix(rows: rows, columns: columns)
    noise = Matrix(rows: rows, columns: columns)
  }

  /// Writes `s(x, t)` into the score buffer (resized to `x`'s shape if needed).
  @inlinable
  public mutating func evaluate(_ model: Model, at x: Matrix<Scalar>, time t: Scalar) {
    score.ensureShape(of: x)
    model.score(x, at: t, into: &score, workspace: &self.model)
  }

  /// Fills the noise buffer (resized to `x`'s shape if needed) with row `i`'s next standard
  /// normal variates from `noise`'s stream `i`.
  @inlinable
  public mutating func drawNoise(like x: Matrix<Scalar>, from streams: inout RowStreams) {
    noise.ensureShape(of: x)
    streams.fillNormal(&noise)
  }
}

extension ScoreStepWorkspace: Sendable where Model.Workspace: Sendable {}

/// A step built from a forward ``SDE`` and a ``ScoreModel`` whose scratch memory is a
/// ``ScoreStepWorkspace`` (the score, the noise and the model's workspace), made here: every
/// ``ScoreStepping`` step and ``SymmetricSplittingSampler``.
///
/// ```swift
/// let sscs = SymmetricSplittingSampler(process: cld, score: model)
/// var workspace = sscs.makeWorkspace(rows: n, columns: 4)   // any ScoreStepWorkspaceProviding
/// ```
public protocol ScoreStepWorkspaceProviding<Process, Model>: ScoreComposition {}

extension ScoreStepWorkspaceProviding {
  /// The score, the noise and the model's scratch memory.
  public typealias Workspace = ScoreStepWorkspace<Model>

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> ScoreStepWorkspace<Model> {
    ScoreStepWorkspace(model: model, rows: rows, columns: columns)
  }
}

/// A step built from a forward ``GaussianSDE`` and a ``ScoreModel`` that evaluates the score in a
/// ``ScoreStepWorkspace``: ``GaussianReverseStep`` (`x₁ = a·x₀ + b·s + c·z + offset`),
/// ``LangevinCorrector`` (`x ← x + ε·s + √(2ε)·z`) and ``TweedieDenoiser``
/// (`x̂₀ = (x − shift + std²·s)/scale`). They share the scratch memory written here.
///
/// ```swift
/// let denoiser = TweedieDenoiser(process: sde, score: model)
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)   // any ScoreStepping
/// ```
public protocol ScoreStepping<Process, Model>: ScoreStepWorkspaceProviding where Process: GaussianSDE {
  /// The step for `process` with the score `model` (and default settings, if it has any).
  init(process: Process, score model: Model)
}

extension ScoreStepping {
  /// The step for `forward` with the score `model`.
  @available(*, deprecated, renamed: "init(process:score:)")
  @inlinable
  public init(forward: Process, score model: Model) {
    self.init(process: forward, score: model)
  }
}
