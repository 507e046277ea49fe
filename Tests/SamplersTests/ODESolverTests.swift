import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// 64 prior draws pushed through the PF-ODE of the Gaussian data from T = 1 to ε with `solver`
/// on a uniform grid of `steps`, against the closed-form flow: the largest absolute error.
func flowError<Solver: ODESolver>(
  _ solver: Solver, steps: Int, spacing: TimeGrid<Double>.Spacing = .uniform, sde: some GaussianSDE<Double>
) throws -> Double where Solver.Scalar == Double {
  var rng = Xoshiro256(seed: 11)
  let x0 = Matrix<Double>.randomNormal(rows: 64, columns: 2, using: &rng)
  let grid = TimeGrid(spacing: spacing, steps: steps, process: sde)
  let exact = exactGaussianFlow(
    sde, mean: GaussianData.mean, covariance: GaussianData.covariance, x0, from: grid.start, to: grid.end)
  var x = x0
  var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
  let evaluations = try solver.integrate(&x, over: grid, workspace: &workspace)
  #expect(evaluations == steps * solver.evaluationsPerStep)
  return maxAbsDifference(x, exact)
}

/// Empirical orders on the VP probability flow of Gaussian data (exact reference, so the
/// asymptotic range is visible down to 1e-8): Euler 1, Heun 2, RK4 4, each within ±0.3 over four
/// step counts (measured: 0.97, 1.95, 4.2).
@Test(arguments: [
  ("euler", 1.0, [40, 80, 160, 320]), ("heun", 2.0, [20, 40, 80, 160]), ("rk4", 4.0, [20, 40, 80, 160]),
])
func probabilityFlowConvergenceOrder(solver name: String, order: Double, steps: [Int]) throws {
  let sde = VPSDE<Double>()
  let flow = ProbabilityFlowODE(process: sde, score: GaussianData.oracle(sde))
  let errors = try steps.map { n -> Double in
    switch name {
    case "euler": return try flowError(Euler(flow), steps: n, sde: sde)
    case "heun": return try flowError(Heun(flow), steps: n, sde: sde)
    default: return try flowError(RungeKutta4(flow), steps: n, sde: sde)
    }
  }
  let slope = logLogSlope(steps.map { 1 / Double($0) }, errors)
  #expect(abs(slope - order) < 0.3, "\(name): errors \(errors), slope \(slope)")
  #expect(errors.last! < errors.first!)
}

/// DPM-Solver++ on a log-SNR grid (exact final steps, so the order is clean): order 1 converges
/// like h, order 2 like h² (measured 0.95 and 1.95).
@Test(arguments: [1, 2])
func dpmSolverConvergenceOrder(order: Int) throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let steps = [20, 40, 80, 160]
  let errors = try steps.map {
    try flowError(
      DPMSolver(process: sde, score: oracle, order: order, lowerOrderFinal: false), steps: $0,
      spacing: .logSNR,
      sde: sde)
  }
  let slope = logLogSlope(steps.map { 1 / Double($0) }, errors)
  #expect(abs(slope - Double(order)) < 0.3, "order \(order): errors \(errors), slope \(slope)")
}

/// A third-order DPM-Solver++ run beats the second-order one at equal NFE, and with the
/// lower-order final step it stays accurate on a grid to ε = 1e-5 (which is what the final step
/// is for; VE as well as VP).
@Test(arguments: Process.allCases)
func dpmSolverAccuracyOnEveryProcess(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let second = try flowError(
      DPMSolver(process: sde, score: oracle, order: 2), steps: 40, spacing: .logSNR, sde: sde)
    let third = try flowError(
      DPMSolver(process: sde, score: oracle, order: 3), steps: 40, spacing: .logSNR, sde: sde)
    #expect(second < 0.03 && third < 0.02, "\(process): order 2 error \(second), order 3 error \(third)")
    #expect(third < second, "\(process): order 3 error \(third) vs order 2 error \(second)")
  }
  try process.run { try check($0) }
}

/// Adaptive Dormand–Prince on the exact flow: the global error follows the tolerance (below
/// 10·tol for tol = 1e-6, 1e-8, 1e-10 on every process), the last step lands on ε, and the NFE
/// is 2 + 6 × (accepted + rejected) (first stage and Hairer's initial-step probe, then six new
/// stages per attempt thanks to first-same-as-last).
@Test(arguments: Process.allCases)
func adaptiveErrorFollowsTolerance(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let flow = ProbabilityFlowODE(process: sde, score: GaussianData.oracle(sde))
    var rng = Xoshiro256(seed: 12)
    let x0 = Matrix<Double>.randomNormal(rows: 64, columns: 2, using: &rng)
    let exact = exactGaussianFlow(
      sde, mean: GaussianData.mean, covariance: GaussianData.covariance, x0, from: 1, to: 1e-5)
    var previous = Double.infinity
    for tolerance in [1e-6, 1e-8, 1e-10] {
      let solver = DormandPrince5(flow)
      var workspace = solver.makeWorkspace(rows: 64, columns: 2)
      var x = x0
      var last = 0.0
      let stats = try solver.integrate(
        &x, from: 1, to: 1e-5,
        controller: PIController(relativeTolerance: tolerance, absoluteTolerance: tolerance),
        workspace: &workspace
      ) { _, t, _ in last = t }
      let error = maxAbsDifference(x, exact)
      #expect(error < 10 * tolerance, "\(process) tol \(tolerance): error \(error)")
      #expect(error < previous)
      #expect(last == 1e-5)
      #expect(stats.scoreEvaluations == 2 + 6 * (stats.acceptedSteps + stats.rejectedSteps))
      previous = error
    }
  }
  try process.run { try check($0) }
}

/// The PI controller's formulas: `h_new/h = clamp(0.9·err^{−0.14}·prev^{0.08}, 0.2, 10)` after an
/// accepted step, `max(0.2, 0.9·err^{−0.14})` (at most 1) after a rejection, and the error norm is
/// the root mean square of `e/(atol + rtol·max(|x₀|, |x₁|))` over the whole batch, or (worst
/// row) the largest per-row root mean square.
@Test func piControllerFormulas() {
  var c = PIController<Double>(relativeTolerance: 1e-3, absoluteTolerance: 1e-6)
  #expect(
    abs(
      c.acceptedFactor(error: 0.5, previousError: 0.2) - 0.9 * Double.pow(0.5, -0.14) * Double.pow(0.2, 0.08))
      < 1e-15)
  #expect(c.acceptedFactor(error: 1e-30, previousError: 1) == 10)
  #expect(c.acceptedFactor(error: 0, previousError: 1e-4) == 10)
  #expect(abs(c.rejectedFactor(error: 3) - 0.9 * Double.pow(3, -0.14)) < 1e-15)
  #expect(c.rejectedFactor(error: 1e12) == 0.2)
  #expect(c.rejectedFactor(error: .nan) == 0.2)
  let e = Matrix<Double>([[1e-3, 0], [3e-3, 4e-3]])
  let x0 = Matrix<Double>([[1, 0], [2, -1]])
  let x1 = Matrix<Double>([[2, 0], [1, -2]])
  // Row 0: (1e-3/(1e-6 + 2e-3))² and 0; row 1: (3e-3/(1e-6 + 2e-3))², (4e-3/(1e-6 + 2e-3))².
  let s = 1e-6 + 2e-3
  let squares = [(1e-3 / s) * (1e-3 / s), 0, (3e-3 / s) * (3e-3 / s), (4e-3 / s) * (4e-3 / s)]
  let all = (squares.reduce(0, +) / 4).squareRoot()
  let row0 = ((squares[0] + squares[1]) / 2).squareRoot()
  let row1 = ((squares[2] + squares[3]) / 2).squareRoot()
  #expect(c.norm == .rootMeanSquare)
  #expect(abs(c.errorNorm(e, start: x0, end: x1) - all) < 1e-12)
  c.norm = .worstRow
  #expect(abs(c.errorNorm(e, start: x0, end: x1) - max(row0, row1)) < 1e-12)
  var bad = e
  bad[1, 0] = .nan
  #expect(c.errorNorm(bad, start: x0, end: x1).isNaN)
  c.norm = .rootMeanSquare
  #expect(c.errorNorm(bad, start: x0, end: x1).isNaN)
}

/// A first step of NaN or 0 is a programmer error, refused with a message that names it when the
/// controller is made and, when set afterwards, when an integration starts: before, the SDE
/// solver trapped converting NaN to an integer and the ODE solvers spun to the step budget. The
/// sign is ignored, and ∞ tries the whole interval first.
@Test func piControllerRefusesAnInitialStepThatIsNotAStep() async throws {
  let sde = VPSDE<Double>()
  let message = "initialStepSize must be a step length"
  for kind in ["init", "init zero", "sde", "ode"] {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [kind = kind as String] in
      let sde = VPSDE<Double>()
      var controller = PIController<Double>(relativeTolerance: 1e-3, absoluteTolerance: 1e-3)
      switch kind {
      case "init":
        controller = PIController(relativeTolerance: 1, absoluteTolerance: 1, initialStepSize: .nan)
      case "init zero":
        controller = PIController(relativeTolerance: 1, absoluteTolerance: 1, initialStepSize: 0)
      default: controller.initialStepSize = .nan
      }
      let options = SamplingOptions<Double>(
        kind: kind == "sde" ? .adaptiveSDE(controller) : .probabilityFlow(.adaptive(controller)), seed: 1)
      _ = try? Sampler(process: sde, score: GaussianData.oracle(sde), options: options).sample(
        count: 4, dimension: 2)
    }
    let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(stderr.contains(message), "\(kind): \(stderr.suffix(300))")
  }
  // Only the magnitude counts: a negative first step samples exactly as its positive twin.
  var samples: [Matrix<Double>] = []
  for first in [0.01, -0.01, .infinity] {
    var controller = PIController<Double>.jolicoeurMartineau()
    controller.initialStepSize = first
    let options = SamplingOptions<Double>(kind: .adaptiveSDE(controller), seed: 5)
    samples.append(
      try Sampler(process: sde, score: GaussianData.oracle(sde), options: options).sample(
        count: 8, dimension: 2
      )
      .samples)
  }
  #expect(samples[0] == samples[1])
  #expect(samples[2].isFinite)
}

/// `dx/dt = λ·x` with a known solution, integrated forwards and backwards in time by every
/// fixed-step solver and by the adaptive one (custom vector field, Float and Double).
struct ExponentialField<Scalar: BLASScalar>: VectorField {
  let rate: Scalar
  func makeWorkspace(rows: Int, columns: Int) {}
  func velocity(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Void) {
    out.assign(x)
    out *= rate
  }
}

@Test(arguments: [false, true])
func solversIntegrateBothDirections(forwards: Bool) throws {
  func check<Scalar: BLASScalar>(_: Scalar.Type, tolerance: Scalar) throws {
    let field = ExponentialField<Scalar>(rate: -1.5)
    let (t0, t1): (Scalar, Scalar) = forwards ? (0, 2) : (2, 0)
    let x0 = Matrix<Scalar>([[1, -2], [0.5, 3]])
    let exact = x0 * Scalar.exp(-1.5 * (t1 - t0))
    let grid = TimeGrid<Scalar>.uniform(steps: 400, from: t0, to: t1)
    for (name, result) in [
      ("euler", try run(Euler(field), x0, grid)), ("heun", try run(Heun(field), x0, grid)),
      ("rk4", try run(RungeKutta4(field), x0, grid)), ("dopri5", try run(DormandPrince5(field), x0, grid)),
    ] {
      // Euler's relative error is about λ²·h·|t₁ − t₀|/2 = 0.011, Heun's (λh)²·|λ(t₁ − t₀)|/6 ≈ 3e-5.
      let bound: Scalar = name == "euler" ? 0.02 : (name == "heun" ? 1e-4 : tolerance)
      #expect(relativeDistance(result, exact) < bound, "\(Scalar.self) \(name) \(forwards)")
    }
    let adaptive = DormandPrince5(field)
    var workspace = adaptive.makeWorkspace(rows: 2, columns: 2)
    var x = x0
    _ = try adaptive.integrate(
      &x, from: t0, to: t1, controller: PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5),
      workspace: &workspace)
    #expect(relativeDistance(x, exact) < 1e-4, "\(Scalar.self) adaptive \(forwards)")
  }
  try check(Double.self, tolerance: 1e-9)
  try check(Float.self, tolerance: 2e-5)
}

func run<Solver: ODESolver>(_ solver: Solver, _ x0: Matrix<Solver.Scalar>, _ grid: TimeGrid<Solver.Scalar>)
  throws
  -> Matrix<Solver.Scalar>
{
  var x = x0
  var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
  _ = try solver.integrate(&x, over: grid, workspace: &workspace)
  return x
}
