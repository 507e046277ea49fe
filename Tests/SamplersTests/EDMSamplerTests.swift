import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// The step counts of the EDM family in the shared moment tests (`momentTestOptions`), each with
/// its default settings, grid, end time and Tweedie step. Chosen, like the others, so that the
/// discretisation bias is at most about one standard error of the 3000-sample test; the largest
/// error of any covariance entry measured with 100 000 samples on VP / sub-VP / VE (standard
/// error ≈ 0.002, the mean errors were all below 0.007):
///
/// - EDM Heun (second order, Karras grid): 25 steps 0.025 / 0.034 / 0.025, 50 steps 0.0065 /
///   0.0087 / 0.0066 → 50 (101 evaluations);
/// - Euler-ancestral (`η = 1`, first order, Karras grid): 100 steps 0.056 / 0.062 / 0.055, 200
///   0.028 / 0.034 / 0.030, 400 0.014 / 0.014 / 0.012 → 400, like Euler–Maruyama and ancestral;
/// - DDIM (`η = 0`, log-SNR grid): 100 steps 0.023 / 0.033 / 0.026, 400 0.0064 / 0.0085 /
///   0.0071 → 400;
/// - DPM-Solver++(2M) SDE (log-SNR grid): 50 steps 0.0079 / 0.015 / 0.012, 100 0.0042 / 0.0044 /
///   0.0044 → 100.
enum EDMMomentSteps {
  static let edmHeun = 50
  static let eulerAncestral = 400
  static let ddim = 400
  static let dpmSolverSDE = 100
}

/// The kinds of the batch-size test: the EDM family with settings that draw noise at every
/// step (churn, `η = 0.5`), the others with their defaults.
func batchTestKind(_ name: SamplerName) -> SamplerKind<Double> {
  switch name {
  case .edmHeun:
    return .edmHeun(steps: 20, churn: ChurnOptions(churn: 10, minimumLevel: 0.01, maximumLevel: 10))
  case .ddim: return .ddim(steps: 20, eta: 0.5)
  case .dpmSolverSDE: return .dpmSolverSDE(steps: 20, order: 3)
  default: return SamplerKind(name, steps: name == .probabilityFlow ? 5 : 20)
  }
}

/// The forward processes of the exact-answer checks, OU included for its non-zero shift.
enum ShiftedProcess: String, CaseIterable, CustomTestStringConvertible {
  case vp, subVP, ve, ou

  var testDescription: String { rawValue }

  func run<R>(_ body: (any GaussianSDE<Double>) throws -> R) rethrows -> R {
    switch self {
    case .vp: return try body(VPSDE<Double>())
    case .subVP: return try body(SubVPSDE<Double>())
    case .ve: return try body(VESDE<Double>(sigmaMin: 0.01, sigmaMax: 50))
    case .ou: return try body(OrnsteinUhlenbeckSDE<Double>(theta: 3, mean: 1, sigma: 1.5))
    }
  }
}

/// Runs `solver` over `grid` from the prior draws of seed `seed`.
func runSolver<Solver: ReverseSDESolver, P: GaussianSDE>(
  _ solver: Solver, _ sde: P, over grid: TimeGrid<Double>, rows: Int = 200, seed: UInt64 = 13
) throws -> Matrix<Double> where Solver.Scalar == Double, P.Scalar == Double {
  var noise = RowStreams(seed: seed, count: rows)
  var x = samplePrior(of: sde, dimension: 2, streams: &noise)
  var workspace = solver.makeWorkspace(rows: rows, columns: 2)
  _ = try solver.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
  return x
}

/// Deterministic DDIM (`η = 0`) is first-order DPM-Solver++ (Lu et al. 2022, §3.1; Song et al.
/// 2021, eq. 13): on every process, on a log-SNR and a uniform 20-step grid, from the same prior
/// draws, the two agree to rounding (1e-12 relative), though one is written as
/// `a·x + b·s` and the other through the data prediction.
@Test(arguments: ShiftedProcess.allCases, [TimeGrid<Double>.Spacing.logSNR, .uniform])
func ddimWithoutNoiseIsFirstOrderDPMSolver(process: ShiftedProcess, spacing: TimeGrid<Double>.Spacing) throws
{
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = MixtureData.oracle(sde)
    let grid = TimeGrid(spacing: spacing, steps: 20, process: sde, to: 1e-3)
    let ddim = try runSolver(DDIM(process: sde, score: oracle), sde, over: grid)
    var noise = RowStreams(seed: 13, count: 200)
    var x = samplePrior(of: sde, dimension: 2, streams: &noise)
    let dpm = DPMSolver(process: sde, score: oracle, order: 1)
    var workspace = dpm.makeWorkspace(rows: 200, columns: 2)
    _ = try dpm.integrate(&x, over: grid, workspace: &workspace)
    let scale = x.elements.map(abs).max()!
    #expect(maxAbsDifference(ddim, x) < 1e-12 * scale, "\(process), \(spacing): \(maxAbsDifference(ddim, x))")
  }
  try process.run { try check($0) }
}

/// DDIM's eq. 12 and k-diffusion's Euler-ancestral split are the same step for `η ∈ [0, 1]`: the
/// coefficients `(a, b, c, offset)` agree to 1e-12 (relative) on every process over a range of
/// step sizes, and DPM-Solver++(1) SDE is DDIM with `η = 1`, sample for sample on the mixture.
@Test(arguments: ShiftedProcess.allCases)
func ancestralFormsAgree(process: ShiftedProcess) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = MixtureData.oracle(sde)
    func close(_ u: Double, _ v: Double) -> Bool { abs(u - v) <= 1e-12 * Swift.max(abs(u), abs(v), 1e-300) }
    for eta in [0, 0.3, 1.0] {
      let ddim = DDIM(process: sde, score: oracle, eta: eta)
      let euler = EulerAncestral(process: sde, score: oracle, eta: eta)
      for (t0, t1) in [(1.0, 0.9), (0.5, 0.49), (0.2, 0.01), (0.01, 0.001)] {
        let c = ddim.coefficients(from: t0, to: t1)
        let e = euler.coefficients(from: t0, to: t1)
        #expect(
          close(c.state, e.state) && close(c.score, e.score) && close(c.noise, e.noise)
            && close(c.offset, e.offset), "\(process), η = \(eta), \(t0) → \(t1): \(c) vs \(e)")
      }
    }
    let grid = TimeGrid(spacing: .logSNR, steps: 15, process: sde, to: 1e-3)
    let ddim = try runSolver(DDIM(process: sde, score: oracle, eta: 1), sde, over: grid)
    let sde1 = try runSolver(DPMSolverSDE(process: sde, score: oracle, order: 1), sde, over: grid)
    let scale = ddim.elements.map(abs).max()!
    #expect(maxAbsDifference(ddim, sde1) < 1e-11 * scale, "\(process): \(maxAbsDifference(ddim, sde1))")
  }
  try process.run { try check($0) }
}

/// k-diffusion's `sample_dpmpp_2m_sde` (η = 1, midpoint) and `sample_dpmpp_3m_sde`, transcribed
/// line by line in EDM's variables `x̃ = (x − shift)/α`, `σ̃ = σ/α` with the same normal draws,
/// give the solver's samples to 1e-10 (relative) on VP and OU with the mixture's exact score: the
/// solver's rewriting in `x` with its coefficient algebra is exact.
@Test(arguments: [ShiftedProcess.vp, .ou], [2, 3])
func dpmSolverSDEMatchesKDiffusion(process: ShiftedProcess, order: Int) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = MixtureData.oracle(sde)
    let grid = TimeGrid(spacing: .karras(), steps: 12, process: sde, to: 1e-3)
    let solved = try runSolver(
      DPMSolverSDE(process: sde, score: oracle, order: order), sde, over: grid, rows: 50)
    // The transcription, on flat arrays.
    var noise = RowStreams(seed: 13, count: 50)
    let prior = samplePrior(of: sde, dimension: 2, streams: &noise)
    let times = grid.times
    func level(_ t: Double) -> Double { sde.marginal(at: t).standardDeviation / sde.marginal(at: t).scale }
    func denoised(_ scaled: [Double], _ t: Double) -> [Double] {
      let (a, s) = sde.marginal(at: t)
      let b = sde.marginalShift(at: t)
      let x = Matrix<Double>(rows: 50, columns: 2, elements: scaled.map { a * $0 + b })
      var score = Matrix<Double>(rows: 50, columns: 2)
      oracle.score(x, at: t, into: &score)
      return (0..<100).map { (x.elements[$0] - b + s * s * score.elements[$0]) / a }
    }
    let (a0, _) = sde.marginal(at: times[0])
    let b0 = sde.marginalShift(at: times[0])
    var x = prior.elements.map { ($0 - b0) / a0 }
    var old: [Double]? = nil
    var older: [Double]? = nil
    var hLast: Double? = nil
    var hLast2: Double? = nil
    var z = Matrix<Double>(rows: 50, columns: 2)
    for i in 0..<grid.steps {
      let denoised = denoised(x, times[i])
      let (sigma, next) = (level(times[i]), level(times[i + 1]))
      let h = -Double.log(next) + Double.log(sigma)
      var y = x
      if order == 2 {
        for j in y.indices {
          y[j] = next / sigma * Double.exp(-h) * x[j] - Double.expMinusOne(-2 * h) * denoised[j]
          if let old, let hLast {
            let r = hLast / h
            y[j] += 0.5 * -Double.expMinusOne(-2 * h) * (1 / r) * (denoised[j] - old[j])
          }
        }
      } else {
        let hEta = 2 * h
        let phi2 = Double.expMinusOne(-hEta) / hEta + 1
        let phi3 = phi2 / hEta - 0.5
        for j in y.indices {
          y[j] = Double.exp(-hEta) * x[j] - Double.expMinusOne(-hEta) * denoised[j]
          if let old, let older, let hLast, let hLast2 {
            let (r0, r1) = (hLast / h, hLast2 / h)
            let d10 = (denoised[j] - old[j]) / r0
            let d11 = (old[j] - older[j]) / r1
            let d1 = d10 + (d10 - d11) * r0 / (r0 + r1)
            let d2 = (d10 - d11) / (r0 + r1)
            y[j] += phi2 * d1 - phi3 * d2
          } else if let old, let hLast {
            y[j] += phi2 * (denoised[j] - old[j]) / (hLast / h)
          }
        }
      }
      noise.fillNormal(&z)
      for j in y.indices { y[j] += z.elements[j] * next * (-Double.expMinusOne(-2 * h)).squareRoot() }
      x = y
      (older, old) = (old, denoised)
      (hLast2, hLast) = (hLast, h)
    }
    let (aN, _) = sde.marginal(at: grid.end)
    let bN = sde.marginalShift(at: grid.end)
    let transcribed = Matrix<Double>(rows: 50, columns: 2, elements: x.map { aN * $0 + bN })
    let scale = transcribed.elements.map(abs).max()!
    #expect(
      maxAbsDifference(solved, transcribed) < 1e-10 * scale,
      "\(process), \(order)M: \(maxAbsDifference(solved, transcribed))")
  }
  try process.run { try check($0) }
}

/// EDM's Heun without churn (Karras et al. 2022, Algorithm 1) converges at second order to the
/// exact probability-flow map of Gaussian data (`exactGaussianFlow`): 64 prior draws pushed to
/// `ε = 1e-3` on Karras grids of 8, 16, 32 and 64 steps, the largest error against `1/N` has a
/// fitted log-log slope within 2 ± 0.3, on VP, VE and OU (whose shift the scaled variable
/// removes).
@Test(arguments: [ShiftedProcess.vp, .ve, .ou])
func edmHeunConvergesAtSecondOrder(process: ShiftedProcess) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    let n = 64
    var streams = RowStreams(seed: 21, rows: 0..<n)
    let prior = samplePrior(of: sde, dimension: 2, streams: &streams)
    let exact = exactGaussianFlow(
      sde, mean: GaussianData.mean, covariance: GaussianData.covariance, prior, from: sde.endTime, to: 1e-3)
    let steps = [8, 16, 32, 64]
    var errors: [Double] = []
    for count in steps {
      var options = SamplingOptions<Double>(kind: .edmHeun(steps: count), seed: 21)
      options.denoise = false
      let result = try Sampler(process: sde, score: oracle, options: options).sample(count: n, dimension: 2)
      #expect(result.statistics.scoreEvaluations == 2 * count)
      errors.append(maxAbsDifference(result.samples, exact))
    }
    let slope = logLogSlope(steps.map { 1 / Double($0) }, errors)
    #expect(abs(slope - 2) < 0.3, "\(process): errors \(errors), slope \(slope)")
  }
  try process.run { try check($0) }
}

/// Churn adds exactly the noise Algorithm 2 says: on VE (`σ̃ = σ`, so levels are standard
/// deviations) with the exact score of Gaussian data, a churned step from `t0` equals, sample
/// for sample, the transcription "draw `z`, raise to `σ̂ = (1 + γ)σ`, Heun from `σ̂`" (1e-12);
/// outside `[S_tmin, S_tmax]` and from `T` (no level above the prior's) the step takes no
/// churn and draws nothing.
@Test func edmChurnRaisesTheNoiseLevel() throws {
  let sde = VESDE<Double>(sigmaMin: 0.01, sigmaMax: 50)
  let oracle = GaussianData.oracle(sde)
  let churn = ChurnOptions<Double>(churn: 4, minimumLevel: 0.1, maximumLevel: 10, noiseScale: 1.01)
  let heun = EDMHeun(process: sde, score: oracle, churn: churn, steps: 20)
  #expect(heun.gamma == 0.2)
  #expect(ChurnOptions<Double>(churn: 40).gamma(steps: 18) == 2.0.squareRoot() - 1)
  let (t0, t1) = (0.6, 0.5)
  let sigma0 = sde.marginal(at: t0).standardDeviation
  #expect(sigma0 > 0.1 && sigma0 < 10)
  let (tHat, levelHat) = heun.churnedTime(from: t0)
  #expect(abs(levelHat - 1.2 * sigma0) < 1e-12 * sigma0 && tHat > t0)
  #expect(heun.churnedTime(from: sde.endTime).time == sde.endTime)
  #expect(heun.churnedTime(from: 0.05).time == 0.05)  // σ ≈ 0.015 < S_tmin

  var noise = RowStreams(seed: 4, count: 100)
  var x = Matrix<Double>(rows: 100, columns: 2)
  noise.fillNormal(&x)
  x.apply { $0 * sigma0 }
  var reference = x
  var referenceNoise = noise
  var workspace = heun.makeWorkspace(rows: 100, columns: 2)
  heun.step(&x, from: t0, to: t1, noise: &noise, workspace: &workspace)
  // Algorithm 2, lines 5–8, with D(x; σ) = x + σ²s(x, t(σ)) on VE.
  var z = Matrix<Double>(rows: 100, columns: 2)
  referenceNoise.fillNormal(&z)
  reference.add(z, scaledBy: 1.01 * (levelHat * levelHat - sigma0 * sigma0).squareRoot())
  func slope(_ y: Matrix<Double>, _ t: Double) -> Matrix<Double> {
    var s = Matrix<Double>(rows: y.rows, columns: 2)
    oracle.score(y, at: t, into: &s)
    let sigma = sde.marginal(at: t).standardDeviation
    s.apply { -sigma * $0 }  // (x − D)/σ = −σs
    return s
  }
  let sigma1 = sde.marginal(at: t1).standardDeviation
  let d = slope(reference, tHat)
  var euler = reference
  euler.add(d, scaledBy: sigma1 - levelHat)
  let d2 = slope(euler, t1)
  reference.add(d, scaledBy: (sigma1 - levelHat) / 2)
  reference.add(d2, scaledBy: (sigma1 - levelHat) / 2)
  #expect(maxAbsDifference(x, reference) < 1e-12 * 10, "\(maxAbsDifference(x, reference))")
}

/// With churn, EDM's Heun still samples the data: on VP with the exact score of the Gaussian
/// data, `S_churn = 10` in `[0.05, 50]` (Karras et al.'s window) over 50 steps reproduces the mean
/// and covariance within 4.5 standard errors, as the shared moment tests check without churn.
@Test func edmHeunWithChurnReproducesGaussianMoments() throws {
  let sde = VPSDE<Double>()
  let churn = ChurnOptions<Double>(churn: 10, minimumLevel: 0.05, maximumLevel: 50, noiseScale: 1)
  let sampler = Sampler(
    process: sde, score: GaussianData.oracle(sde),
    options: SamplingOptions(kind: .edmHeun(steps: 50, churn: churn), seed: 77))
  let result = try sampler.sample(count: 3000, dimension: 2)
  expectMoments(
    result.samples, mean: GaussianData.mean, covariance: GaussianData.covariance, "EDM Heun, churn")
  #expect(result.statistics.scoreEvaluations == 101)
}

/// The mean and covariance of the mixture data.
func mixtureMoments() -> (mean: [Double], covariance: Matrix<Double>) {
  var mean = [0.0, 0.0]
  var second = Matrix<Double>(rows: 2, columns: 2)
  for (k, w) in MixtureData.weights.enumerated() {
    let mu = MixtureData.means[k]
    let v = MixtureData.standardDeviations[k] * MixtureData.standardDeviations[k]
    for i in 0..<2 {
      mean[i] += w * mu[i]
      for j in 0..<2 { second[i, j] += w * (mu[i] * mu[j] + (i == j ? v : 0)) }
    }
  }
  var covariance = second
  for i in 0..<2 { for j in 0..<2 { covariance[i, j] -= mean[i] * mean[j] } }
  return (mean, covariance)
}

/// The sample mean and covariance of `x` against the truth within `bound` standard errors
/// estimated from the samples themselves (the mixture is far from normal, so the normal-theory
/// errors of `expectMoments` do not apply): `sd(xⱼ)/√n` for a mean, `sd((xⱼ − x̄ⱼ)(xₖ − x̄ₖ))/√n`
/// for a covariance entry.
func expectEmpiricalMoments(
  _ x: Matrix<Double>, mean: [Double], covariance: Matrix<Double>, bound: Double = 4.5, _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let n = x.rows
  let m = x.columnMeans()
  for j in 0..<2 {
    let column = (0..<n).map { x[$0, j] }
    let se = SampleMoments(column).variance.squareRoot() / Double(n).squareRoot()
    #expect(
      abs(m[j] - mean[j]) < bound * se, "\(label): mean[\(j)] = \(m[j]), expected \(mean[j]) ± \(bound * se)",
      sourceLocation: sourceLocation)
    for k in j..<2 {
      let products = (0..<n).map { (x[$0, j] - m[j]) * (x[$0, k] - m[k]) }
      let moments = SampleMoments(products)
      let se = moments.variance.squareRoot() / Double(n).squareRoot()
      #expect(
        abs(moments.mean - covariance[j, k]) < bound * se,
        "\(label): cov[\(j), \(k)] = \(moments.mean), expected \(covariance[j, k]) ± \(bound * se)",
        sourceLocation: sourceLocation)
    }
  }
}

/// Euler-ancestral (η = 1, Karras grid) and DPM-Solver++(2M) and (3M) SDE (log-SNR grid), each
/// with its defaults otherwise (ε = 1e-3 and Tweedie's step), on the well-separated mixture with
/// its exact score, on VP and VE: 4000 samples have the data's mean and covariance within 4.5
/// standard errors.
@Test(
  arguments: [
    SamplerKind<Double>.eulerAncestral(steps: 200), .dpmSolverSDE(steps: 40, order: 2),
    .dpmSolverSDE(steps: 40, order: 3),
  ], [Process.vp, .ve])
func stochasticEDMSamplersReproduceMixtureMoments(kind: SamplerKind<Double>, process: Process) throws {
  let (mean, covariance) = mixtureMoments()
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let result = try Sampler(
      process: sde, score: MixtureData.oracle(sde), options: SamplingOptions(kind: kind, seed: 5)
    )
    .sample(count: 4000, dimension: 2)
    expectEmpiricalMoments(result.samples, mean: mean, covariance: covariance, "\(kind) on \(process)")
    #expect(result.statistics.scoreEvaluations == kind.steps! + 1)
  }
  try process.run { try check($0) }
}

/// The names, defaults and settings of the new kinds survive `withSteps`, and the
/// defaults are the documented ones.
@Test func edmKindsKeepTheirSettings() {
  let churn = ChurnOptions<Double>(churn: 5)
  #expect(
    SamplerKind<Double>.edmHeun(steps: 10, churn: churn).withSteps(4)
      == .edmHeun(steps: 4, spacing: .karras(rho: 7), churn: churn))
  #expect(SamplerKind<Double>.ddim(eta: 0.3).withSteps(7) == .ddim(steps: 7, eta: 0.3, spacing: .logSNR))
  #expect(SamplerKind<Double>.eulerAncestral(eta: 0.5).withSteps(7) == .eulerAncestral(steps: 7, eta: 0.5))
  #expect(SamplerKind<Double>.dpmSolverSDE(order: 3).withSteps(7) == .dpmSolverSDE(steps: 7, order: 3))
  #expect(
    SamplerKind<Double>(.edmHeun) == .edmHeun(steps: 18, spacing: .karras(rho: 7), churn: ChurnOptions()))
  #expect(
    SamplerKind<Double>(.eulerAncestral) == .eulerAncestral(steps: 50, eta: 1, spacing: .karras(rho: 7)))
  #expect(SamplerKind<Double>(.ddim) == .ddim(steps: 50, eta: 0, spacing: .logSNR))
  #expect(SamplerKind<Double>(.dpmSolverSDE) == .dpmSolverSDE(steps: 20, order: 2, spacing: .logSNR))
  for name in [SamplerName.edmHeun, .eulerAncestral, .ddim, .dpmSolverSDE] {
    #expect(name.isStochastic && SamplerKind<Double>(name).denoisesByDefault)
  }
  #expect(
    SamplerName(rawValue: "edm-heun") == .edmHeun && SamplerName(rawValue: "euler-a") == .eulerAncestral)
  #expect(SamplerName(rawValue: "ddim") == .ddim && SamplerName(rawValue: "dpm-sde") == .dpmSolverSDE)
}
