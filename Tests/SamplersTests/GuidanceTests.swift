import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// A conditional family with exact scores: `x | c ~ N(c·u, σ²I)` in 2-D with `u = (1, −1)/√2`,
/// `σ² = 0.1`, and with `c ~ N(0, τ²)`, `τ² = 2`, the unconditional `x ~ N(0, σ²I + τ²uuᵀ)` (its
/// score is the null-condition head). Conditions are per row.
struct ShiftedGaussianFamily<Forward: GaussianSDE>: ConditionalScoreModel where Forward.Scalar == Double {
  static var direction: [Double] { [1 / 2.0.squareRoot(), -1 / 2.0.squareRoot()] }
  static var variance: Double { 0.1 }
  static var priorVariance: Double { 2 }

  let process: Forward
  let unconditional: GaussianScore<Forward>

  init(process: Forward) {
    self.process = process
    let u = Self.direction
    var covariance = Matrix<Double>(diagonal: [Self.variance, Self.variance])
    for i in 0..<2 { for j in 0..<2 { covariance[i, j] += Self.priorVariance * u[i] * u[j] } }
    unconditional = try! GaussianScore(mean: [0, 0], covariance: covariance, process: process)
  }

  var conditionDimension: Int { 1 }

  func score(
    _ x: Matrix<Double>, at t: Double, condition: Matrix<Double>?, into out: inout Matrix<Double>,
    workspace: inout Void
  ) {
    guard let condition else {
      unconditional.score(x, at: t, into: &out)
      return
    }
    precondition(condition.rows == x.rows && condition.columns == 1)
    let (a, s) = process.marginal(at: t)
    let v = a * a * Self.variance + s * s
    for i in 0..<x.rows {
      for j in 0..<2 { out[i, j] = -(x[i, j] - a * condition[i, 0] * Self.direction[j]) / v }
    }
  }
}

/// The guided score is `(1 + w)·s(x, t, c) − w·s(x, t, ∅)` exactly, `w = 0` is the conditional
/// score, and `ConditionedScore` is `s(x, t, c)`; workspaces adapt to any batch size.
@Test func guidanceFormula() {
  let sde = VPSDE<Double>()
  let family = ShiftedGaussianFamily(process: sde)
  var rng = Xoshiro256(seed: 40)
  for rows in [5, 2, 5] {
    let x = Matrix<Double>.randomNormal(rows: rows, columns: 2, using: &rng)
    var conditional = Matrix<Double>(rows: rows, columns: 2)
    var workspace: Void = ()
    family.score(
      x, at: 0.3, condition: Matrix(rows: rows, columns: 1, repeating: 1.5), into: &conditional,
      workspace: &workspace)
    var unconditional = Matrix<Double>(rows: rows, columns: 2)
    family.score(x, at: 0.3, condition: nil, into: &unconditional, workspace: &workspace)
    for w in [0.0, 0.5, 3.0] {
      let guided = ClassifierFreeGuidance(model: family, condition: [1.5], weight: w).score(x, at: 0.3)
      let expected = conditional * (1 + w) - unconditional * w
      #expect(maxAbsDifference(guided, expected) < 1e-12, "w = \(w)")
    }
    #expect(ConditionedScore(model: family, condition: [1.5]).score(x, at: 0.3) == conditional)
  }
  // One workspace reused across batch sizes and conditions gives the same answers.
  let guidance = ClassifierFreeGuidance(model: family, condition: [-0.5], weight: 2)
  var workspace = guidance.makeWorkspace(rows: 8)
  for rows in [8, 3, 8] {
    let x = Matrix<Double>.randomNormal(rows: rows, columns: 2, using: &rng)
    var out = Matrix<Double>(rows: rows, columns: 2)
    guidance.score(x, at: 0.6, into: &out, workspace: &workspace)
    #expect(out == guidance.score(x, at: 0.6))
  }
}

/// Sampling with a bound condition draws from `p(x | c) = N(c·u, σ²I)`.
@Test(arguments: [SamplerName.eulerMaruyama, .dpmSolver])
func conditionedSamplingDrawsFromTheConditional(kind: SamplerName) throws {
  let sde = VPSDE<Double>()
  let c = 1.5
  let model = ConditionedScore(model: ShiftedGaussianFamily(process: sde), condition: [c])
  let options = SamplingOptions<Double>(
    kind: SamplerKind(kind, steps: kind == .dpmSolver ? 40 : 400), seed: 41)
  let samples = try Sampler(process: sde, score: model, options: options).sample(count: 3000, dimension: 2)
    .samples
  expectMoments(
    samples, mean: ShiftedGaussianFamily<VPSDE<Double>>.direction.map { c * $0 },
    covariance: Matrix(diagonal: [0.1, 0.1]), "\(kind), condition \(c)")
}

/// Classifier-free guidance through a sampler. Along `u` both heads are Gaussian, so the guided
/// probability flow is the scalar linear ODE `dy/dt = −½β·y − ½β·s̃(y, t)` with
/// `s̃ = −(1 + w)(y − a·c)/(a²σ² + s²) + w·y/(a²(σ² + τ²) + s²)`; integrating it here (RK4, 4000
/// steps, independent of the library) from the prior `N(0, 1)` gives the guided output `N(B, A²)`
/// along `u` (for w = 2: mean 1.78 > c = 1.5, pushed away from the unconditional mean 0).
/// Across `u` both heads agree, so the output is `N(0, σ²)`. 3000 samples of the RK4 sampler match
/// both within 4.5 standard errors.
@Test func classifierFreeGuidanceMatchesGuidedFlow() throws {
  let sde = VPSDE<Double>()
  let (c, w) = (1.5, 2.0)
  typealias Family = ShiftedGaussianFamily<VPSDE<Double>>
  let (sigma2, tau2) = (Family.variance, Family.priorVariance)
  // y(ε) = A·y(T) + B for the scalar flow: integrate (A, B) as y with y(T) = 1 and y(T) = 0.
  func velocity(_ y: Double, _ t: Double) -> Double {
    let (a, s) = sde.marginal(at: t)
    let beta = sde.beta(at: t)
    let guided = -(1 + w) * (y - a * c) / (a * a * sigma2 + s * s) + w * y / (a * a * (sigma2 + tau2) + s * s)
    return -beta / 2 * y - beta / 2 * guided
  }
  func flow(_ y0: Double) -> Double {
    let steps = 4000
    let h = (1e-5 - 1) / Double(steps)
    var y = y0
    for i in 0..<steps {
      let t = 1 + Double(i) * h
      let k1 = velocity(y, t)
      let k2 = velocity(y + h / 2 * k1, t + h / 2)
      let k3 = velocity(y + h / 2 * k2, t + h / 2)
      let k4 = velocity(y + h * k3, t + h)
      y += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    }
    return y
  }
  let b = flow(0)
  let a = flow(1) - b
  let guidance = ClassifierFreeGuidance(model: Family(process: sde), condition: [c], weight: w)
  let options = SamplingOptions<Double>(kind: .probabilityFlow(.rungeKutta4(steps: 100)), seed: 42)
  let samples = try Sampler(process: sde, score: guidance, options: options).sample(count: 3000, dimension: 2)
    .samples
  // Rotate to (along u, across u).
  let u = Family.direction
  var rotated = Matrix<Double>(rows: 3000, columns: 2)
  for i in 0..<3000 {
    rotated[i, 0] = u[0] * samples[i, 0] + u[1] * samples[i, 1]
    rotated[i, 1] = -u[1] * samples[i, 0] + u[0] * samples[i, 1]
  }
  #expect(b > c, "guidance should push the mean past c: \(b)")
  expectMoments(rotated, mean: [b, 0], covariance: Matrix(diagonal: [a * a, sigma2]), "guided, w = \(w)")
}

/// 3-D Gaussian data with coordinate 0 observed at y = 1.2.
enum InpaintingData {
  static let mean: [Double] = [0.5, -1, 0]
  static let covariance = Matrix<Double>([[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 0.6]])
}

/// Replacement inpainting: the observed coordinate equals the observation exactly in every sample
/// (per-sample observations included, in every batch split), and when the observed and unobserved
/// blocks are independent the unobserved block keeps its exact distribution.
@Test func inpaintingKeepsObservationsAndIndependentBlocks() throws {
  let sde = VPSDE<Double>()
  // Independent blocks: coordinate 0 alone, (1, 2) correlated among themselves.
  let covariance = Matrix<Double>([[1.0, 0, 0], [0, 1.0, 0.5], [0, 0.5, 0.6]])
  let oracle = try GaussianScore(mean: InpaintingData.mean, covariance: covariance, process: sde)
  var options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 400), seed: 43)
  options.observation = Observation(columns: [0], values: [1.2])
  let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: 3000, dimension: 3)
    .samples
  #expect(samples.column(0).allSatisfy { $0 == 1.2 })
  let unobserved = Matrix<Double>((0..<3000).map { [samples[$0, 1], samples[$0, 2]] })
  expectMoments(
    unobserved, mean: [-1, 0], covariance: Matrix([[1.0, 0.5], [0.5, 0.6]]), "independent block")

  // Per-sample observations, batch-size independent.
  let values = Matrix<Double>(rows: 50, columns: 2, elements: (0..<100).map { Double($0) / 50 - 1 })
  var perSample = SamplingOptions<Double>(kind: .ancestral(steps: 30), seed: 44)
  perSample.observation = Observation(columns: [2, 0], values: values)
  let whole = try Sampler(process: sde, score: oracle, options: perSample).sample(count: 50, dimension: 3)
    .samples
  perSample.batchSize = 7
  let split = try Sampler(process: sde, score: oracle, options: perSample).sample(count: 50, dimension: 3)
    .samples
  #expect(whole == split)
  for i in 0..<50 {
    #expect(whole[i, 2] == values[i, 0] && whole[i, 0] == values[i, 1])
  }
}

/// With correlated blocks, replacement moves the unobserved coordinates towards the exact
/// posterior `p(x_u | x_o = y)` (mean −0.44, 0.21) from the prior (−1, 0) but, as documented, not
/// all the way: 200 000 samples measured 62 % of the way for EM (mean −0.654), 85 % with one
/// Langevin corrector step per step over 1000 steps. Checked: between 45 % and 80 % for EM, and PC
/// closer than EM.
@Test func inpaintingMovesTowardsThePosterior() throws {
  let sde = VPSDE<Double>()
  let oracle = try GaussianScore(
    mean: InpaintingData.mean, covariance: InpaintingData.covariance, process: sde)
  let y = 1.2
  let exact = InpaintingData.mean[1] + 0.8 * (y - InpaintingData.mean[0])
  func fraction(_ kind: SamplerName) throws -> Double {
    var options = SamplingOptions<Double>(kind: SamplerKind(kind, steps: 400), seed: 45)
    options.observation = Observation(columns: [0], values: [y])
    let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: 2000, dimension: 3)
      .samples
    let m = samples.columnMeans()[1]
    return (m - InpaintingData.mean[1]) / (exact - InpaintingData.mean[1])
  }
  let em = try fraction(.eulerMaruyama)
  #expect(em > 0.45 && em < 0.8, "EM moved \(em) of the way")
  let pc = try fraction(.predictorCorrector)
  #expect(pc > em, "PC moved \(pc) of the way, EM \(em)")
}
