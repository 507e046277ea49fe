public import DiffusionProcesses
public import LinearAlgebra

/// How the divergence `∇ₓ·v` of the probability flow is computed along a likelihood solve.
public enum DivergenceMethod: Sendable, Hashable {
  /// The exact trace, from ``DivergenceScoreModel/scoreAndDivergence(_:at:into:divergence:workspace:)``.
  case exact
  /// The Skilling–Hutchinson estimator `∇ₓ·v ≈ εᵀ(∂v/∂x)ε` (Skilling 1989; Hutchinson 1990;
  /// Grathwohl et al. 2019, FFJORD): one probe `ε` per sample, drawn once from that sample's
  /// global stream of `seed` and kept for the whole solve (so the integrated estimate is unbiased
  /// and the ODE stays smooth for adaptive steps).
  case hutchinson(probe: HutchinsonProbe = .rademacher, seed: UInt64 = 0)
}

/// The distribution of Hutchinson probes; both have `E[εεᵀ] = I`.
public enum HutchinsonProbe: Sendable, Hashable, CaseIterable {
  /// Independent ±1 entries: the smallest variance, `2Σ_{i≠j} Jᵢⱼ²`-type (Hutchinson 1990).
  case rademacher
  /// Independent standard normal entries: variance `2‖J_sym‖_F²`.
  case gaussian

  /// Probes for the global rows `rows` of `seed`, `rows.count × dimension`; row `i` comes from
  /// stream `rows.lowerBound + i` only, so a sample's probe does not depend on its batch.
  @inlinable
  public func probes<Scalar: BLASScalar>(rows: Range<Int>, dimension: Int, seed: UInt64) -> Matrix<Scalar> {
    var streams = RowStreams(seed: seed, rows: rows)
    var probes = Matrix<Scalar>(rows: rows.count, columns: dimension)
    switch self {
    case .gaussian:
      streams.fillNormal(&probes)
    case .rademacher:
      streams.fillUniform(&probes)
      probes.apply { $0 < Scalar(1) / 2 ? -1 : 1 }
    }
    return probes
  }
}

/// The probability flow augmented with the running integral of its divergence, the vector field
/// of the instantaneous change of variables (Chen et al. 2018; Song et al. 2021, appendix D.2):
///
///     d/dt [x, ℓ] = [v(x, t), ∇ₓ·v(x, t)],   v = f − ½g²s,
///
/// so that with `ℓ(ε) = 0`, `log p_ε(x(ε)) = log p_T(x(T)) + ℓ(T)`. States are `n × (d + 1)`: the
/// `d` coordinates and `ℓ` in the last column. The divergence is exact (`probes == nil`) or
/// Hutchinson's `εᵢᵀ(∂v/∂x)εᵢ` with the fixed probe rows `εᵢ`; either costs one score evaluation
/// (with its divergence or vector-Jacobian product) per velocity.
///
/// ```swift
/// let field = ProbabilityFlowWithDivergence(flow: ProbabilityFlowODE(process: sde, score: oracle))
/// var state = Matrix<Double>(rows: n, columns: d + 1)   // data in the first d columns, ℓ = 0
/// ```
public struct ProbabilityFlowWithDivergence<Forward: LinearGaussianSDE, Model: DivergenceScoreModel>:
  VectorField
where Forward.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The probability-flow ODE.
  public let flow: ProbabilityFlowODE<Forward, Model>
  /// Hutchinson probes, `n × d` for a batch of `n`, or `nil` for the exact divergence.
  public let probes: Matrix<Scalar>?

  /// The coordinates, velocity, vector-Jacobian product and divergences of a batch.
  public struct Workspace {
    @usableFromInline var flow: ProbabilityFlowODE<Forward, Model>.Workspace
    @usableFromInline var x: Matrix<Scalar>
    @usableFromInline var velocity: Matrix<Scalar>
    @usableFromInline var vjp: Matrix<Scalar>
    @usableFromInline var divergence: [Scalar]

    @inlinable
    init(flow: ProbabilityFlowODE<Forward, Model>.Workspace, rows: Int, dimension: Int) {
      self.flow = flow
      x = Matrix(rows: rows, columns: dimension)
      velocity = Matrix(rows: rows, columns: dimension)
      vjp = Matrix(rows: rows, columns: dimension)
      divergence = [Scalar](repeating: 0, count: rows)
    }
  }

  /// The augmented flow of `flow`, with Hutchinson `probes` or (by default) the exact divergence.
  @inlinable
  public init(flow: ProbabilityFlowODE<Forward, Model>, probes: Matrix<Scalar>? = nil) {
    self.flow = flow
    self.probes = probes
  }

  /// Scratch memory for augmented states of `rows × columns` (`columns = d + 1`).
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    precondition(columns >= 1, "An augmented state needs at least the ℓ column, got \(columns) columns")
    return Workspace(
      flow: flow.makeWorkspace(rows: rows, columns: columns - 1), rows: rows, dimension: columns - 1)
  }

  /// Writes `[v(xᵢ, t), ∇ₓ·v(xᵢ, t)]` for every augmented row `[xᵢ, ℓᵢ]` of `state`.
  @inlinable
  public func velocity(
    _ state: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace w: inout Workspace
  ) {
    precondition(
      out.hasShape(of: state),
      "ProbabilityFlowWithDivergence: state \(state.shapeDescription) but output \(out.shapeDescription)")
    let n = state.rows
    let d = state.columns - 1
    w.x.ensureShape(rows: n, columns: d)
    w.velocity.ensureShape(rows: n, columns: d)
    if w.divergence.count != n { w.divergence = [Scalar](repeating: 0, count: n) }
    state.withUnsafeBufferPointer { s in
      w.x.withUnsafeMutableBufferPointer { x in
        for i in 0..<n {
          for j in 0..<d { x[i * d + j] = s[i * (d + 1) + j] }
        }
      }
    }
    if let probes {
      precondition(
        probes.rows == n && probes.columns == d,
        "ProbabilityFlowWithDivergence: probes \(probes.shapeDescription) for states of dimension \(d), "
          + "batch \(n)")
      w.vjp.ensureShape(rows: n, columns: d)
      flow.velocityAndVectorJacobianProduct(
        w.x, at: t, probe: probes, into: &w.velocity, vjp: &w.vjp, workspace: &w.flow)
      probes.withUnsafeBufferPointer { p in
        w.vjp.withUnsafeBufferPointer { v in
          for i in 0..<n {
            var sum: Scalar = 0
            for j in (i * d)..<((i + 1) * d) { sum += p[j] * v[j] }
            w.divergence[i] = sum
          }
        }
      }
    } else {
      flow.velocityAndDivergence(w.x, at: t, into: &w.velocity, divergence: &w.divergence, workspace: &w.flow)
    }
    w.velocity.withUnsafeBufferPointer { v in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<n {
          for j in 0..<d { o[i * (d + 1) + j] = v[i * d + j] }
          o[i * (d + 1) + d] = w.divergence[i]
        }
      }
    }
  }
}

extension ProbabilityFlowWithDivergence.Workspace: Sendable where Model.Workspace: Sendable {}
