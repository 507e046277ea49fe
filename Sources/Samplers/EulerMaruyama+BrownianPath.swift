public import DiffusionProcesses
public import LinearAlgebra

extension EulerMaruyama: PathwiseReverseSDESolver {
  /// One Euler–Maruyama step driven by a given Brownian increment `ΔB ~ N(0, |h|)`,
  ///
  ///     x₁ = x₀ + [f(x₀, t₀) − g(t₀)²·s(x₀, t₀)]·h + g(t₀)·ΔB,
  ///
  /// the step of ``step(_:from:to:noise:workspace:)`` with `√|h|·z` replaced by `ΔB`. The time
  /// integral is not used. For additive noise (`g` independent of `x`, as for every forward
  /// process here) Euler–Maruyama coincides with Milstein's scheme and has **strong order 1**
  /// (Kloeden & Platen 1992, §10.2 and §10.3), not the ½ of multiplicative noise.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, brownian: Matrix<Scalar>,
    timeIntegral: Matrix<Scalar>, workspace: inout Workspace
  ) {
    requirePathwiseStep(x, from: t0, to: t1, brownian: brownian, timeIntegral: nil, in: "EulerMaruyama")
    workspace.evaluateDrift(reverse, at: x, time: t0)
    x.scale(by: 1, adding: workspace.drift, scaledBy: t1 - t0, brownian, scaledBy: reverse.diffusion(at: t0))
  }
}
