public import DiffusionProcesses
public import LinearAlgebra

/// Tweedie's estimate as a reverse-step rule: the noiseless step to `t = 0` whose state is the
/// posterior mean of the clean data given a point at time `t₀` (Efron 2011; Song et al. 2021 and
/// Jolicoeur-Martineau et al. 2021 use it to remove the noise left at `t = ε`):
///
///     E[x₀ | x_{t₀} = x] = (x − shift(t₀) + std(t₀)²·s(x, t₀)) / scale(t₀),
///
/// that is `a = 1/scale`, `b = std²/scale`, `c = 0`, `offset = −shift/scale`, whatever `t₁`.
///
/// ```swift
/// let c = TweedieRule.coefficients(of: VPSDE<Double>(), from: 1e-3, to: 0)
/// ```
public enum TweedieRule: ReverseStepRule {
  /// Tweedie's coefficients at `t0 > 0` (`t1` plays no part).
  @inlinable
  public static func coefficients<Process: GaussianSDE>(
    of process: Process, from t0: Process.Scalar, to t1: Process.Scalar
  ) -> ReverseStepCoefficients<Process.Scalar> {
    precondition(t0 > 0, "TweedieDenoiser needs t > 0, got \(t0)")
    let (scale, std) = process.marginal(at: t0)
    let inverse = 1 / scale
    return ReverseStepCoefficients(
      state: inverse, score: std * std * inverse, noise: 0, offset: -process.marginalShift(at: t0) * inverse)
  }
}

/// The final denoising step, ``TweedieRule``'s step: every row replaced by its Tweedie estimate
/// of the clean data. One score evaluation.
///
/// ```swift
/// let denoiser = TweedieDenoiser(process: sde, score: model)
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)
/// denoiser.denoise(&x, at: sde.smallTimeCutoff, workspace: &workspace)
/// ```
public typealias TweedieDenoiser<Process: GaussianSDE, Model: ScoreModel> =
  GaussianReverseStep<Process, Model, TweedieRule> where Process.Scalar == Model.Scalar

extension GaussianReverseStep where Rule == TweedieRule {
  /// Replaces every row of `x` by its Tweedie estimate of `x₀` at time `t > 0`.
  @inlinable
  public func denoise(_ x: inout Matrix<Scalar>, at t: Scalar, workspace: inout Workspace) {
    coefficients(from: t, to: 0).applyWithoutNoise(to: &x, at: t, model: model, workspace: &workspace)
  }
}
