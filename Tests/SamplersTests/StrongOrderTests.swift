import DiffusionProcesses
import Foundation
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// A forward process with no drift and the time-dependent scalar diffusion `g(t) = 1 + t/2`, and
/// a "score" `s(x, t) = −λ·sin(x)/g(t)²`: its reverse SDE `dx = [f − g²s] dt + g dW̄` is, in the
/// reverse time `τ = 1 − t`,
///
///     dX = −λ·sin(X) dτ + g(1 − τ) dB,
///
/// a nonlinear additive-noise SDE whose noise dominates its drift's curvature (`g² |a''| ≫
/// |a|·a'²`), so the strong error terms of order 1.5 (from `L¹L¹a = g²a''`, Kloeden & Platen 1992,
/// §10.4) are not hidden behind the deterministic `O(h²)` ones.
struct SineDriftProcess: SDE {
  typealias Scalar = Double
  var endTime: Double { 1 }
  func drift(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) { out.fill(with: 0) }
  func diffusion(at t: Double) -> Double { 1 + t / 2 }
  func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G) -> Matrix<Double>
  {
    Matrix.randomNormal(rows: count, columns: dimension, using: &rng)
  }
  func priorLogDensity(_ x: Matrix<Double>) -> [Double] {
    (0..<x.rows).map { i in x.row(i).map { -$0 * $0 / 2 - 0.5 * Double.log(2 * Double.pi) }.reduce(0, +) }
  }
}

/// `s(x, t) = −λ·sin(x)/g(t)²`, λ = 1.
struct SineScore: ScoreModel {
  typealias Scalar = Double
  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    let g = SineDriftProcess().diffusion(at: t)
    out.assign(x)
    out.apply { -Double.sin($0) / (g * g) }
  }
}

/// The terminal states of `solver` from `start` at `T = 1` to `end`, over `steps` uniform steps,
/// each row driven by its Brownian path keyed by `keys` on `[end, 1]`.
func pathwiseSolution<Solver: PathwiseReverseSDESolver>(
  _ solver: Solver, steps: Int, start: Matrix<Double>, keys: [UInt64], end: Double
) throws -> Matrix<Double> where Solver.Scalar == Double {
  let grid = TimeGrid<Double>(times: (0...steps).map { 1 - (1 - end) * Double($0) / Double(steps) })
  var paths = BrownianPaths(keys: keys, dimension: start.columns, over: end...1)
  var x = start
  var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
  _ = try solver.integrate(&x, over: grid, along: &paths, workspace: &workspace)
  return x
}

/// The root-mean-square distance between the rows of `a` and `b`, `(E|a − b|²)^{1/2}`.
func rootMeanSquareDistance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
  (zip(a.elements, b.elements).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.rows)).squareRoot()
}

/// Fitted strong orders of SRA1 and Euler–Maruyama on the reverse SDE of `process` and `score`,
/// from `rows` prior draws to `end`: every solve of a row is driven by the same refined Brownian
/// path, the reference is SRA1 with `referenceSteps` steps on that path, and the mean-square
/// terminal error `(E|x_N − x_ref|²)^{1/2}` is fitted against the step on a log-log scale.
func measureStrongOrders<P: SDE, M: ScoreModel>(
  _ process: P, _ score: M, dimension: Int, rows: Int, end: Double, sraSteps: [Int], emSteps: [Int],
  referenceSteps: Int
) throws -> (sra: (order: Double, errors: [Double]), em: (order: Double, errors: [Double]))
where P.Scalar == Double, M.Scalar == Double {
  var streams = RowStreams(seed: 21, count: rows)
  let start = samplePrior(of: process, dimension: dimension, streams: &streams)
  let keys = BrownianPaths(streams: &streams, dimension: dimension, over: end...1).keys
  let sra = RosslerSRA1(process: process, score: score)
  let em = EulerMaruyama(process: process, score: score)
  let reference = try pathwiseSolution(sra, steps: referenceSteps, start: start, keys: keys, end: end)
  func errors<S: PathwiseReverseSDESolver>(_ solver: S, _ steps: [Int]) throws -> [Double]
  where S.Scalar == Double {
    try steps.map {
      rootMeanSquareDistance(
        try pathwiseSolution(solver, steps: $0, start: start, keys: keys, end: end), reference)
    }
  }
  let (sraErrors, emErrors) = (try errors(sra, sraSteps), try errors(em, emSteps))
  return (
    (logLogSlope(sraSteps.map { 1 / Double($0) }, sraErrors), sraErrors),
    (logLogSlope(emSteps.map { 1 / Double($0) }, emErrors), emErrors)
  )
}

/// Strong (pathwise) order on the sine-drift SDE (``SineDriftProcess``), 400 rows in 1-D, from
/// `t = 1` to 0 on one refined Brownian path per row, reference SRA1 with 2¹² steps: SRA1 over
/// N = 16…128 steps has fitted order 1.5 ± 0.25, and Euler–Maruyama over N = 16…128 has
/// 1 ± 0.25 — its strong order for additive noise, where it coincides with Milstein's scheme
/// (Kloeden & Platen 1992, §10.3), not the ½ of multiplicative noise. Measured: SRA1 1.55,
/// Euler–Maruyama 1.01.
@Test func sraHasStrongOrderThreeHalvesAndEulerMaruyamaOne() throws {
  let (sra, em) = try measureStrongOrders(
    SineDriftProcess(), SineScore(), dimension: 1, rows: 400, end: 0, sraSteps: [16, 32, 64, 128],
    emSteps: [16, 32, 64, 128], referenceSteps: 4096)
  print(
    "sine drift: SRA1 errors \(sra.errors), order \(sra.order); EM errors \(em.errors), order \(em.order)")
  #expect(abs(sra.order - 1.5) < 0.25, "SRA1: errors \(sra.errors), fitted order \(sra.order)")
  #expect(abs(em.order - 1) < 0.25, "Euler–Maruyama: errors \(em.errors), fitted order \(em.order)")
}

/// The same measurement on the reverse VP-SDE (β ∈ [0.1, 20]) with the exact score of a unimodal
/// but non-Gaussian 2-D mixture, from `T = 1` to `ε = 0.01` (200 rows, reference 2¹³ steps).
/// Euler–Maruyama shows order 1.03 (N = 32…256). SRA1 shows 1.83 (N = 32…512): the drift, scaled
/// by β up to 20, makes the deterministic `O(h²)` error of its Ralston drift stages the larger
/// one at these steps, so 1.5 is a lower bound here; the test asks for at least 1.25. A
/// multimodal mixture is a poor strong-order problem: a coarse step moves a few paths near a
/// boundary to the other mode, an `O(1)` error that swamps the mean square. Heavy (~18 s in a
/// debug build): runs with `STRONG_ORDER=1`.
@Test(.enabled(if: ProcessInfo.processInfo.environment["STRONG_ORDER"] != nil))
func strongOrdersOnTheReverseVPSDEOfAMixture() throws {
  let sde = VPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.4, 0.6], means: [[-0.5, 0.3], [0.4, -0.3]], standardDeviations: [0.45, 0.35], process: sde)
  let (sra, em) = try measureStrongOrders(
    sde, oracle, dimension: 2, rows: 200, end: 0.01, sraSteps: [32, 64, 128, 256, 512],
    emSteps: [32, 64, 128, 256], referenceSteps: 8192)
  print(
    "VP mixture: SRA1 errors \(sra.errors), order \(sra.order); EM errors \(em.errors), order \(em.order)")
  #expect(sra.order > 1.25, "SRA1: errors \(sra.errors), fitted order \(sra.order)")
  #expect(abs(em.order - 1) < 0.25, "Euler–Maruyama: errors \(em.errors), fitted order \(em.order)")
}
