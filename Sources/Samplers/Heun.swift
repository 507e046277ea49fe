public import LinearAlgebra

/// Heun's method (the explicit trapezoidal rule), order 2:
///
///     k₁ = v(x₀, t₀),   k₂ = v(x₀ + h·k₁, t₁),   x₁ = x₀ + (h/2)(k₁ + k₂),   h = t₁ − t₀.
///
/// Karras et al. (2022, Alg. 1) found it the best cost/accuracy trade-off among second-order
/// solvers of the probability-flow ODE. Two field evaluations per step.
///
/// ```swift
/// let heun = Heun(ProbabilityFlowODE(forward: sde, score: model))
/// let nfe = try heun.integrate(&x, over: grid, workspace: &workspace)   // 2 per step
/// ```
public struct Heun<Field: VectorField>: ODESolver {
  /// The precision.
  public typealias Scalar = Field.Scalar

  /// The right-hand side.
  public let field: Field

  /// The two slopes, the predicted state and the field's scratch memory.
  public struct Workspace {
    @usableFromInline var field: Field.Workspace
    @usableFromInline var k1: Matrix<Scalar>
    @usableFromInline var k2: Matrix<Scalar>
    @usableFromInline var predicted: Matrix<Scalar>

    @inlinable
    init(field: Field.Workspace, rows: Int, columns: Int) {
      self.field = field
      k1 = Matrix(rows: rows, columns: columns)
      k2 = Matrix(rows: rows, columns: columns)
      predicted = Matrix(rows: rows, columns: columns)
    }
  }

  /// Heun's method for `field`.
  @inlinable
  public init(_ field: Field) { self.field = field }

  /// 2.
  @inlinable public var order: Int { 2 }
  /// 2.
  @inlinable public var evaluationsPerStep: Int { 2 }

  /// Scratch memory for states of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(field: field.makeWorkspace(rows: rows, columns: columns), rows: rows, columns: columns)
  }

  /// One Heun step from `t0` to `t1`.
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace: inout Workspace) {
    let h = t1 - t0
    workspace.k1.ensureShape(of: x)
    workspace.k2.ensureShape(of: x)
    workspace.predicted.ensureShape(of: x)
    field.velocity(x, at: t0, into: &workspace.k1, workspace: &workspace.field)
    workspace.predicted.assign(x, adding: workspace.k1, scaledBy: h)
    field.velocity(workspace.predicted, at: t1, into: &workspace.k2, workspace: &workspace.field)
    x.scale(by: 1, adding: workspace.k1, scaledBy: h / 2, workspace.k2, scaledBy: h / 2)
  }
}

extension Heun.Workspace: Sendable where Field.Workspace: Sendable {}
