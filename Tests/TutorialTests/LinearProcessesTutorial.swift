// Tutorial "Linear and phase-space processes": a coupled anisotropic LinearSDE and its exact
// kernel against simulated paths, the exact mixture oracle under a matrix kernel sampled through
// Sampler, critically-damped Langevin diffusion with SSCS against Euler–Maruyama on exact scores,
// and the exact likelihood of (x, v).
import ScoreSDE
import Testing

/// The kernel of a coupled, anisotropic 3-D process is the law of its paths: 4000
/// Euler–Maruyama paths (400 steps from x₀ to t = 0.5) have the kernel's mean and covariance
/// within 4.5 standard errors (plus 2% for the scheme's O(Δt) bias).
@Test func linearKernelMatchesSimulatedPaths() throws {
  // snippet: linear-processes-sde
  let drift = Matrix<Double>([[-1, 2, 0], [-0.5, -0.3, 0.4], [0.2, 0, -2.5]])
  let noise = Matrix<Double>([[1, 0, 0], [0.3, 0.5, 0], [-0.2, 0.1, 0.8]])
  let sde = try LinearSDE(drift: drift, noise: noise)  // VP schedule, β from 0.1 to 20
  let kernel = sde.marginalKernel(at: 0.5, dimension: 3)  // Φ = e^{B F}, m, Σ (Van Loan)
  print("Φ(0.5) =", kernel.transition.elements, "Σ(0.5) =", kernel.covariance.elements)
  // end-snippet

  // snippet: linear-processes-simulate
  let x0: [Double] = [1, -1, 0.5]
  let (paths, steps, endTime) = (4000, 400, 0.5)
  let dt = endTime / Double(steps)
  var rng = Xoshiro256(seed: 3)
  var x = Matrix<Double>(rows: paths, columns: 3)
  for i in 0..<paths { x.setRow(i, to: x0) }
  var f = Matrix<Double>(rows: paths, columns: 3)
  var z = Matrix<Double>(rows: paths, columns: 3)
  var lz = Matrix<Double>(rows: paths, columns: 3)
  for step in 0..<steps {
    let t = Double(step) * dt
    sde.drift(x, at: t, into: &f)  // β(t)(F x + c), one row per path
    z.fillNormal(using: &rng)
    lz.formProduct(z, noise, transposingB: true)  // rows L z
    x.add(f, scaledBy: dt)
    x.add(lz, scaledBy: sde.diffusion(at: t) * dt.squareRoot())  // √β(t) √Δt L z
  }
  let kernelMean = zip(kernel.transition.multiplied(by: x0), kernel.shift).map { $0 + $1 }
  print("simulated mean", x.columnMeans(), "kernel", kernelMean)
  print("simulated covariance", x.covariance().elements, "kernel", kernel.covariance.elements)
  // end-snippet
  let n = Double(paths)
  let (mean, covariance) = (x.columnMeans(), x.covariance())
  for i in 0..<3 {
    let c = kernel.covariance
    #expect(abs(mean[i] - kernelMean[i]) < 4.5 * (c[i, i] / n).squareRoot() + 0.02 * c[i, i].squareRoot())
    for j in 0..<3 {
      let se = ((c[i, i] * c[j, j] + c[i, j] * c[i, j]) / n).squareRoot()
      #expect(
        abs(covariance[i, j] - c[i, j]) < 4.5 * se + 0.02 * (c[i, i] * c[j, j]).squareRoot(), "Σ[\(i), \(j)]")
    }
  }
}

/// A Gaussian mixture stays a mixture under a linear kernel, so its score is exact at every t;
/// the probability flow from the prior (25 RK4 steps on the log-SNR grid, 1000 samples) returns
/// the data's mean within 4.5 standard errors, and DPM-Solver, written in a scalar kernel, is
/// refused at construction.
@Test func linearOracleSamplesTheMixture() throws {
  let sde = try LinearSDE(
    drift: Matrix<Double>([[-1, 2, 0], [-0.5, -0.3, 0.4], [0.2, 0, -2.5]]),
    noise: Matrix<Double>([[1, 0, 0], [0.3, 0.5, 0], [-0.2, 0.1, 0.8]]))
  // snippet: linear-processes-oracle
  let oracle = try LinearGaussianMixtureScore(
    weights: [0.4, 0.6], means: [[-1, 0, 1], [1.5, 0.5, -0.5]],
    covariances: [Matrix(diagonal: [0.2, 0.1, 0.3]), Matrix(diagonal: [0.1, 0.3, 0.2])], process: sde)
  let sampler = try Sampler(
    process: sde, score: oracle,
    options: SamplingOptions(kind: .probabilityFlow(.rungeKutta4(steps: 25, spacing: .logSNR)), seed: 1))
  let samples = try sampler.sample(count: 1000, dimension: 3).samples
  print("sample mean", samples.columnMeans(), "data mean", oracle.marginalMean(at: 0))
  // end-snippet
  let target = oracle.marginalMean(at: 1e-3)
  let spread = oracle.marginalCovariance(at: 1e-3)
  for i in 0..<3 {
    #expect(abs(samples.columnMeans()[i] - target[i]) < 4.5 * (spread[i, i] / 1000).squareRoot())
  }
  // snippet: linear-processes-refused
  do {
    _ = try Sampler(process: sde, score: oracle, options: SamplingOptions(kind: .dpmSolver(steps: 10)))
  } catch {
    print(error)  // dpm needs a process with a scalar kernel (a GaussianSDE); this process takes em, …
  }
  // end-snippet
  #expect(throws: SamplerConfigurationError.self) {
    try Sampler(process: sde, score: oracle, options: SamplingOptions(kind: .dpmSolver(steps: 10)))
  }
}

/// On the exact score of Gaussian data, CLD's splitting sampler beats Euler–Maruyama on the
/// augmented state at the same number of score evaluations: at 20 evaluations its largest
/// covariance error is below EM's (measured with 2000 samples: 0.03 against 0.22), and below
/// 0.1 at both budgets.
@Test func splittingBeatsEulerMaruyamaOnCLD() throws {
  // snippet: linear-processes-cld
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)  // M = 0.25, Γ = 1, β = 4, γ = 0.04
  let covariance = Matrix<Double>([[0.5, 0.3], [0.3, 0.4]])
  let oracle = try cld.oracle(weights: [1], means: [[1, -0.5]], covariances: [covariance])
  var errors: [String: Double] = [:]
  for kind in [SamplerKind<Double>.symmetricSplitting(steps: 20), .eulerMaruyama(steps: 20)]
    + [.symmetricSplitting(steps: 50), .eulerMaruyama(steps: 50)]
  {
    let sampler = try Sampler(process: cld, score: oracle, options: SamplingOptions(kind: kind, seed: 2))
    let result = try sampler.sample(count: 2000, dimension: 2)  // positions; velocities beside
    let error = (result.samples.covariance() - covariance).elements.map(abs).max()!
    let label = "\(kind.name.rawValue) \(result.statistics.scoreEvaluations)"
    errors[label] = error
    print(label, "NFE: largest covariance error", error)
  }
  // end-snippet
  #expect(errors["sscs 20"]! < errors["em 20"]!, "\(errors)")
  #expect(errors["sscs 20"]! < 0.1 && errors["sscs 50"]! < 0.1, "\(errors)")
}

/// The exact PF-ODE likelihood of `(x, v)` equals the oracle's closed-form `log p_ε(x, v)`
/// within 10⁻⁴ nats on every point when the exact `p_T` ends the integration.
@Test func phaseSpaceLikelihoodIsExact() throws {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let oracle = try cld.oracle(
    weights: [1], means: [[1, -0.5]], covariances: [Matrix([[0.5, 0.3], [0.3, 0.4]])])
  // snippet: linear-processes-likelihood
  var rng = Xoshiro256(seed: 5)
  let states = oracle.sample(count: 20, using: &rng)  // (x₀, v₀), v₀ ~ N(0, γM I)
  let likelihood = ProbabilityFlowLikelihood(
    process: cld, score: oracle,
    integration: .adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8)))
  let result = try likelihood.logLikelihood(of: states) { oracle.logDensity($0, at: cld.endTime) }
  let exact = oracle.logDensity(states, at: cld.smallTimeCutoff)
  let worst = zip(result.logLikelihoods, exact).map { abs($0 - $1) }.max()!
  print("largest error of log p(x, v):", worst, "nats")
  // end-snippet
  #expect(worst < 1e-4)
}
