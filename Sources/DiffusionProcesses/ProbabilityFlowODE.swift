public import LinearAlgebra

/// The probability-flow ODE of a forward ``SDE`` (Song et al. 2021, eq. 13):
///
///     dx/dt = v(x, t) = f(x, t) − ½g(t)²·s(x, t),
///
/// whose trajectories carry `p_0` to `p_T` with the same marginals as the SDE, so integrating
/// it from the prior at `T` back to `ε` samples the data deterministically, and the
/// instantaneous change of variables `d log p_t(x(t))/dt = −∇ₓ·v` gives exact likelihoods
/// (appendix D.2). `s` is the **score** given by `model`; this is the ``ScoreCorrectedProcess``
/// with `λ = ½`.
///
/// ```swift
/// let flow = ProbabilityFlowODE(process: VPSDE<Double>(), score: oracle)
/// var workspace = flow.makeWorkspace(rows: n, columns: d)
/// flow.velocity(x, at: t, into: &v, workspace: &workspace)     // no allocation
/// ```
public typealias ProbabilityFlowODE<Process: SDE, Model: ScoreModel> = ScoreCorrectedProcess<
  Process, Model, ProbabilityFlowWeight
>
where Process.Scalar == Model.Scalar

extension ScoreCorrectedProcess where Weight == ProbabilityFlowWeight {
  /// Writes `v(xᵢ, t) = f(xᵢ, t) − ½g(t)²·s(xᵢ, t)` into row `i` of `out` (the shape of `x`).
  /// Allocates nothing once `workspace` has the batch's shape.
  @inlinable
  public func velocity(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    drift(x, at: t, into: &out, workspace: &workspace)
  }

  /// The velocity as a new matrix (convenient; allocates).
  @inlinable
  public func velocity(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> { drift(x, at: t) }
}

extension ScoreCorrectedProcess
where Weight == ProbabilityFlowWeight, Process: GaussianSDE, Model: DivergenceScoreModel {
  /// The velocity and its exact divergence, for likelihoods (Song et al. 2021, eq. 39):
  /// with the affine drift `f = a(t)·x + b(t)` (``GaussianSDE/linearDrift(at:)``),
  ///
  ///     ∇ₓ·v(xᵢ, t) = d·a(t) − ½g(t)²·∇ₓ·s(xᵢ, t).
  ///
  /// - Parameters:
  ///   - out: the velocity, the shape of `x`.
  ///   - divergence: `x.rows` entries, overwritten with `∇ₓ·v(xᵢ, t)`.
  @inlinable
  public func velocityAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Workspace
  ) {
    precondition(
      out.hasShape(of: x),
      "ProbabilityFlowODE.velocityAndDivergence: input \(x.shapeDescription) but output \(out.shapeDescription)"
    )
    model.scoreAndDivergence(x, at: t, into: &out, divergence: &divergence, workspace: &workspace.model)
    let (a, b, c) = affineVelocity(at: t)
    out.scale(by: c, adding: x, scaledBy: a, offset: b)
    let driftDivergence = Scalar(x.columns) * a
    divergence.withUnsafeMutableBufferPointer { dv in
      for i in dv.indices { dv[i] = driftDivergence + c * dv[i] }
    }
  }

  /// The velocity and, per row, the vector-Jacobian product `vᵢᵀ ∂v(xᵢ, t)/∂x =
  /// a(t)·vᵢ − ½g(t)²·vᵢᵀ ∂s/∂x` with the probe rows `vᵢ` (for Hutchinson's estimator
  /// `∇ₓ·v ≈ εᵀ(∂v/∂x)ε`).
  @inlinable
  public func velocityAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    precondition(
      out.hasShape(of: x) && vjp.hasShape(of: x)
        && probe.hasShape(of: x),
      "ProbabilityFlowODE.velocityAndVectorJacobianProduct: input \(x.shapeDescription), probe "
        + "\(probe.shapeDescription), output \(out.shapeDescription), vjp \(vjp.shapeDescription)")
    model.scoreAndVectorJacobianProduct(
      x, at: t, probe: probe, into: &out, vjp: &vjp, workspace: &workspace.model)
    let (a, b, c) = affineVelocity(at: t)
    out.scale(by: c, adding: x, scaledBy: a, offset: b)
    vjp.scale(by: c, adding: probe, scaledBy: a)
  }

  /// The velocity `v = c·s + a·x + b` as `(a(t), b(t), c(t) = −½g(t)²)`, from the affine drift.
  @inlinable
  func affineVelocity(at t: Scalar) -> (a: Scalar, b: Scalar, c: Scalar) {
    let (a, b) = process.linearDrift(at: t)
    let g = process.diffusion(at: t)
    return (a, b, -g * g / 2)
  }
}
