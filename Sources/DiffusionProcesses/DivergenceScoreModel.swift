public import LinearAlgebra

/// A ``ScoreModel`` that also gives derivatives of its score, for exact likelihoods through the
/// probability-flow ODE (Song et al. 2021, appendix D.2: `d log p_t(x(t))/dt = −∇ₓ·ṽ(x, t)`).
///
/// ``scoreAndDivergence(_:at:into:divergence:workspace:)`` gives the exact trace
/// `∇ₓ·s = tr ∂s/∂x` (closed forms such as ``GaussianScore``);
/// ``scoreAndVectorJacobianProduct(_:at:probe:into:vjp:workspace:)`` gives `vᵀ ∂s/∂x` for the
/// Skilling–Hutchinson estimator `tr J ≈ E[εᵀ J ε]` (Grathwohl et al. 2019, FFJORD), which is
/// what a network with reverse-mode backprop can afford.
///
/// ```swift
/// var divergence = [Double](repeating: 0, count: x.rows)
/// oracle.scoreAndDivergence(x, at: t, into: &s, divergence: &divergence, workspace: &ws)
/// ```
public protocol DivergenceScoreModel<Scalar>: ScoreModel {
  /// Writes `s(xᵢ, t)` into row `i` of `out` and the divergence `∇ₓ·s(xᵢ, t) = tr ∂s/∂x` into
  /// `divergence[i]` (`divergence.count == x.rows`).
  func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Workspace)

  /// Writes `s(xᵢ, t)` into row `i` of `out` and, for each row, the vector-Jacobian product
  /// `vᵢᵀ ∂s(xᵢ, t)/∂x` into row `i` of `vjp`, where `vᵢ` is row `i` of `probe` (Hutchinson
  /// probes). All four matrices have the shape of `x`.
  func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Workspace)
}
