public import LinearAlgebra

/// A one-step (or multistep) solver for `dx/dt = v(x, t)` on a batch of states: a Runge–Kutta
/// method over a ``VectorField`` (``ExplicitRungeKutta``) or an exponential integrator that
/// reads the score directly (``DPMSolver``). After diffrax (Kidger 2021): the state goes in and out explicitly,
/// the solver's stages live in a ``Workspace`` made once, and every solver has the same calling
/// shape, `step(&x, from: t0, to: t1, workspace: &workspace)`, for either direction of time.
///
/// ```swift
/// let solver = RungeKutta4(ProbabilityFlowODE(process: sde, score: oracle))
/// var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
/// let grid = TimeGrid(spacing: .uniform, steps: 100, process: sde)
/// let evaluations = try solver.integrate(&x, over: grid, workspace: &workspace)
/// ```
///
/// Solvers here: ``Euler`` (order 1), ``Heun`` (2), ``RungeKutta4`` (4), ``DormandPrince5`` (5,
/// with an embedded error estimate for adaptive steps,
/// ``ExplicitRungeKutta/integrate(_:from:to:controller:workspace:observer:)``), all one
/// ``ExplicitRungeKutta`` over their ``ButcherTableau``, and the exponential integrator
/// ``DPMSolver`` for Gaussian SDEs.
public protocol ODESolver<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Stages, history and the field's workspace, made once per batch shape.
  associatedtype Workspace

  /// The classical order of accuracy `p`: the global error is `O(hᵖ)`.
  var order: Int { get }

  /// Evaluations of the field per step (the NFE of a step).
  var evaluationsPerStep: Int { get }

  /// Scratch memory for states of `rows × columns`.
  func makeWorkspace(rows: Int, columns: Int) -> Workspace

  /// Resets any history kept between steps (multistep methods) before integrating over `grid`.
  /// The default does nothing.
  func prepare(_ workspace: inout Workspace, for grid: TimeGrid<Scalar>)

  /// Advances every row of `x` from `t0` to `t1` (either direction). Allocates nothing.
  func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace: inout Workspace)
}

extension ODESolver {
  /// No history to reset.
  @inlinable
  public func prepare(_ workspace: inout Workspace, for grid: TimeGrid<Scalar>) {}

  /// Integrates every row of `x` over the steps of `grid` and returns the number of field
  /// evaluations (per row of the batch, the NFE).
  ///
  /// - Parameters:
  ///   - x: the states at `grid.start`, replaced by the states at `grid.end`.
  ///   - grid: the step times.
  ///   - workspace: made by ``makeWorkspace(rows:columns:)`` for `x`'s shape.
  ///   - observer: called after every step with its index, its end time and the state.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` as soon as a state holds NaN or infinity.
  @inlinable
  public func integrate(
    _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, workspace: inout Workspace,
    observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> Int {
    prepare(&workspace, for: grid)
    for i in 0..<grid.steps {
      step(&x, from: grid.times[i], to: grid.times[i + 1], workspace: &workspace)
      guard x.isFinite else { throw .nonFinite(step: i, time: Double(grid.times[i + 1])) }
      observer(i, grid.times[i + 1], x)
    }
    return grid.steps * evaluationsPerStep
  }
}
