public import DiffusionProcesses
public import LinearAlgebra

/// How to integrate the probability-flow ODE between two times, for encoding, decoding and
/// likelihoods: fixed ``RungeKutta4`` steps on a ``TimeGrid``, or adaptive ``DormandPrince5``
/// steps with a ``PIController``.
///
/// ```swift
/// let fixed = ODEIntegration<Double>.rungeKutta4(steps: 100)
/// let adaptive = ODEIntegration<Double>.adaptive(
///   PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5))
/// ```
public enum ODEIntegration<Scalar: BLASScalar>: Sendable, Hashable {
  /// `steps` RK4 steps (4 evaluations each) spaced by `spacing` (dense near `ε` for every spacing
  /// but uniform), in whichever direction the integration runs.
  case rungeKutta4(steps: Int, spacing: TimeGrid<Scalar>.Spacing = .uniform)
  /// Dormand–Prince 5(4) with step-size control.
  case adaptive(PIController<Scalar>)

  /// Adaptive integration with `rtol = atol = 1e-5` (Song et al. 2021's likelihood tolerance).
  public static var standard: ODEIntegration {
    .adaptive(PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5))
  }

  /// Integrates every row of `x` along `field` from `t0` to `t1` (either direction); the
  /// fixed-step grid is built between the two times with `process`'s noise levels.
  /// - Returns: the statistics (wall time left zero; batches 1).
  @inlinable
  public func integrate<Field: VectorField, Process: GaussianSDE>(
    _ x: inout Matrix<Scalar>, along field: Field, from t0: Scalar, to t1: Scalar, process: Process,
    observer: (Int, Scalar, Matrix<Scalar>) -> Void = { _, _, _ in }
  ) throws(SamplingError) -> SamplingStatistics where Field.Scalar == Scalar, Process.Scalar == Scalar {
    switch self {
    case .rungeKutta4(let steps, let spacing):
      let solver = RungeKutta4(field)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      let down = TimeGrid(
        spacing: spacing, steps: steps, process: process, from: Swift.max(t0, t1), to: Swift.min(t0, t1))
      let grid = t0 > t1 ? down : down.reversed()
      let evaluations = try solver.integrate(&x, over: grid, workspace: &workspace, observer: observer)
      return SamplingStatistics(scoreEvaluations: evaluations, acceptedSteps: steps, batches: 1)
    case .adaptive(let controller):
      let solver = DormandPrince5(field)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      var index = 0
      let stats = try solver.integrate(&x, from: t0, to: t1, controller: controller, workspace: &workspace) {
        t, state in
        observer(index, t, state)
        index += 1
      }
      return SamplingStatistics(
        scoreEvaluations: stats.evaluations, acceptedSteps: stats.acceptedSteps,
        rejectedSteps: stats.rejectedSteps, batches: 1)
    }
  }
}
