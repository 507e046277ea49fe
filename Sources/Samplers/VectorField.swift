public import DiffusionProcesses
public import LinearAlgebra

/// The right-hand side `dx/dt = v(x, t)` of an ODE on a batch of states (rows are samples): what
/// an ``ODESolver`` integrates.
///
/// The ``ProbabilityFlowODE`` is one (its velocity `f − ½g²s` costs one score evaluation); the
/// likelihood's augmented flow ``ProbabilityFlowWithDivergence`` is another. A field makes its
/// scratch memory once with ``makeWorkspace(rows:columns:)``, after which
/// ``velocity(_:at:into:workspace:)`` allocates nothing.
///
/// ```swift
/// let flow = ProbabilityFlowODE(process: VPSDE<Double>(), score: oracle)
/// var workspace = flow.makeWorkspace(rows: x.rows, columns: x.columns)
/// flow.velocity(x, at: 0.5, into: &v, workspace: &workspace)
/// ```
public protocol VectorField<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Scratch memory reused across evaluations.
  associatedtype Workspace

  /// Scratch memory for states of `rows × columns`.
  func makeWorkspace(rows: Int, columns: Int) -> Workspace

  /// Writes `v(xᵢ, t)` into row `i` of `out`, which has the shape of `x`.
  func velocity(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace)
}

/// The probability-flow ODE `dx/dt = f(x, t) − ½g(t)²·s(x, t)` is a vector field: one score
/// evaluation per velocity.
extension ScoreCorrectedProcess: VectorField where Weight == ProbabilityFlowWeight {}
