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
where Weight == ProbabilityFlowWeight, Process: LinearGaussianSDE, Model: DivergenceScoreModel {
  /// The velocity and its exact divergence, for likelihoods (Song et al. 2021, eq. 39): with
  /// the affine drift `f = A(t)x + b(t)` and `G Gᵀ = g(t)²Q`,
  ///
  ///     ∇ₓ·v(xᵢ, t) = tr A(t) − ½g(t)²·tr(Q ∂s/∂x(xᵢ, t)).
  ///
  /// For the scalar diffusion (`Q = I`, every ``GaussianSDE``) the trace is the model's
  /// divergence (one evaluation). For a matrix diffusion (``SDE/noiseCovariance`` set) the
  /// weighted trace `Σⱼ (Q eⱼ)ᵀ (∂s/∂x) eⱼ` takes `d` more vector-Jacobian products (and
  /// allocates their buffers): exact, at `d + 1` evaluations.
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
    if let q = process.noiseCovariance {
      weightedScoreTrace(x, at: t, weight: q, into: &divergence, workspace: &workspace)
      workspace.scratch.ensureShape(of: x)
      workspace.scratch.formProduct(out, q)
      out.assign(workspace.scratch)
    }
    let c = scoreFactor(at: t)
    workspace.forwardDrift.ensureShape(of: x)
    process.drift(x, at: t, into: &workspace.forwardDrift)
    out.scale(by: c, adding: workspace.forwardDrift)
    let driftDivergence = process.driftDivergence(at: t, dimension: x.columns)
    divergence.withUnsafeMutableBufferPointer { dv in
      for i in dv.indices { dv[i] = driftDivergence + c * dv[i] }
    }
  }

  /// The velocity and, per row, the vector-Jacobian product `vᵢᵀ ∂v(xᵢ, t)/∂x =
  /// vᵢᵀA(t) − ½g(t)²·(Q vᵢ)ᵀ ∂s/∂x` with the probe rows `vᵢ` (for Hutchinson's estimator
  /// `∇ₓ·v ≈ εᵀ(∂v/∂x)ε`); one evaluation.
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
    workspace.scratch.ensureShape(of: x)
    if let q = process.noiseCovariance {
      workspace.scratch.formProduct(probe, q)
      model.scoreAndVectorJacobianProduct(
        x, at: t, probe: workspace.scratch, into: &out, vjp: &vjp, workspace: &workspace.model)
      workspace.scratch.formProduct(out, q)
      out.assign(workspace.scratch)
    } else {
      model.scoreAndVectorJacobianProduct(
        x, at: t, probe: probe, into: &out, vjp: &vjp, workspace: &workspace.model)
    }
    let c = scoreFactor(at: t)
    workspace.forwardDrift.ensureShape(of: x)
    process.drift(x, at: t, into: &workspace.forwardDrift)
    out.scale(by: c, adding: workspace.forwardDrift)
    process.driftVectorJacobianProduct(probe, at: t, into: &workspace.scratch)
    vjp.scale(by: c, adding: workspace.scratch)
  }

  /// `c(t) = −½g(t)²`, the factor on `Q·s` in the velocity.
  @inlinable
  func scoreFactor(at t: Scalar) -> Scalar {
    let g = process.diffusion(at: t)
    return -g * g / 2
  }

  /// Overwrites `trace[i]` with `tr(Q ∂s/∂x(xᵢ, t)) = Σⱼ (Q eⱼ)ᵀ (∂s/∂x) eⱼ`: `d` vector-Jacobian
  /// products with every probe row `Q eⱼ`, keeping entry `j` of each.
  @inlinable
  func weightedScoreTrace(
    _ x: Matrix<Scalar>, at t: Scalar, weight q: Matrix<Scalar>, into trace: inout [Scalar],
    workspace: inout Workspace
  ) {
    let (n, d) = (x.rows, x.columns)
    var probe = Matrix<Scalar>(rows: n, columns: d)
    var score = Matrix<Scalar>(rows: n, columns: d)
    var vjp = Matrix<Scalar>(rows: n, columns: d)
    for i in trace.indices { trace[i] = 0 }
    for j in 0..<d {
      let row = q.row(j)
      for i in 0..<n { probe.setRow(i, to: row) }
      model.scoreAndVectorJacobianProduct(
        x, at: t, probe: probe, into: &score, vjp: &vjp, workspace: &workspace.model)
      for i in 0..<n { trace[i] += vjp[i, j] }
    }
  }
}
