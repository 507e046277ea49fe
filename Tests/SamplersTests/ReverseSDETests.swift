import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// Euler–Maruyama's weak order. For Gaussian data the reverse SDE is linear, so the EM chain's
/// exact mean and variance after each step follow the recursion (written here independently,
/// with the reverse drift `c·x + d`, `c = a(t) + g²/v_t`, `d = b(t) − g²m_t/v_t`, `h < 0`)
///
///     m ← (1 + hc)·m + h·d,   v ← (1 + hc)²·v + g²|h|.
///
/// With 20 000 paths of 1-D data `N(3, 0.1)` on VP and N = 10, 20, 40, 80 uniform steps, the
/// sample mean and variance match the recursion within 4.5 standard errors (so the sampler is EM
/// exactly), and the bias of the mean, `E[x] − 3·scale(ε)` (0.14 … 0.018, ≥ 8 standard errors of
/// 0.0022), falls like `h¹`: fitted slope within 1 ± 0.3.
@Test func eulerMaruyamaHasWeakOrderOne() throws {
  let sde = VPSDE<Double>()
  let (mu, variance) = (3.0, 0.1)
  let oracle = try GaussianScore(mean: [mu], covariance: Matrix([[variance]]), process: sde)
  let em = EulerMaruyama(process: sde, score: oracle)
  let n = 20_000
  let steps = [10, 20, 40, 80]
  var biases: [Double] = []
  for (index, count) in steps.enumerated() {
    let grid = TimeGrid(spacing: .uniform, steps: count, process: sde)
    var noise = RowStreams(seed: 31 + UInt64(index), count: n)
    var x = samplePrior(of: sde, dimension: 1, streams: &noise)
    var workspace = em.makeWorkspace(rows: n, columns: 1)
    _ = try em.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
    var (m, v) = (0.0, 1.0)  // the prior N(0, 1)
    for (t0, t1) in grid.intervals {
      let h = t1 - t0
      let (a, s) = sde.marginal(at: t0)
      let vt = a * a * variance + s * s
      let beta = sde.beta(at: t0)
      let c = -beta / 2 + beta / vt
      let d = -beta * a * mu / vt
      m = (1 + h * c) * m + h * d
      v = (1 + h * c) * (1 + h * c) * v + beta * -h
    }
    let moments = SampleMoments(x.elements)
    #expect(
      abs(moments.mean - m) < 4.5 * (v / Double(n)).squareRoot(), "N = \(count): mean \(moments.mean) vs \(m)"
    )
    #expect(
      abs(moments.variance - v) < 4.5 * v * (2 / Double(n - 1)).squareRoot(),
      "N = \(count): variance \(moments.variance) vs \(v)")
    biases.append(abs(moments.mean - mu * sde.marginal(at: grid.end).scale))
  }
  let slope = logLogSlope(steps.map { 1 / Double($0) }, biases)
  #expect(abs(slope - 1) < 0.3, "biases \(biases), slope \(slope)")
}

/// The same seed gives bit-identical samples whatever the batch split and thread count: batches
/// of 150, 7 and 1, batches of 7 on two threads, and a run continued with `firstRow`, for every
/// fixed-step sampler on the mixture (a nonlinear score computed with BLAS products); the EDM
/// family with settings that draw noise (`batchTestKind`). (The adaptive kinds choose one step
/// size per batch, so their samples agree across batch sizes only to the tolerance.)
@Test(arguments: [
  SamplerName.eulerMaruyama, .predictorCorrector, .ancestral, .dpmSolver, .probabilityFlow, .edmHeun,
  .eulerAncestral, .ddim, .dpmSolverSDE, .sra,
])
func samplesDoNotDependOnBatchSize(kind: SamplerName) throws {
  // 150 rows: enough for 22 batches of 7 (the last one short) and a continued run that starts
  // mid-batch; a batch of 1 runs every step once per row, which a debug build feels.
  let rows = 150
  let sde = VPSDE<Double>()
  let oracle = MixtureData.oracle(sde)
  var options = SamplingOptions<Double>(kind: batchTestKind(kind), seed: 5)
  options.batchSize = rows
  let reference = try Sampler(process: sde, score: oracle, options: options).sample(count: rows, dimension: 2)
  for batch in [7, 1] {
    options.batchSize = batch
    let split = try Sampler(process: sde, score: oracle, options: options).sample(count: rows, dimension: 2)
    #expect(split.samples == reference.samples, "\(kind): batches of \(batch)")
    #expect(split.statistics.batches == (rows + batch - 1) / batch)
    #expect(split.statistics.scoreEvaluations == reference.statistics.scoreEvaluations)
  }
  options.batchSize = 7
  options.threads = 2
  let threaded = try Sampler(process: sde, score: oracle, options: options).sample(count: rows, dimension: 2)
  #expect(threaded.samples == reference.samples, "\(kind): two threads")
  options.threads = 1
  options.batchSize = nil
  let sampler = Sampler(process: sde, score: oracle, options: options)
  let tail = try sampler.sample(count: rows - 90, dimension: 2, firstRow: 90)
  #expect(tail.samples == reference.samples.rows(90..<rows), "\(kind): continued run")
}

/// Samplers are generic over the precision: every kind, in Float and in Double, reproduces the
/// Gaussian moments on VP at the step counts of the moment tests.
@Test(arguments: SamplerName.allCases.filter { !$0.needsPhaseSpace }, [false, true])
func samplersReproduceMomentsInBothPrecisions(kind: SamplerName, single: Bool) throws {
  func check<Scalar: BLASScalar>(_: Scalar.Type) throws {
    let sde = VPSDE<Scalar>()
    let oracle = try GaussianScore(
      mean: GaussianData.mean.map { Scalar($0) },
      covariance: Matrix(rows: 2, columns: 2, elements: GaussianData.covariance.elements.map { Scalar($0) }),
      process: sde)
    let options = momentTestOptions(kind, as: Scalar.self)
    let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: 3000, dimension: 2)
      .samples
    let asDouble = Matrix<Double>(rows: 3000, columns: 2, elements: samples.elements.map { Double($0) })
    expectMoments(
      asDouble, mean: GaussianData.mean, covariance: GaussianData.covariance, "\(kind) in \(Scalar.self)")
  }
  if single { try check(Float.self) } else { try check(Double.self) }
}

extension Array {
  func chunked(_ size: Int) -> [[Element]] {
    stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
  }
}

/// A score model that turns NaN below a time: where the failure starts is reported.
struct FailingScore: ScoreModel {
  let below: Double
  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    out.assign(x)
    out *= t < below ? .nan : -1
  }
}

/// Non-finite states are thrown as `SamplingError.nonFinite` naming the step and its end time:
/// on the uniform 10-step grid the model fails below t = 0.45, so step 6 (from t₆ = 0.4 to t₇) is
/// the first to produce NaN — step 5 for RK4, whose last stage of step 5 is already at t₆. The adaptive solver reports it too, and gives up after `maximumSteps`.
@Test(arguments: [SamplerName.eulerMaruyama, .ancestral, .predictorCorrector, .probabilityFlow, .dpmSolver])
func nonFiniteStatesAreTypedErrors(kind: SamplerName) {
  let sde = VPSDE<Double>()
  let options = SamplingOptions<Double>(
    kind: kind == .dpmSolver ? .dpmSolver(steps: 10, spacing: .uniform) : SamplerKind(kind, steps: 10))
  let sampler = Sampler(process: sde, score: FailingScore(below: 0.45), options: options)
  // Every kind stops at ε = 1e-3 by default.
  let grid = TimeGrid<Double>.uniform(steps: 10, from: 1, to: 1e-3)
  #expect(sampler.grid == grid)
  let step = kind == .probabilityFlow ? 5 : 6
  #expect(throws: SamplingError.nonFinite(step: step, time: grid.times[step + 1])) {
    _ = try sampler.sample(count: 5, dimension: 3)
  }
}

@Test func adaptiveFailuresAreTypedErrors() {
  let sde = VPSDE<Double>()
  let options = SamplingOptions<Double>(kind: .adaptive)
  let failing = Sampler(process: sde, score: FailingScore(below: 0.45), options: options)
  #expect {
    _ = try failing.sample(count: 5, dimension: 3)
  } throws: { error in
    guard case .nonFinite(_, let time) = error as? SamplingError else { return false }
    return time >= 0.45
  }
  let solver = DormandPrince5(ProbabilityFlowODE(process: sde, score: GaussianData.oracle(sde)))
  var workspace = solver.makeWorkspace(rows: 4, columns: 2)
  var x = Matrix<Double>(rows: 4, columns: 2, repeating: 0.5)
  #expect {
    _ = try solver.integrate(
      &x, from: 1, to: 1e-5,
      controller: PIController(relativeTolerance: 1e-12, absoluteTolerance: 1e-12, maximumSteps: 5),
      workspace: &workspace)
  } throws: { error in
    guard case .tooManySteps(5, let time) = error as? SamplingError else { return false }
    return time < 1 && time > 1e-5
  }
  #expect(SamplingError.nonFinite(step: 6, time: 0.3).description.contains("Step 6 (t = 0.3)"))
}
