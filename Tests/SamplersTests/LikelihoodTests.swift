import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// Data of the likelihood tests: 200 draws of the Gaussian data and of the mixture.
func likelihoodData<P: GaussianSDE>(_ sde: P, mixture: Bool) -> Matrix<Double> where P.Scalar == Double {
  var rng = Xoshiro256(seed: 77)
  return mixture
    ? MixtureData.oracle(sde).sample(count: 200, using: &rng)
    : GaussianData.oracle(sde).sample(count: 200, using: &rng)
}

/// The largest per-point difference between the PF-ODE log-likelihood (adaptive, rtol = atol =
/// 1e-8, exact divergence, the oracle's exact `p_T` at the far end) and the analytic `log p_ε`.
func likelihoodError<P: GaussianSDE, Model: DivergenceScoreModel>(
  _ sde: P, _ oracle: Model, exact: @escaping (Matrix<Double>, Double) -> [Double], data: Matrix<Double>,
  integration: ODEIntegration<Double>
) throws -> (error: Double, result: LikelihoodResult<Double>)
where P.Scalar == Double, Model.Scalar == Double {
  let likelihood = ProbabilityFlowLikelihood(process: sde, score: oracle, integration: integration)
  let result = try likelihood.logLikelihood(of: data) { exact($0, sde.endTime) }
  let reference = exact(data, sde.smallTimeCutoff)
  return (zip(result.logLikelihoods, reference).map { abs($0 - $1) }.max()!, result)
}

/// The instantaneous change of variables with the exact Gaussian and mixture scores gives the
/// analytic log-density `log p_ε(x)` within 1e-3 nats on every point, on every process (measured:
/// below 1e-7, with 170–630 evaluations).
@Test(arguments: Process.allCases, [false, true])
func probabilityFlowLikelihoodIsExact(process: Process, mixture: Bool) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let data = likelihoodData(sde, mixture: mixture)
    let tight = ODEIntegration<Double>.adaptive(
      PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8))
    let (error, result): (Double, LikelihoodResult<Double>)
    if mixture {
      let oracle = MixtureData.oracle(sde)
      (error, result) = try likelihoodError(
        sde, oracle, exact: oracle.logDensity, data: data, integration: tight)
    } else {
      let oracle = GaussianData.oracle(sde)
      (error, result) = try likelihoodError(
        sde, oracle, exact: oracle.logDensity, data: data, integration: tight)
    }
    #expect(error < 1e-3, "\(process), mixture \(mixture): largest error \(error) nats")
    #expect(result.latents.rows == 200 && result.statistics.scoreEvaluations > 0)
    #expect(
      result.logLikelihoods.indices.allSatisfy {
        result.logLikelihoods[$0] == result.priorLogDensities[$0] + result.divergenceIntegrals[$0]
      })
  }
  try process.run { try check($0) }
}

/// At the default tolerance (`rtol = atol = 1e-5`) every point's log-likelihood is within 3e-4
/// nats of the analytic one, Gaussian and mixture data, every process (measured: at most 1e-4;
/// with the batch-wide error norm, which the likelihood replaces by the per-row one, the mixture's
/// worst points were off by 6e-4 to 2.7e-3). Controllers set to the batch-wide norm give the same
/// result, and ``ODEIntegration/withErrorNorm(_:)`` leaves fixed steps alone.
@Test(arguments: Process.allCases)
func defaultToleranceHoldsEveryPoint(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let batchWide = ODEIntegration<Double>.standard.withErrorNorm(.rootMeanSquare)
    let perRow = ODEIntegration<Double>.standard.withErrorNorm(.worstRow)
    #expect(batchWide != perRow)
    for mixture in [false, true] {
      let data = likelihoodData(sde, mixture: mixture)
      let results = try [ODEIntegration<Double>.standard, batchWide, perRow].map { integration in
        if mixture {
          let oracle = MixtureData.oracle(sde)
          return try likelihoodError(
            sde, oracle, exact: oracle.logDensity, data: data, integration: integration)
        }
        let oracle = GaussianData.oracle(sde)
        return try likelihoodError(
          sde, oracle, exact: oracle.logDensity, data: data, integration: integration)
      }
      #expect(
        results[0].error < 3e-4, "\(process), mixture \(mixture): largest error \(results[0].error) nats")
      #expect(results.allSatisfy { $0.result.logLikelihoods == results[0].result.logLikelihoods })
    }
  }
  try process.run { try check($0) }
  let fixed = ODEIntegration<Double>.rungeKutta4(steps: 10)
  #expect(fixed.withErrorNorm(.worstRow) == fixed)
}

/// Fixed RK4 steps are usable for likelihoods too: 100 steps on the Gaussian data (uniform grid
/// from ε to T), within 1e-3 nats.
@Test func rungeKuttaLikelihoodIsAccurate() throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let (error, result) = try likelihoodError(
    sde, oracle, exact: oracle.logDensity, data: likelihoodData(sde, mixture: false),
    integration: .rungeKutta4(steps: 100))
  #expect(error < 1e-3, "largest error \(error)")
  #expect(result.statistics.scoreEvaluations == 400)
}

/// With the default prior `N(0, I)` in place of the exact `p_T` the VP likelihood is off only by
/// the prior mismatch (`scale(1) ≈ 0.0066`, about 0.01 nats per point).
@Test func priorMismatchIsSmall() throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let data = likelihoodData(sde, mixture: false)
  let result = try ProbabilityFlowLikelihood(process: sde, score: oracle).logLikelihood(of: data)
  let exact = oracle.logDensity(data, at: sde.smallTimeCutoff)
  let meanError = zip(result.logLikelihoods, exact).map { $0 - $1 }.reduce(0, +) / 200
  #expect(abs(meanError) < 0.02, "mean error \(meanError)")
  #expect(abs(result.negativeLogLikelihood + exact.reduce(0, +) / 200) < 0.02)
}

/// Hutchinson's estimator (probes fixed for the solve) is unbiased: over 400 points the mean
/// difference to the exact-divergence log-likelihood is within 4 standard errors of zero, for
/// Rademacher and Gaussian probes, on the Gaussian and the mixture data; individual points do
/// differ (it is an estimate).
@Test(arguments: HutchinsonProbe.allCases, [false, true])
func hutchinsonLikelihoodIsUnbiased(probe: HutchinsonProbe, mixture: Bool) throws {
  let sde = VPSDE<Double>()
  var rng = Xoshiro256(seed: 78)
  let integration = ODEIntegration<Double>.adaptive(
    PIController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6))
  func differences<Model: DivergenceScoreModel>(_ oracle: Model, _ data: Matrix<Double>) throws -> [Double]
  where Model.Scalar == Double {
    let exact = try ProbabilityFlowLikelihood(process: sde, score: oracle, integration: integration)
      .logLikelihood(of: data)
    let estimated = try ProbabilityFlowLikelihood(
      process: sde, score: oracle, divergence: .hutchinson(probe: probe, seed: 3), integration: integration
    ).logLikelihood(of: data)
    return zip(estimated.logLikelihoods, exact.logLikelihoods).map { $0 - $1 }
  }
  let d: [Double]
  if mixture {
    let oracle = MixtureData.oracle(sde)
    d = try differences(oracle, oracle.sample(count: 400, using: &rng))
  } else {
    let oracle = GaussianData.oracle(sde)
    d = try differences(oracle, oracle.sample(count: 400, using: &rng))
  }
  let moments = SampleMoments(d)
  #expect(
    abs(moments.mean) < 4 * moments.standardErrorOfMean,
    "\(probe): mean \(moments.mean) ± \(moments.standardErrorOfMean)")
  #expect(moments.variance > 1e-6, "\(probe): the estimate should vary between points")
}

/// Cutting the rows into concurrently integrated blocks changes nothing but rounding with fixed
/// steps (exact divergence and Hutchinson probes keyed by global row alike), and only within the
/// tolerance with adaptive steps; a custom terminal density sees all the latents at once.
@Test(arguments: [2, 3, 7])
func threadedLikelihoodEqualsOneBlock(threads: Int) throws {
  let sde = VPSDE<Double>()
  let oracle = MixtureData.oracle(sde)
  let data = likelihoodData(sde, mixture: true)
  for divergence in [DivergenceMethod.exact, .hutchinson(probe: .rademacher, seed: 5)] {
    let likelihood = ProbabilityFlowLikelihood(
      process: sde, score: oracle, divergence: divergence, integration: .rungeKutta4(steps: 20))
    let one = try likelihood.logLikelihood(of: data, firstRow: 10)
    var calls = 0
    let split = try likelihood.logLikelihood(
      of: data, firstRow: 10,
      terminalLogDensity: { latents in
        calls += 1
        return sde.priorLogDensity(latents)
      }, threads: threads)
    #expect(calls == 1)
    #expect(relativeDistance(split.latents, one.latents) <= 1e-13, "\(divergence), \(threads) threads")
    let worst = zip(split.logLikelihoods, one.logLikelihoods).map { abs($0 - $1) }.max()!
    #expect(worst <= 1e-11, "\(divergence), \(threads) threads: \(worst)")
    #expect(split.statistics.scoreEvaluations == 80 && split.statistics.batches == threads)
  }
  let adaptive = ProbabilityFlowLikelihood(
    process: sde, score: oracle,
    integration: .adaptive(PIController(relativeTolerance: 1e-7, absoluteTolerance: 1e-7)))
  let one = try adaptive.logLikelihood(of: data)
  let split = try adaptive.logLikelihood(of: data, threads: threads)
  let worst = zip(split.logLikelihoods, one.logLikelihoods).map { abs($0 - $1) }.max()!
  #expect(worst < 1e-4, "adaptive, \(threads) threads: \(worst)")
}

/// Probes are keyed by global row: a batch's probes are the matching rows of a larger batch;
/// Rademacher entries are ±1.
@Test func hutchinsonProbesAreKeyedByRow() {
  for probe in HutchinsonProbe.allCases {
    let all: Matrix<Double> = probe.probes(rows: 0..<10, dimension: 3, seed: 9)
    let part: Matrix<Double> = probe.probes(rows: 4..<7, dimension: 3, seed: 9)
    #expect(part == all.rows(4..<7))
  }
  let signs: Matrix<Double> = HutchinsonProbe.rademacher.probes(rows: 0..<2000, dimension: 5, seed: 1)
  #expect(signs.elements.allSatisfy { $0 == 1 || $0 == -1 })
  #expect(abs(signs.sum()) / 10_000 < 4 / 100)  // mean within 4 standard errors (1/√10⁴)
}

/// Encoding with the Gaussian oracle matches the closed-form flow, and decoding an encoding
/// returns the data, within the ODE tolerance: adaptive (rtol = atol = 1e-7) and 200 RK4 steps,
/// on the mixture (nonlinear flow) and on the Gaussian.
@Test func encodeDecodeRoundTrip() throws {
  let sde = VPSDE<Double>()
  let gaussian = GaussianData.oracle(sde)
  let data = likelihoodData(sde, mixture: false)
  let adaptive = ODEIntegration<Double>.adaptive(
    PIController(relativeTolerance: 1e-7, absoluteTolerance: 1e-7))
  let map = LatentMap(process: sde, score: gaussian, integration: adaptive)
  let (latents, statistics) = try map.encode(data)
  let exact = exactGaussianFlow(
    sde, mean: GaussianData.mean, covariance: GaussianData.covariance, data, from: 1e-5, to: 1)
  #expect(maxAbsDifference(latents, exact) < 1e-5)
  #expect(statistics.acceptedSteps > 0 && statistics.scoreEvaluations > 0)
  #expect(maxAbsDifference(try map.decode(latents).data, data) < 1e-5)

  let mixture = MixtureData.oracle(sde)
  let mixtureData = likelihoodData(sde, mixture: true)
  for integration in [adaptive, .rungeKutta4(steps: 200)] {
    let mixtureMap = LatentMap(process: sde, score: mixture, integration: integration)
    let back = try mixtureMap.decode(try mixtureMap.encode(mixtureData).latents).data
    #expect(maxAbsDifference(back, mixtureData) < 1e-4, "\(integration)")
  }
}

/// Bits per dimension: `(NLL − d·ln Δ)/(d·ln 2)`, i.e. `NLL/(d ln 2) + 8` for Δ = 1/256; uniform
/// dequantisation adds `Δ·U[0, 1)` keyed by global row.
@Test func bitsPerDimensionAndDequantisation() {
  let bpd = bitsPerDimension(negativeLogLikelihood: 3.0, dimension: 2, binWidth: 1.0 / 256)
  #expect(abs(bpd - (3 / (2 * Double.log(2)) + 8)) < 1e-12)
  #expect(
    abs(bitsPerDimension(negativeLogLikelihood: 5.0, dimension: 4, binWidth: 1.0) - 5 / (4 * Double.log(2)))
      < 1e-12)
  let x = Matrix<Double>(rows: 6, columns: 3, elements: (0..<18).map { Double($0) / 256 })
  let u = dequantize(x, binWidth: 1.0 / 256, seed: 4)
  let offsets = (u - x).elements
  #expect(offsets.allSatisfy { $0 >= 0 && $0 < 1.0 / 256 })
  #expect(dequantize(x.rows(2..<6), binWidth: 1.0 / 256, seed: 4, firstRow: 2) == u.rows(2..<6))
  let result = LikelihoodResult<Double>(
    logLikelihoods: [-2, -4], priorLogDensities: [0, 0], divergenceIntegrals: [-2, -4],
    latents: Matrix(rows: 2, columns: 2), statistics: SamplingStatistics())
  #expect(result.negativeLogLikelihood == 3)
  #expect(abs(result.bitsPerDimension(binWidth: 1.0 / 256) - bpd) < 1e-12)
}
