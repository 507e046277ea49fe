import DiffusionProcesses
import LinearAlgebra
import Samplers
import TestSupport
import Testing

/// Through the ``Sampler`` front end, `F = −½I`, `L = I` on the VP schedule gives VP's samples
/// for the same seed, options and score model: Euler–Maruyama (with its final Tweedie step, here
/// under the matrix kernel) and the fixed-step probability flow agree to rounding (bound 1e-13
/// relative: the kernels' matrix exponential and Van Loan integral are exact to a few ulps, and
/// nothing else differs), with the same number of score evaluations.
@Test(arguments: [
  SamplerKind<Double>.eulerMaruyama(steps: 40), .probabilityFlow(.rungeKutta4(steps: 10)),
  .probabilityFlow(.heun(steps: 12)),
])
func samplerOnLinearVPMatchesVPSDE(kind: SamplerKind<Double>) throws {
  let vp = VPSDE<Double>()
  let linear = try LinearSDE<Double>(drift: Matrix.identity(2) * -0.5, noise: .identity(2))
  let model = GaussianData.oracle(vp)
  let options = SamplingOptions(kind: kind, seed: 5)
  let viaLinear = try Sampler(process: linear, score: model, options: options)
  #expect(!viaLinear.hasScalarKernel)
  let a = try viaLinear.sample(count: 300, dimension: 2)
  let b = try Sampler(process: vp, score: model, options: options).sample(count: 300, dimension: 2)
  #expect(a.statistics.scoreEvaluations == b.statistics.scoreEvaluations)
  #expect(a.velocities == nil)
  let distance = relativeDistance(a.samples, b.samples)
  #expect(distance <= 1e-13, "\(kind.name.rawValue): relative distance \(distance)")
}

/// Critically-damped Langevin through the front end, with the exact oracle of Gaussian data:
/// SSCS (50 steps), Euler–Maruyama (200) and the adaptive probability flow return positions
/// with the moments of the exact marginal at `ε = 1e-3` within 5 standard errors (3000 samples;
/// allowances for the discretisation bias, as measured for the samplers alone: SSCS 0.02, EM 0.01
/// in a covariance entry), one score evaluation per step and no denoising; the probability flow's
/// velocities have the marginal's moments too (the stochastic kinds' velocities carry their last
/// step's noise: measured variance 0.08 for SSCS and 0.05 for EM against 0.018); trajectories
/// record the whole state `(x, v)`.
@Test(arguments: [
  SamplerKind<Double>.symmetricSplitting(steps: 50), .eulerMaruyama(steps: 200), .adaptive,
])
func samplerOnCriticallyDampedLangevinReproducesGaussianData(kind: SamplerKind<Double>) throws {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let oracle = try cld.oracle(
    weights: [1], means: [GaussianData.mean], covariances: [GaussianData.covariance])
  var options = SamplingOptions(kind: kind, seed: 71)
  options.trajectoryStride = 25
  options.tileRows = nil
  let sampler = try Sampler(process: cld, score: GaussianMarginalScore(oracle: oracle), options: options)
  #expect(!sampler.denoises && sampler.phaseSpace == cld)
  let n = 3000
  let result = try sampler.sample(count: n, dimension: 2)
  let velocities = try #require(result.velocities)
  #expect(result.samples.rows == n && result.samples.columns == 2)
  #expect(velocities.rows == n && velocities.columns == 2)
  #expect(result.trajectory.allSatisfy { $0.states.columns == 4 } && result.trajectory.count >= 2)
  if let steps = kind.steps { #expect(result.statistics.scoreEvaluations == steps) }

  let target = oracle.marginalComponents(at: 1e-3)[0]
  func block(_ offset: Int) -> (mean: [Double], covariance: Matrix<Double>) {
    var c = Matrix<Double>(rows: 2, columns: 2)
    for i in 0..<2 { for j in 0..<2 { c[i, j] = target.covariance[offset + i, offset + j] } }
    return (Array(target.mean[offset..<(offset + 2)]), c)
  }
  let bias: Double
  switch kind.name {
  case .symmetricSplitting: bias = 0.02
  case .eulerMaruyama: bias = 0.01
  default: bias = 0
  }
  let (x, v) = (block(0), block(2))
  let label = kind.name.rawValue
  expectMoments(
    result.samples, mean: x.mean, covariance: x.covariance, standardErrors: 5, bias: bias, "\(label): x")
  if !kind.isStochastic {
    expectMoments(velocities, mean: v.mean, covariance: v.covariance, standardErrors: 5, "\(label): v")
  }
}

/// Kinds a process cannot run are thrown at construction, with the kinds it takes: the
/// scalar-kernel kinds on a general linear process and on CLD, `sra` and `adaptive-sde` under
/// a matrix diffusion (taken when `L = I`), `sscs` without CLD (also on VP, through
/// ``Sampler/validateOptions()``, and on CLD's bare ``LinearSDE``; a CLD inside a
/// ``StandardLinearSDE`` takes it), observations, and denoising CLD samples.
@Test func linearProcessesRefuseWhatTheyCannotRun() throws {
  let coupled = coupledLinearSDE()
  let oracle = LinearData.oracle(coupled)
  let general: [SamplerName] = [.eulerMaruyama, .euler, .heun, .probabilityFlow, .adaptive]
  func options(_ name: SamplerName) -> SamplingOptions<Double> { SamplingOptions(kind: SamplerKind(name)) }
  for name in SamplerName.allCases where name.needsScalarKernel {
    #expect(throws: SamplerConfigurationError.needsScalarKernel(name, alternatives: general)) {
      try Sampler(process: coupled, score: oracle, options: options(name))
    }
  }
  for name in [SamplerName.sra, .adaptiveSDE] {
    #expect(throws: SamplerConfigurationError.needsScalarDiffusion(name, alternatives: general)) {
      try Sampler(process: coupled, score: oracle, options: options(name))
    }
  }
  #expect(throws: SamplerConfigurationError.needsCriticallyDampedLangevin(.symmetricSplitting)) {
    try Sampler(process: coupled, score: oracle, options: options(.symmetricSplitting))
  }
  var observed = options(.eulerMaruyama)
  observed.observation = Observation(columns: [0], values: [1.0])
  #expect(throws: SamplerConfigurationError.observationNeedsScalarKernel) {
    try Sampler(process: coupled, score: oracle, options: observed)
  }

  let identityNoise = try LinearSDE<Double>(
    drift: Matrix([[-1.0, 2.0], [-0.5, -0.3]]), noise: .identity(2),
    schedule: .linear(betaMin: 0.1, betaMax: 4))
  let identityOracle = try LinearGaussianMixtureScore(
    mean: GaussianData.mean, covariance: GaussianData.covariance, process: identityNoise)
  for name in [SamplerName.sra, .adaptiveSDE] {
    #expect(throws: Never.self) {
      try Sampler(process: identityNoise, score: identityOracle, options: options(name))
    }
  }
  #expect(
    throws: SamplerConfigurationError.needsScalarKernel(
      .dpmSolver, alternatives: general + [.sra, .adaptiveSDE])
  ) {
    try Sampler(process: identityNoise, score: identityOracle, options: options(.dpmSolver))
  }

  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let cldOracle = try cld.oracle(
    weights: [1], means: [GaussianData.mean], covariances: [GaussianData.covariance])
  let error = SamplerConfigurationError.needsScalarKernel(
    .dpmSolver, alternatives: [.symmetricSplitting] + general)
  #expect(throws: error) { try Sampler(process: cld, score: cldOracle, options: options(.dpmSolver)) }
  #expect(
    error.description
      == "dpm needs a process with a scalar kernel (a GaussianSDE); this process takes sscs, em, euler, heun, ode, adaptive"
  )
  #expect(
    throws: SamplerConfigurationError.needsScalarDiffusion(
      .sra, alternatives: [.symmetricSplitting] + general)
  ) {
    try Sampler(process: cld, score: cldOracle, options: options(.sra))
  }
  let wrapped = try Sampler(
    process: StandardLinearSDE.criticallyDampedLangevin(cld), score: cldOracle,
    options: options(.symmetricSplitting))
  #expect(wrapped.phaseSpace == cld && !wrapped.hasScalarKernel)
  #expect(throws: SamplerConfigurationError.needsCriticallyDampedLangevin(.symmetricSplitting)) {
    try Sampler(process: cld.process, score: cldOracle, options: options(.symmetricSplitting))
  }
  var denoised = options(.symmetricSplitting)
  denoised.denoise = true
  #expect(throws: SamplerConfigurationError.denoisingNeedsPositionScore) {
    try Sampler(process: cld, score: cldOracle, options: denoised)
  }

  let vp = Sampler(
    process: VPSDE<Double>(), score: GaussianData.oracle(VPSDE<Double>()),
    options: options(.symmetricSplitting))
  #expect(throws: SamplerConfigurationError.needsCriticallyDampedLangevin(.symmetricSplitting)) {
    try vp.validateOptions()
  }
}

/// A process that is a ``GaussianSDE`` only at run time (a generic caller's `some
/// LinearGaussianSDE`) gets the scalar-kernel path: DPM-Solver runs, and its samples are the
/// direct sampler's bit for bit.
@Test func genericallyTypedGaussianProcessTakesEveryKind() throws {
  let vp = VPSDE<Double>()
  let model = GaussianData.oracle(vp)
  let options = SamplingOptions<Double>(kind: .dpmSolver(steps: 10), seed: 3)
  func generic<P: LinearGaussianSDE<Double>>(_ process: P) throws -> Sampler<P, GaussianScore<VPSDE<Double>>>
  {
    try Sampler(process: process, score: model, options: options)
  }
  let sampler = try generic(vp)
  #expect(sampler.hasScalarKernel)
  let direct = Sampler(process: vp, score: model, options: options)
  #expect(
    try sampler.sample(count: 100, dimension: 2).samples == direct.sample(count: 100, dimension: 2).samples)
}

/// Tweedie's step under the coupled 3-D kernel is the exact posterior mean of Gaussian data,
/// `E[x₀ | x_t] = μ + S Φᵀ C⁻¹ (x_t − Φμ − m)` with `C = Φ S Φᵀ + Σ`, at two times (1e-10
/// relative).
@Test func linearTweedieDenoiserIsThePosteriorMean() throws {
  let sde = coupledLinearSDE()
  let oracle = LinearData.oracle(sde)
  for t in [0.01, 0.4] {
    let x = LinearData.marginalSamples(sde, at: t, count: 7, seed: 81)
    var denoised = x
    let denoiser = LinearTweedieDenoiser(process: sde, score: oracle)
    var workspace = denoiser.makeWorkspace(rows: 7, columns: 3)
    denoiser.denoise(&denoised, at: t, workspace: &workspace)

    let kernel = sde.marginalKernel(at: t, dimension: 3)
    let gain =
      LinearData.covariance * kernel.transition.transposed()
      * (try oracle.marginalCovariance(at: t).inverse())
    let center = kernel.transition.multiplied(by: LinearData.mean).enumerated().map { $1 + kernel.shift[$0] }
    var expected = x
    expected.addToEachRow(center.map { -$0 })
    expected = expected * gain.transposed()
    expected.addToEachRow(LinearData.mean)
    let distance = relativeDistance(denoised, expected)
    #expect(distance <= 1e-10, "t = \(t): relative distance \(distance)")
  }
}

/// The exact score of Gaussian data under a linear kernel, `−(x − m_t) C_t⁻¹` by rows with the
/// oracle's marginal `N(m_t, C_t)`: one GEMM per evaluation, so that the debug-build tests stay
/// fast (the mixture oracle works row by row).
struct GaussianMarginalScore<P: LinearGaussianSDE<Double>>: ScoreModel {
  let oracle: LinearGaussianMixtureScore<P>

  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    let marginal = oracle.marginalComponents(at: t)[0]
    var centered = x
    centered.addToEachRow(marginal.mean.map { -$0 })
    out.formProduct(centered, try! marginal.covariance.inverse(), alpha: -1)
  }
}
