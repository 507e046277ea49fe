public import LinearAlgebra

/// A ``ReverseSDESolver`` whose step can also be driven by given Brownian increments — the pair
/// `(ΔB, I₍₁,₀₎)` of a step read from a ``BrownianPaths`` — instead of fresh draws from the row
/// streams. Driving two solvers, or one solver at `h` and `h/2`, with the same paths is how
/// strong (pathwise) convergence is measured (Kloeden & Platen 1992, §9.3 and §10.3; diffrax's
/// `test_sde1.py`).
///
/// For the reverse-time SDE `dx = [f − g²s] dt + g dW̄` integrated from `t0` down to `t1`, the
/// increments are those of the path read from `t0` towards `t1`
/// (``BrownianPaths/increments(from:to:brownian:timeIntegral:)``): `ΔB ~ N(0, |h|)` and
/// `I₍₁,₀₎ = ∫₀^{|h|} B(u) du`.
///
/// ```swift
/// var paths = BrownianPaths(seed: 1, rows: 0..<n, dimension: d, over: Double(grid.end)...Double(grid.start))
/// _ = try solver.integrate(&x, over: grid, along: &paths, workspace: &workspace)
/// ```
public protocol PathwiseReverseSDESolver<Scalar>: ReverseSDESolver {
  /// Advances every row of `x` from `t0` to `t1 < t0` with the Brownian increment `brownian`
  /// (`ΔB`, the shape of `x`) and its time integral `timeIntegral` (`I₍₁,₀₎`; solvers of strong
  /// order ≤ 1 for additive noise ignore it). Allocates nothing once the workspace has the shape.
  func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, brownian: Matrix<Scalar>,
    timeIntegral: Matrix<Scalar>, workspace: inout Workspace)
}

extension PathwiseReverseSDESolver {
  /// Runs the solver over every step of `grid`, each driven by the increments of `paths` over
  /// that step, and returns the score evaluations per row (the NFE).
  ///
  /// - Parameters:
  ///   - x: the particles at `grid.start`, replaced by the particles at `grid.end`.
  ///   - grid: decreasing step times inside the paths' interval.
  ///   - paths: one Brownian path per row of `x`.
  ///   - workspace: from ``ReverseSDESolver/makeWorkspace(rows:columns:)``.
  ///   - observer: called after every step with its index, its end time and the state.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` as soon as a state holds NaN or infinity.
  @inlinable
  public func integrate(
    _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, along paths: inout BrownianPaths,
    workspace: inout Workspace, observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> Int {
    precondition(
      paths.count == x.rows && paths.dimension == x.columns,
      "integrate: \(paths.count) paths of dimension \(paths.dimension) for a batch of \(x.shapeDescription)")
    precondition(grid.end < grid.start, "A reverse-time sampler needs a decreasing grid, got \(grid.times)")
    var brownian = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    var timeIntegral = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    for i in 0..<grid.steps {
      let (t0, t1) = (grid.times[i], grid.times[i + 1])
      paths.increments(from: Double(t0), to: Double(t1), brownian: &brownian, timeIntegral: &timeIntegral)
      step(&x, from: t0, to: t1, brownian: brownian, timeIntegral: timeIntegral, workspace: &workspace)
      guard x.isFinite else { throw .nonFinite(step: i, time: Double(t1)) }
      observer(i, t1, x)
    }
    return grid.steps * evaluationsPerStep
  }
}
