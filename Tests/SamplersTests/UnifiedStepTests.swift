import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// The two rules of `GaussianReverseStep` reproduce, bit for bit, the updates the ancestral
/// sampler and the reverse-diffusion predictor were written with before they shared one step:
///
///     ancestral:          x₁ = (c₀/scale + c_x)·x + (c₀·std²/scale)·s + σ·z + (c − c₀·shift/scale)
///     reverse diffusion:  x₁ = (2 − A)·x + G²·s + G·z − B
///
/// on VP, sub-VP, VE and Ornstein–Uhlenbeck (which has a non-zero shift), in Float and Double.
@Test(arguments: [false, true])
func unifiedReverseStepReproducesBothRulesExactly(single: Bool) {
  func check<Process: GaussianSDE>(_ sde: Process, _ label: String) {
    typealias Scalar = Process.Scalar
    let oracle = try! GaussianScore(
      mean: [Scalar(1), Scalar(-0.5)], covariance: Matrix([[0.5, 0.3], [0.3, 0.4]]), process: sde)
    var rng = Xoshiro256(seed: 5)
    let x0 = Matrix<Scalar>.randomNormal(rows: 7, columns: 2, using: &rng)
    let (t0, t1): (Scalar, Scalar) = (0.6, 0.55)
    var score = Matrix<Scalar>(rows: 7, columns: 2)
    oracle.score(x0, at: t0, into: &score)
    var z = Matrix<Scalar>(rows: 7, columns: 2)
    var streams = RowStreams(seed: 9, rows: 3..<10)
    streams.fillNormal(&z)

    func run<Rule: ReverseStepRule>(_ rule: Rule.Type) -> Matrix<Scalar> {
      let step = GaussianReverseStep<Process, GaussianScore<Process>, Rule>(process: sde, score: oracle)
      var x = x0
      var noise = RowStreams(seed: 9, rows: 3..<10)
      var workspace = step.makeWorkspace(rows: 7, columns: 2)
      step.step(&x, from: t0, to: t1, noise: &noise, workspace: &workspace)
      return x
    }

    // The ancestral update as AncestralSampler wrote it.
    let (scale, std) = sde.marginal(at: t0)
    let shift = sde.marginalShift(at: t0)
    let (c0, cx, c, sigma) = sde.posterior(from: t0, to: t1)
    let k = c0 / scale
    var ancestral = x0
    for i in 0..<7 {
      for j in 0..<2 {
        ancestral[i, j] = (k + cx) * x0[i, j] + k * std * std * score[i, j] + sigma * z[i, j]
      }
    }
    let offset = c - k * shift
    if offset != 0 { ancestral.apply { $0 + offset } }
    #expect(run(AncestralRule.self) == ancestral, "ancestral on \(label)")
    #expect(AncestralSampler(process: sde, score: oracle).evaluationsPerStep == 1)

    // The reverse-diffusion update as ReverseDiffusionPredictor wrote it.
    let (a, b, g) = sde.transition(from: t1, to: t0)
    var reverse = x0
    for i in 0..<7 {
      for j in 0..<2 { reverse[i, j] = (2 - a) * x0[i, j] + g * g * score[i, j] + g * z[i, j] }
    }
    if b != 0 { reverse.apply { $0 - b } }
    #expect(run(ReverseDiffusionRule.self) == reverse, "reverse diffusion on \(label)")
  }
  func all<Scalar: BLASScalar>(_: Scalar.Type) {
    check(VPSDE<Scalar>(), "VP")
    check(SubVPSDE<Scalar>(), "sub-VP")
    check(VESDE<Scalar>(), "VE")
    check(OrnsteinUhlenbeckSDE<Scalar>(theta: 2, mean: 1, sigma: 0.8), "OU")
  }
  if single { all(Float.self) } else { all(Double.self) }
}

/// The probability-flow kinds of `Sampler` are the public ODE integrators: PF-ODE Euler and Heun
/// sampling (prior draws from the sampler's own streams, pushed to ε) converge to the exact
/// Gaussian flow at orders 1 and 2 (within ±0.3, as the solver-level test), RK4 at order 4, and
/// the sampler's result equals `ODEIntegration.integrate` on the same draws bit for bit.
@Test(arguments: [
  (SamplerName.euler, 1.0, [40, 80, 160, 320]), (.heun, 2.0, [20, 40, 80, 160]),
  (.probabilityFlow, 4.0, [20, 40, 80, 160]),
])
func probabilityFlowSamplersConvergeAtTheirOrders(kind: SamplerName, order: Double, steps: [Int]) throws {
  let sde = VPSDE<Double>()
  let oracle = GaussianData.oracle(sde)
  let n = 64
  var streams = RowStreams(seed: 21, rows: 0..<n)
  let prior = samplePrior(of: sde, dimension: 2, streams: &streams)
  let exact = exactGaussianFlow(
    sde, mean: GaussianData.mean, covariance: GaussianData.covariance, prior, from: sde.endTime,
    to: 1e-3)
  var errors: [Double] = []
  for count in steps {
    let kindWithSteps = SamplerKind<Double>(kind, steps: count)
    let result = try Sampler(
      process: sde, score: oracle, options: SamplingOptions(kind: kindWithSteps, seed: 21)
    )
    .sample(count: n, dimension: 2)
    #expect(result.statistics.acceptedSteps == count)
    guard case .probabilityFlow(let integration) = kindWithSteps else {
      Issue.record("\(kind) is not a probability-flow kind")
      return
    }
    var x = prior
    let direct = try integration.integrate(
      &x,
      along: ProbabilityFlowODE(process: sde, score: RowTiledScore(base: oracle, tileRows: 256, firstRow: 0)),
      from: sde.endTime, to: 1e-3, process: sde)  // the samplers' default end time
    #expect(result.samples == x, "\(kind), \(count) steps: the sampler is ODEIntegration")
    #expect(result.statistics.scoreEvaluations == direct.scoreEvaluations)
    errors.append(maxAbsDifference(result.samples, exact))
  }
  let slope = logLogSlope(steps.map { 1 / Double($0) }, errors)
  #expect(abs(slope - order) < 0.3, "\(kind): errors \(errors), slope \(slope)")
}

/// Every kind's short name maps to the kind and back; the deprecated spelling still builds the
/// same options.
@Test func samplerNamesRoundTrip() {
  for name in SamplerName.allCases {
    let kind = SamplerKind<Float>(name, steps: 7)
    #expect(kind.name == name)
    #expect(kind.isStochastic == name.isStochastic)
    #expect(kind.steps == (name == .adaptive || name == .adaptiveSDE ? nil : 7))
    #expect(SamplerKind<Float>(name).steps ?? 0 == name.defaultSteps)
  }
  #expect(SamplerName.dpmSolver.defaultSteps == 20)
  #expect(SamplerName.eulerMaruyama.defaultSteps == 1000)
  #expect(SamplerName.sra.defaultSteps == 100 && SamplerName.adaptiveSDE.defaultSteps == 0)
  #expect(SamplerName(rawValue: "adaptive-sde") == .adaptiveSDE && SamplerName(rawValue: "sra") == .sra)
  #expect(SamplerKind<Double>.sra(steps: 50).withSteps(10) == .sra(steps: 10))
  #expect(SamplerKind<Double>.adaptiveSDE().withSteps(10) == .adaptiveSDE())
  #expect(SamplerKind<Double>.adaptive == .probabilityFlow(.standard))
  #expect(SamplerKind<Double>.predictorCorrector() == .predictorCorrector(steps: 1000, spacing: .uniform))
}

/// `withSteps` keeps every other setting of a kind, and the deprecated `options.steps` reads and
/// writes the kind's steps.
@available(*, deprecated, message: "exercises the deprecated SamplingOptions.steps")
@Test func stepsCanBeChangedWithoutLosingTheOtherSettings() {
  let dpm = SamplerKind<Double>.dpmSolver(steps: 20, order: 3, spacing: .uniform)
  #expect(dpm.withSteps(10) == .dpmSolver(steps: 10, order: 3, spacing: .uniform))
  let pc = SamplerKind<Double>.predictorCorrector(corrector: LangevinOptions(signalToNoiseRatio: 0.1))
  #expect(
    pc.withSteps(5) == .predictorCorrector(steps: 5, corrector: LangevinOptions(signalToNoiseRatio: 0.1)))
  #expect(SamplerKind<Double>.adaptive.withSteps(5) == .adaptive)
  var options = SamplingOptions<Double>(kind: dpm)
  #expect(options.steps == 20)
  options.steps /= 2
  #expect(options.kind == .dpmSolver(steps: 10, order: 3, spacing: .uniform))
  #expect(
    SamplingOptions<Double>(kind: .dpmSolver, steps: 7, seed: 3)
      == SamplingOptions(kind: .dpmSolver(steps: 7), seed: 3))
}
