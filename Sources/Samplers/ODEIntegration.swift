public import DiffusionProcesses
public import LinearAlgebra

/// How to integrate an ODE such as the probability flow between two times: fixed ``Euler``,
/// ``Heun`` or ``RungeKutta4`` steps on a ``TimeGrid``, or adaptive ``DormandPrince5`` steps with
/// a ``PIController``. The one integration path of sampling
/// (``SamplerKind/probabilityFlow(_:)``), encoding and decoding (``LatentMap``) and likelihoods
/// (``ProbabilityFlowLikelihood``).
///
/// ```swift
/// let fixed = ODEIntegration<Double>.rungeKutta4(steps: 100)
/// let adaptive = ODEIntegration<Double>.adaptive(
///   PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5))
/// ```
public enum ODEIntegration<Scalar: BLASScalar>: Sendable, Hashable {
  /// `steps` Euler steps (order 1, 1 evaluation each) spaced by `spacing`.
  case euler(steps: Int, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// `steps` Heun steps (order 2, 2 evaluations each) spaced by `spacing`.
  case heun(steps: Int, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// `steps` RK4 steps (order 4, 4 evaluations each) spaced by `spacing` (dense near `ε` for
  /// every spacing but uniform), in whichever direction the integration runs.
  case rungeKutta4(steps: Int, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// Dormand–Prince 5(4) with step-size control.
  case adaptive(PIController<Scalar>)

  /// Adaptive integration with `rtol = atol = 1e-5` (Song et al. 2021's likelihood tolerance).
  public static var standard: ODEIntegration {
    .adaptive(PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5))
  }

  /// The same integration with an adaptive controller's error measured by `norm` (fixed steps are
  /// unchanged): ``ProbabilityFlowLikelihood`` holds every row to the tolerance this way.
  ///
  /// ```swift
  /// let perRow = ODEIntegration<Double>.standard.withErrorNorm(.worstRow)
  /// ```
  @inlinable
  public func withErrorNorm(_ norm: PIController<Scalar>.ErrorNorm) -> ODEIntegration {
    guard case .adaptive(var controller) = self else { return self }
    controller.norm = norm
    return .adaptive(controller)
  }

  /// The number of fixed steps, or `nil` for adaptive integration.
  @inlinable
  public var steps: Int? {
    switch self {
    case .euler(let steps, _), .heun(let steps, _), .rungeKutta4(let steps, _): return steps
    case .adaptive: return nil
    }
  }

  /// Integrates every row of `x` along `field` from `t0` to `t1` (either direction); the
  /// fixed-step grid is built between the two times with `process`'s noise levels.
  ///
  /// - Parameters:
  ///   - x: the states at `t0`, replaced by the states at `t1`.
  ///   - field: the right-hand side.
  ///   - t0: the start time.
  ///   - t1: the end time.
  ///   - process: the forward process, for grids spaced by its noise levels.
  ///   - observer: called after every (accepted) step with its index, its end time and the state.
  /// - Returns: the statistics (wall time left zero; batches 1).
  /// - Throws: ``SamplingError`` when a state becomes non-finite or the adaptive solver fails.
  @inlinable
  public func integrate<Field: VectorField, Process: LinearGaussianSDE>(
    _ x: inout Matrix<Scalar>, along field: Field, from t0: Scalar, to t1: Scalar, process: Process,
    observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> SamplingStatistics where Field.Scalar == Scalar, Process.Scalar == Scalar {
    switch self {
    case .euler(let steps, let spacing):
      return try Self.integrate(
        Euler(field), &x, steps: steps, spacing: spacing, from: t0, to: t1, process: process,
        observer: observer)
    case .heun(let steps, let spacing):
      return try Self.integrate(
        Heun(field), &x, steps: steps, spacing: spacing, from: t0, to: t1, process: process,
        observer: observer)
    case .rungeKutta4(let steps, let spacing):
      return try Self.integrate(
        RungeKutta4(field), &x, steps: steps, spacing: spacing, from: t0, to: t1, process: process,
        observer: observer)
    case .adaptive(let controller):
      let solver = DormandPrince5(field)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      return try solver.integrate(
        &x, from: t0, to: t1, controller: controller, workspace: &workspace, observer: observer)
    }
  }

  /// Fixed steps of `solver` on a grid of `spacing` between `t0` and `t1`.
  @inlinable
  static func integrate<Solver: ODESolver, Process: LinearGaussianSDE>(
    _ solver: Solver, _ x: inout Matrix<Scalar>, steps: Int, spacing: TimeGrid<Scalar>.Spacing,
    from t0: Scalar, to t1: Scalar, process: Process, observer: StepObserver<Scalar>
  ) throws(SamplingError) -> SamplingStatistics where Solver.Scalar == Scalar, Process.Scalar == Scalar {
    var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
    let down = TimeGrid(
      spacing: spacing, steps: steps, process: process, from: Swift.max(t0, t1), to: Swift.min(t0, t1))
    let grid = t0 > t1 ? down : down.reversed()
    let evaluations = try solver.integrate(&x, over: grid, workspace: &workspace, observer: observer)
    return SamplingStatistics(scoreEvaluations: evaluations, acceptedSteps: steps, batches: 1)
  }
}
