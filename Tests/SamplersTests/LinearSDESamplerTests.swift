import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// A coupled, anisotropic, non-normal stable 3-D process with a full noise factor and an offset,
/// on `β ∈ [0.1, betaMax]`.
func coupledLinearSDE(betaMax: Double = 4) -> LinearSDE<Double> {
  try! LinearSDE(
    drift: Matrix([[-1.0, 2.0, 0.0], [-0.5, -0.3, 0.4], [0.2, 0.0, -2.5]]), offset: [0.5, -1.0, 0.25],
    noise: Matrix([[1.0, 0.0, 0.0], [0.3, 0.5, 0.0], [-0.2, 0.1, 0.8]]),
    schedule: .linear(betaMin: 0.1, betaMax: betaMax))
}

/// 3-D Gaussian data for the linear-process sampler tests.
enum LinearData {
  static let mean: [Double] = [1, -0.5, 0.3]
  static let covariance = Matrix<Double>([[0.5, 0.2, -0.1], [0.2, 0.4, 0.05], [-0.1, 0.05, 0.3]])

  static func oracle<P: LinearGaussianSDE<Double>>(_ process: P) -> LinearGaussianMixtureScore<P> {
    try! LinearGaussianMixtureScore(mean: mean, covariance: covariance, process: process)
  }

  /// `n` exact draws of `p_t`: data pushed through the kernel (so that a sampler's test does not
  /// mix the sampler's error with the prior's mismatch `p_T ≠ N(μ_∞, Σ_∞)`).
  static func marginalSamples(_ process: LinearSDE<Double>, at t: Double, count n: Int, seed: UInt64)
    -> Matrix<Double>
  {
    var rng = Xoshiro256(seed: seed)
    let data = oracle(process).sample(count: n, using: &rng)
    var xt = Matrix<Double>(rows: n, columns: 3)
    process.perturb(
      data, at: [Double](repeating: t, count: n), noise: .randomNormal(rows: n, columns: 3, using: &rng),
      into: &xt)
    return xt
  }
}

/// `F = −½I`, `L = I` on the VP schedule gives the same Euler–Maruyama samples as ``VPSDE``
/// from the same seed and score model (measured: bit for bit, since `L = I` takes the scalar
/// path and the GEMM with `−½I` rounds like the scaling), and the same probability-flow samples
/// on a log-SNR grid (whose times come from bisection instead of the closed form).
@Test func linearVPSamplesMatchVPSDE() throws {
  let vp = VPSDE<Double>()
  let linear = try LinearSDE<Double>(drift: Matrix.identity(2) * -0.5, noise: .identity(2))
  let model = GaussianData.oracle(vp)
  let n = 200
  let grid = TimeGrid<Double>(spacing: .uniform, steps: 40, process: vp)
  func em<P: SDE<Double>>(_ process: P) throws -> Matrix<Double> {
    let sampler = EulerMaruyama(process: process, score: model)
    var noise = RowStreams(seed: 17, count: n)
    var x = samplePrior(of: process, dimension: 2, streams: &noise)
    var workspace = sampler.makeWorkspace(rows: n, columns: 2)
    _ = try sampler.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
    return x
  }
  let (a, b) = (try em(linear), try em(vp))
  #expect(relativeDistance(a, b) <= 1e-13, "EM: \(relativeDistance(a, b))")

  func flow<P: LinearGaussianSDE<Double>>(_ process: P) throws -> Matrix<Double> {
    var noise = RowStreams(seed: 18, count: n)
    var x = samplePrior(of: process, dimension: 2, streams: &noise)
    _ = try ODEIntegration<Double>.rungeKutta4(steps: 20, spacing: .logSNR).integrate(
      &x, along: ProbabilityFlowODE(process: process, score: model), from: process.endTime,
      to: process.smallTimeCutoff, process: process)
    return x
  }
  let (c, d) = (try flow(linear), try flow(vp))
  #expect(relativeDistance(c, d) <= 1e-9, "PF-ODE: \(relativeDistance(c, d))")
}

/// Euler–Maruyama (250 steps) on the reverse of the coupled 3-D process, with the exact linear
/// oracle and 2 000 paths started from exact `p_T` draws, reproduces the data mean and
/// covariance within 5 standard errors plus EM's bias allowance (0.01: `h·β|λ| ≈ 0.04` at most,
/// about 2 % of a variance of 0.4).
@Test func eulerMaruyamaWithLinearOracleReproducesData() throws {
  let sde = coupledLinearSDE()
  let oracle = LinearData.oracle(sde)
  let n = 2000
  var x = LinearData.marginalSamples(sde, at: sde.endTime, count: n, seed: 41)
  let sampler = EulerMaruyama(process: sde, score: oracle)
  var noise = RowStreams(seed: 42, count: n)
  var workspace = sampler.makeWorkspace(rows: n, columns: 3)
  let grid = TimeGrid<Double>(spacing: .uniform, steps: 250, process: sde)
  _ = try sampler.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
  expectMoments(
    x, mean: oracle.marginalMean(at: grid.end), covariance: oracle.marginalCovariance(at: grid.end),
    standardErrors: 5, bias: 0.01, "EM, coupled linear SDE")
}

/// The probability-flow ODE of the coupled process (adaptive Dormand–Prince and fixed RK4 on a
/// log-SNR grid) carries exact `p_T` draws to the data moments within 5 standard errors.
@Test(arguments: [false, true])
func probabilityFlowWithLinearOracleReproducesData(adaptive: Bool) throws {
  let sde = coupledLinearSDE()
  let oracle = LinearData.oracle(sde)
  let n = 1500
  var x = LinearData.marginalSamples(sde, at: sde.endTime, count: n, seed: 43)
  let integration: ODEIntegration<Double> =
    adaptive
    ? .adaptive(PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5))
    : .rungeKutta4(steps: 25, spacing: .logSNR)
  let stats = try integration.integrate(
    &x, along: ProbabilityFlowODE(process: sde, score: oracle), from: sde.endTime, to: sde.smallTimeCutoff,
    process: sde)
  #expect(stats.scoreEvaluations > 0)
  expectMoments(
    x, mean: oracle.marginalMean(at: sde.smallTimeCutoff),
    covariance: oracle.marginalCovariance(at: sde.smallTimeCutoff),
    standardErrors: 5, "PF-ODE (\(adaptive ? "adaptive" : "RK4")), coupled linear SDE")
}

/// The exact PF-ODE likelihood under the coupled process (matrix noise: the divergence takes
/// `d` vector-Jacobian products) equals the oracle's analytic `log p_ε` within 1e-4 nats on every
/// point (measured: 2.1e-8 with 230 evaluations); Hutchinson's estimate is unbiased (mean error
/// within 4 standard errors); and `F = −½I`, `L = I` gives VP's likelihoods (measured: equal).
@Test func probabilityFlowLikelihoodUnderLinearSDE() throws {
  let sde = coupledLinearSDE()
  let oracle = LinearData.oracle(sde)
  var rng = Xoshiro256(seed: 44)
  let data = oracle.sample(count: 60, using: &rng)
  let tight = ODEIntegration<Double>.adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8))
  let exact = try ProbabilityFlowLikelihood(process: sde, score: oracle, integration: tight)
    .logLikelihood(of: data) { oracle.logDensity($0, at: sde.endTime) }
  let reference = oracle.logDensity(data, at: sde.smallTimeCutoff)
  let worst = zip(exact.logLikelihoods, reference).map { abs($0 - $1) }.max()!
  #expect(worst < 1e-4, "largest error \(worst) nats")

  let estimated = try ProbabilityFlowLikelihood(
    process: sde, score: oracle, divergence: .hutchinson(probe: .gaussian, seed: 3), integration: tight
  ).logLikelihood(of: data) { oracle.logDensity($0, at: sde.endTime) }
  let errors = zip(estimated.logLikelihoods, reference).map { $0 - $1 }
  let moments = SampleMoments(errors)
  #expect(moments.variance > 0)
  #expect(
    abs(moments.mean) < 4 * (moments.variance / Double(errors.count)).squareRoot(),
    "Hutchinson bias \(moments.mean)")

  let vp = VPSDE<Double>()
  let linear = try LinearSDE<Double>(drift: Matrix.identity(2) * -0.5, noise: .identity(2))
  let model = GaussianData.oracle(vp)
  let points = model.sample(count: 20, using: &rng)
  let a = try ProbabilityFlowLikelihood(process: linear, score: model, integration: tight).logLikelihood(
    of: points)
  let b = try ProbabilityFlowLikelihood(process: vp, score: model, integration: tight).logLikelihood(
    of: points)
  for (u, v) in zip(a.logLikelihoods, b.logLikelihoods) { #expect(abs(u - v) <= 1e-9) }
}

/// Critically-damped Langevin diffusion on `(x, v)` with the exact augmented oracle: the
/// probability-flow ODE (adaptive) and Euler–Maruyama (200 steps) from the prior
/// `N(0, diag(I, M I))` give positions with the data's moments (5 standard errors; EM with a
/// 0.01 bias allowance), and the exact PF-ODE log-likelihood of `(x, v)` equals the oracle's
/// `log p_ε(x, v)` within 1e-4 nats (measured: 4.8e-8).
@Test func criticallyDampedLangevinSamplesAndLikelihood() throws {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let sde = cld.process
  let oracle = try cld.oracle(
    weights: [1], means: [GaussianData.mean], covariances: [GaussianData.covariance])
  let n = 1500
  let target = oracle.marginalComponents(at: sde.smallTimeCutoff)[0]
  let mean = Array(target.mean[0..<2])
  var covariance = Matrix<Double>(rows: 2, columns: 2)
  for i in 0..<2 { for j in 0..<2 { covariance[i, j] = target.covariance[i, j] } }

  var noise = RowStreams(seed: 51, count: n)
  var u = samplePrior(of: sde, dimension: 4, streams: &noise)
  _ = try ODEIntegration<Double>.standard.integrate(
    &u, along: ProbabilityFlowODE(process: sde, score: oracle), from: sde.endTime, to: sde.smallTimeCutoff,
    process: sde)
  expectMoments(cld.positions(u), mean: mean, covariance: covariance, standardErrors: 5, "CLD PF-ODE")

  var v = samplePrior(of: sde, dimension: 4, streams: &noise)
  let em = EulerMaruyama(process: sde, score: oracle)
  var workspace = em.makeWorkspace(rows: n, columns: 4)
  _ = try em.integrate(
    &v, over: TimeGrid(spacing: .uniform, steps: 200, process: sde), noise: &noise, workspace: &workspace)
  expectMoments(cld.positions(v), mean: mean, covariance: covariance, standardErrors: 5, bias: 0.01, "CLD EM")

  var rng = Xoshiro256(seed: 52)
  let data = cld.augment(GaussianData.oracle(VPSDE<Double>()).sample(count: 30, using: &rng), using: &rng)
  let tight = ODEIntegration<Double>.adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8))
  let result = try ProbabilityFlowLikelihood(process: sde, score: oracle, integration: tight)
    .logLikelihood(of: data) { oracle.logDensity($0, at: sde.endTime) }
  let reference = oracle.logDensity(data, at: sde.smallTimeCutoff)
  let worst = zip(result.logLikelihoods, reference).map { abs($0 - $1) }.max()!
  #expect(worst < 1e-4, "CLD likelihood: largest error \(worst) nats")
}

/// SSCS's exact Ornstein–Uhlenbeck part (closed-form `Φ_A`, quadrature `Σ_A`) equals the Van
/// Loan kernel of `F_A = [[0, −M⁻¹], [1, −ΓM⁻¹]]`, `Q = diag(0, 2Γ)` for short and long rates
/// and two frictions (measured ≤ 1e-14 relative).
@Test func splittingKernelMatchesVanLoan() throws {
  for gamma in [1.0, 2.0] {
    let mass = gamma * gamma / 4
    let fA = Matrix<Double>([[0, -1 / mass], [1, -gamma / mass]])
    let q = Matrix<Double>(diagonal: [0, 2 * gamma])
    for b in [1e-4, 0.01, 0.5, 3.0] {
      let reference = try LinearTransition(drift: fA, noiseCovariance: q, duration: b)
      let (phi, sigma) = SymmetricSplittingSampler<GaussianScore<VPSDE<Double>>>.splittingKernel(
        integratedBeta: b, friction: gamma)
      let transition = Matrix<Double>([[phi.0, phi.1], [phi.2, phi.3]])
      let covariance = Matrix<Double>([[sigma.xx, sigma.xv], [sigma.xv, sigma.vv]])
      #expect(relativeDistance(transition, reference.transition) <= 1e-13, "Φ_A, Γ = \(gamma), b = \(b)")
      for (a, r) in zip(covariance.elements, reference.covariance.elements) {
        #expect(abs(a - r) <= 1e-12 * abs(r) + 1e-300, "Σ_A entry, Γ = \(gamma), b = \(b): \(a) vs \(r)")
      }
    }
  }
}

/// SSCS with 50 steps (50 score evaluations) and the exact CLD oracle, from the prior, gives
/// positions with the data's mean and covariance within 5 standard errors plus 0.02 (4 000
/// samples).
@Test func symmetricSplittingSamplerReproducesData() throws {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let sde = cld.process
  let oracle = try cld.oracle(
    weights: [1], means: [GaussianData.mean], covariances: [GaussianData.covariance])
  let n = 4000
  var noise = RowStreams(seed: 61, count: n)
  var u = samplePrior(of: sde, dimension: 4, streams: &noise)
  let sscs = SymmetricSplittingSampler(process: cld, score: oracle)
  var workspace = sscs.makeWorkspace(rows: n, columns: 4)
  let evaluations = try sscs.integrate(
    &u, over: TimeGrid(spacing: .uniform, steps: 50, process: sde), noise: &noise, workspace: &workspace)
  #expect(evaluations == 50)
  expectMoments(
    cld.positions(u), mean: GaussianData.mean, covariance: GaussianData.covariance, standardErrors: 5,
    bias: 0.02, "SSCS, 50 steps")
}
