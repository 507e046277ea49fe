import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// The step counts of the moment tests: 400 for the reverse-SDE samplers (whose O(h) bias is then
/// below 0.015 in any covariance entry, about one standard error, measured with 200 000 samples:
/// ancestral −0.014, EM +0.004, PC +0.007), 1000 probability-flow Euler steps (at 400 its O(h)
/// bias on VE, 0.07 in a covariance entry, exceeds the bound), 100 Heun steps, 50 RK4 steps,
/// 40 DPM-Solver++ steps (bias < 0.01), 100 SRA1 steps and the adaptive reverse-SDE solver at its
/// default tolerance (`ε_rel = 0.05`, `ε_abs = 0.0078`; 57–111 accepted steps): measured with
/// 40 000 samples, every mean and covariance entry of these two within 0.008 of the truth on VP,
/// sub-VP and VE, below one standard error of the 3000-sample checks.
func momentTestOptions<Scalar: BLASScalar>(
  _ kind: SamplerName, stepFraction: Int = 1, as _: Scalar.Type = Double.self
) -> SamplingOptions<Scalar> {
  let steps: Int
  switch kind {
  case .eulerMaruyama, .ancestral, .predictorCorrector: steps = 400
  case .euler: steps = 1000
  case .heun: steps = 100
  case .probabilityFlow: steps = 50
  case .dpmSolver: steps = 40
  case .edmHeun: steps = EDMMomentSteps.edmHeun
  case .eulerAncestral: steps = EDMMomentSteps.eulerAncestral
  case .ddim: steps = EDMMomentSteps.ddim
  case .dpmSolverSDE: steps = EDMMomentSteps.dpmSolverSDE
  case .sra, .symmetricSplitting: steps = 100
  case .adaptive, .adaptiveSDE: steps = 0
  }
  var options = SamplingOptions<Scalar>(kind: SamplerKind(kind, steps: steps / stepFraction), seed: 2024)
  if kind == .dpmSolver { options.kind = .dpmSolver(steps: steps / stepFraction, order: 3) }
  return options
}

/// Every sampler, on every process, with the exact score of the Gaussian data: the sample mean
/// and covariance of 3000 samples match `N(μ, Σ)` within 4.5 standard errors (mean: √(Σⱼⱼ/n) ≈
/// 0.013; covariance: √((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/n) ≈ 0.010–0.013), the discretisation biases being below
/// one standard error at these step counts (see `momentTestOptions`).
@Test(arguments: SamplerName.allCases.filter { !$0.needsPhaseSpace }, Process.allCases)
func samplerReproducesGaussianMoments(kind: SamplerName, process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let sampler = Sampler(process: sde, score: GaussianData.oracle(sde), options: momentTestOptions(kind))
    let result = try sampler.sample(count: 3000, dimension: 2)
    expectMoments(
      result.samples, mean: GaussianData.mean, covariance: GaussianData.covariance, "\(kind) on \(process)")
    let steps = sampler.options.kind.steps ?? 0
    // The reverse-SDE kinds end with Tweedie's step by default: one more evaluation.
    let perStep: [SamplerName: Int] = [
      .predictorCorrector: 2, .heun: 2, .edmHeun: 2, .probabilityFlow: 4, .sra: 2,
    ]
    let expectedNFE = (perStep[kind] ?? 1) * steps + (kind.isStochastic ? 1 : 0)
    if kind != .adaptive && kind != .adaptiveSDE {
      #expect(result.statistics.scoreEvaluations == expectedNFE)
    }
  }
  try process.run { try check($0) }
}

/// The reverse-diffusion predictor alone (the predictor of PC) and PC with score_sde's
/// batch-averaged Langevin norms: the same moment check on VP and VE.
@Test(arguments: [Process.vp, .ve])
func predictorAndBatchNormCorrectorReproduceMoments(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let grid = TimeGrid(spacing: .uniform, steps: 400, process: sde)
    let predictor = ReverseDiffusionPredictor(process: sde, score: oracle)
    let pc = PredictorCorrector(
      predictor: predictor,
      corrector: LangevinCorrector(
        process: sde, score: oracle, signalToNoiseRatio: 0.16, stepSize: .batchNorms))
    #expect(pc.evaluationsPerStep == 2)
    for (name, x) in [
      ("reverse diffusion", try sample(predictor, sde, grid)), ("PC, batch norms", try sample(pc, sde, grid)),
    ] {
      expectMoments(x, mean: GaussianData.mean, covariance: GaussianData.covariance, "\(name) on \(process)")
    }
  }
  try process.run { try check($0) }
}

/// 3000 samples of a reverse-SDE sampler from the prior with seed 7.
func sample<Solver: ReverseSDESolver, P: GaussianSDE>(_ solver: Solver, _ sde: P, _ grid: TimeGrid<Double>)
  throws
  -> Matrix<Double> where Solver.Scalar == Double, P.Scalar == Double
{
  var noise = RowStreams(seed: 7, count: 3000)
  var x = samplePrior(of: sde, dimension: 2, streams: &noise)
  var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
  _ = try solver.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
  return x
}

/// The Langevin corrector alone (noise-level step size, `r = 0.3`), 200 moves at t = 0.3 started
/// from the prior, converges to `p_t = N(m_t, Σ_t)`: a wrong sign, step or noise amplitude in the
/// move would leave another distribution.
@Test func langevinCorrectorLeavesMarginalInvariant() {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let t = 0.3
  let corrector = LangevinCorrector(process: sde, score: oracle, signalToNoiseRatio: 0.3, iterations: 200)
  // Start from a wrong distribution (the prior) and let the corrector alone converge to p_t.
  var noise = RowStreams(seed: 3, count: 3000)
  var x = samplePrior(of: sde, dimension: 2, streams: &noise)
  var workspace = corrector.makeWorkspace(rows: 3000, columns: 2)
  corrector.correct(&x, at: t, stepTo: t - 0.001, noise: &noise, workspace: &workspace)
  // Langevin with step ε has a stationary covariance Σ_t(I − εΣ_t⁻¹/2)⁻¹: a bias of ε/2 ≈ 0.005
  // here (ε = 2α·r²·std² ≈ 0.05), stated as the allowance.
  let std = sde.marginal(at: t).standardDeviation
  let epsilon = 2 * 0.3 * 0.3 * std * std
  expectMoments(
    x, mean: oracle.marginalMean(at: t), covariance: oracle.marginalCovariance(at: t), bias: epsilon,
    "Langevin at t = \(t)")
}

/// Every sampler on the well-separated mixture (VP and VE): each mixture weight is recovered
/// within 3 standard errors `√(w(1 − w)/n)` (n = 2000), classifying samples by their largest
/// responsibility at t = 0. Mode weights are settled early in the reverse process, so half the
/// steps of the moment tests suffice.
@Test(arguments: SamplerName.allCases.filter { !$0.needsPhaseSpace }, [Process.vp, .ve])
func samplerRecoversMixtureWeights(kind: SamplerName, process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = MixtureData.oracle(sde)
    let n = 2000
    var options = momentTestOptions(kind, stepFraction: 2)
    options.seed = 99
    let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: n, dimension: 2)
      .samples
    let responsibilities = oracle.responsibilities(samples, at: 0)
    var counts = [Double](repeating: 0, count: MixtureData.weights.count)
    for i in 0..<n {
      let row = responsibilities.row(i)
      counts[row.firstIndex(of: row.max()!)!] += 1
    }
    for (k, w) in MixtureData.weights.enumerated() {
      let se = (w * (1 - w) / Double(n)).squareRoot()
      #expect(
        abs(counts[k] / Double(n) - w) < 3 * se,
        "\(kind) on \(process): weight \(k) = \(counts[k] / Double(n)), expected \(w) ± \(3 * se)")
    }
  }
  try process.run { try check($0) }
}
