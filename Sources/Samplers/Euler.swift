public import LinearAlgebra

/// The explicit Euler method, order 1: `x₁ = x₀ + h·v(x₀, t₀)`, `h = t₁ − t₀`.
///
/// On the probability-flow ODE this is the deterministic sampler of Song et al. (2021,
/// appendix D.3) at its simplest; its global error is `O(h)`. One field evaluation per step.
///
/// ```swift
/// let euler = Euler(ProbabilityFlowODE(forward: sde, score: model))
/// var workspace = euler.makeWorkspace(rows: n, columns: d)
/// euler.step(&x, from: 1, to: 0.99, workspace: &workspace)
/// ```
public struct Euler<Field: VectorField>: ODESolver {
  /// The precision.
  public typealias Scalar = Field.Scalar

  /// The right-hand side.
  public let field: Field

  /// The slope and the field's scratch memory.
  public struct Workspace {
    @usableFromInline var field: Field.Workspace
    @usableFromInline var slope: Matrix<Scalar>

    @inlinable
    init(field: Field.Workspace, slope: Matrix<Scalar>) {
      self.field = field
      self.slope = slope
    }
  }

  /// Euler's method for `field`.
  @inlinable
  public init(_ field: Field) { self.field = field }

  /// 1.
  @inlinable public var order: Int { 1 }
  /// 1.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// Scratch memory for states of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(
      field: field.makeWorkspace(rows: rows, columns: columns), slope: Matrix(rows: rows, columns: columns))
  }

  /// `x ← x + (t₁ − t₀)·v(x, t₀)`.
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace: inout Workspace) {
    workspace.slope.ensureShape(of: x)
    field.velocity(x, at: t0, into: &workspace.slope, workspace: &workspace.field)
    x.add(workspace.slope, scaledBy: t1 - t0)
  }
}

extension Euler.Workspace: Sendable where Field.Workspace: Sendable {}
