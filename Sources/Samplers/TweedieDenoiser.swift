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
/// let denoiser = TweedieDenoiser(process: sde, score: model)
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)
/// denoiser.denoise(&x, at: sde.smallTimeCutoff, workspace: &workspace)
/// ```
public struct TweedieDenoiser<Process: GaussianSDE, Model: ScoreModel>: ScoreStepping
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model

  /// A denoiser for `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    self.process = process
    self.model = model
  }

  /// Replaces every row of `x` by its Tweedie estimate of `x₀` at time `t > 0`.
  @inlinable
  public func denoise(_ x: inout Matrix<Scalar>, at t: Scalar, workspace: inout Workspace) {
    precondition(t > 0, "TweedieDenoiser needs t > 0, got \(t)")
    workspace.evaluate(model, at: x, time: t)
    let (scale, std) = process.marginal(at: t)
    let shift = process.marginalShift(at: t)
    x.add(workspace.score, scaledBy: std * std)
    let inverse = 1 / scale
    let offset = -shift * inverse
    x.apply { $0 * inverse + offset }
  }
}
