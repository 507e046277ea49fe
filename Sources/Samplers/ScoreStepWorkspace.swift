public import DiffusionProcesses
public import LinearAlgebra

/// The scratch memory of a step that evaluates the score once and may draw one Gaussian per
/// entry: the model's workspace, the score `s(x, t)` and the noise `z`. Shared by
/// ``GaussianReverseStep`` (ancestral and reverse-diffusion steps), ``LangevinCorrector`` and
/// ``TweedieDenoiser``; made once per batch shape, after which nothing is allocated.
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
