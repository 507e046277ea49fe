public import LinearAlgebra

/// The classical fourth-order Runge–Kutta method:
///
///     k₁ = v(x₀, t₀),               k₂ = v(x₀ + (h/2)k₁, t₀ + h/2),
///     k₃ = v(x₀ + (h/2)k₂, t₀ + h/2), k₄ = v(x₀ + h·k₃, t₁),
///     x₁ = x₀ + (h/6)(k₁ + 2k₂ + 2k₃ + k₄),   h = t₁ − t₀.
///
/// Global error `O(h⁴)`; four field evaluations per step. The fixed-step choice for
/// probability-flow sampling and for likelihoods on a grid.
///
/// ```swift
/// let rk4 = RungeKutta4(ProbabilityFlowODE(forward: sde, score: model))
/// let nfe = try rk4.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 50, process: sde),
///                             workspace: &workspace)   // 200
/// ```
public struct RungeKutta4<Field: VectorField>: ODESolver {
  /// The precision.
  public typealias Scalar = Field.Scalar

  /// The right-hand side.
  public let field: Field

  /// The stage slopes, the stage state and the field's scratch memory.
  public struct Workspace {
    @usableFromInline var field: Field.Workspace
    @usableFromInline var k: Matrix<Scalar>
    @usableFromInline var sum: Matrix<Scalar>
    @usableFromInline var stage: Matrix<Scalar>

    @inlinable
    init(field: Field.Workspace, rows: Int, columns: Int) {
      self.field = field
      k = Matrix(rows: rows, columns: columns)
      sum = Matrix(rows: rows, columns: columns)
      stage = Matrix(rows: rows, columns: columns)
    }
  }

  /// RK4 for `field`.
  @inlinable
  public init(_ field: Field) { self.field = field }

  /// 4.
  @inlinable public var order: Int { 4 }
  /// 4.
  @inlinable public var evaluationsPerStep: Int { 4 }

  /// Scratch memory for states of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(field: field.makeWorkspace(rows: rows, columns: columns), rows: rows, columns: columns)
  }

  /// One RK4 step from `t0` to `t1` (the slopes are accumulated in one buffer, so the step keeps
  /// three state-sized buffers).
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace: inout Workspace) {
    let h = t1 - t0
    let mid = t0 + h / 2
    workspace.k.ensureShape(of: x)
    workspace.sum.ensureShape(of: x)
    workspace.stage.ensureShape(of: x)
    field.velocity(x, at: t0, into: &workspace.k, workspace: &workspace.field)
    workspace.sum.assign(workspace.k)
    workspace.stage.assign(x, adding: workspace.k, scaledBy: h / 2)
    field.velocity(workspace.stage, at: mid, into: &workspace.k, workspace: &workspace.field)
    workspace.sum.add(workspace.k, scaledBy: 2)
    workspace.stage.assign(x, adding: workspace.k, scaledBy: h / 2)
    field.velocity(workspace.stage, at: mid, into: &workspace.k, workspace: &workspace.field)
    workspace.sum.add(workspace.k, scaledBy: 2)
    workspace.stage.assign(x, adding: workspace.k, scaledBy: h)
    field.velocity(workspace.stage, at: t1, into: &workspace.k, workspace: &workspace.field)
    workspace.sum.add(workspace.k)
    x.add(workspace.sum, scaledBy: h / 6)
  }
}

extension RungeKutta4.Workspace: Sendable where Field.Workspace: Sendable {}
