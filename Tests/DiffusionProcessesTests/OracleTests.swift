import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// A fixed, well-conditioned 3 × 3 covariance `A Aᵀ + ½I`.
let covariance3: Matrix<Double> = {
  let a = Matrix<Double>([[1.0, 0.2, -0.4], [0.3, 0.8, 0.1], [-0.5, 0.4, 0.9]])
  return a * a.transposed() + Matrix(diagonal: [0.5, 0.5, 0.5])
}()

/// Three 2-D components with different full covariances.
func mixture<F: GaussianSDE<Double>>(_ process: F) throws -> GaussianMixtureScore<F> {
  try GaussianMixtureScore(
    weights: [2, 5, 3], means: [[-2, 0], [1.5, 1], [0.5, -1.5]],
    covariances: [
      Matrix([[0.3, 0.1], [0.1, 0.2]]), Matrix([[0.5, -0.2], [-0.2, 0.4]]), Matrix([[0.25, 0], [0, 0.6]]),
    ],
    process: process)
}

/// Checks score = ∇ log p (central differences of `logDensity`), and divergence and VJP against
/// the finite-difference Jacobian of `score`, at every row of `x`.
func checkDerivatives<M: DivergenceScoreModel>(
  _ model: M, logDensity: (Matrix<Double>) -> [Double], at x: Matrix<Double>, time t: Double,
  tolerance: Double, _ label: String
) where M.Scalar == Double, M.Workspace == Void {
  let (n, d) = (x.rows, x.columns)
  let h = 1e-5
  var score = Matrix<Double>(rows: n, columns: d)
  var divergence = [Double](repeating: .nan, count: n)
  var workspace: Void = ()
  model.scoreAndDivergence(x, at: t, into: &score, divergence: &divergence, workspace: &workspace)
  #expect(score == model.score(x, at: t), "\(label): scoreAndDivergence and score differ")
  var rng = Xoshiro256(seed: 3)
  let probe = Matrix<Double>.randomNormal(rows: n, columns: d, using: &rng)
  var score2 = Matrix<Double>(rows: n, columns: d)
  var vjp = Matrix<Double>(rows: n, columns: d)
  model.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &score2, vjp: &vjp, workspace: &workspace)
  #expect(score2 == score, "\(label): scoreAndVectorJacobianProduct and score differ")
  // jacobian[j] = ∂s/∂x_j for every row (column j of the Jacobian, row by row).
  var jacobian: [Matrix<Double>] = []
  for j in 0..<d {
    var plus = x
    var minus = x
    for i in 0..<n {
      plus[i, j] += h
      minus[i, j] -= h
    }
    let gradient = zip(logDensity(plus), logDensity(minus)).map { ($0 - $1) / (2 * h) }
    for i in 0..<n {
      #expect(
        abs(gradient[i] - score[i, j]) < tolerance * max(1, abs(score[i, j])), "\(label): score[\(i), \(j)]")
    }
    jacobian.append((model.score(plus, at: t) - model.score(minus, at: t)) * (1 / (2 * h)))
  }
  for i in 0..<n {
    // ∂sₖ/∂xⱼ = jacobian[j][i, k].
    let trace = (0..<d).reduce(0.0) { $0 + jacobian[$1][i, $1] }
    let size = (0..<d).reduce(1.0) { max($0, abs(jacobian[$1][i, $1])) }
    #expect(abs(divergence[i] - trace) < tolerance * size, "\(label): divergence[\(i)]")
    for k in 0..<d {
      // (vᵀ J)_k = Σⱼ vⱼ ∂sₖ/∂xⱼ... with J symmetric for a gradient field, either contraction.
      let expected = (0..<d).reduce(0.0) { $0 + probe[i, $1] * jacobian[$1][i, k] }
      #expect(abs(vjp[i, k] - expected) < tolerance * size * 4, "\(label): vjp[\(i), \(k)]")
    }
  }
}

@Test(arguments: [Process.vp, .ve, .ou])
func gaussianScoreDerivativesMatchFiniteDifferences(process: Process) throws {
  func check<F: GaussianSDE<Double>>(_ sde: F) throws {
    let oracle = try GaussianScore(mean: [0.5, -1, 2], covariance: covariance3, process: sde)
    var rng = Xoshiro256(seed: 8)
    for t in [0.0, 0.3, 0.9] {
      let x = Matrix<Double>.randomNormal(rows: 5, columns: 3, using: &rng) * 2
      checkDerivatives(
        oracle, logDensity: { oracle.logDensity($0, at: t) }, at: x, time: t, tolerance: 1e-7,
        "\(process) t = \(t)")
    }
  }
  try process.run { try check($0) }
}

@Test(arguments: [Process.vp, .ve, .ou, .subVP])
func mixtureScoreDerivativesMatchFiniteDifferences(process: Process) throws {
  func check<F: GaussianSDE<Double>>(_ sde: F) throws {
    let oracle = try mixture(sde)
    // Near each mode, between modes, and far out.
    let x = Matrix<Double>([[-2, 0.1], [1.4, 1.1], [0.6, -1.4], [-0.3, 0.4], [0.9, -0.2], [4, 3]])
    for t in [0.0, 0.05, 0.5] {
      checkDerivatives(
        oracle, logDensity: { oracle.logDensity($0, at: t) }, at: x, time: t, tolerance: 2e-6,
        "\(process) t = \(t)")
    }
  }
  try process.run { try check($0) }
}

@Test func logDensitiesEqualHandFormulas() throws {
  // 1-D N(0.7, 1.5²) at t = 0 (the data) and under VP at t = 0.4: N(a·0.7, a²·2.25 + s²).
  let vp = VPSDE<Double>()
  let one = try GaussianScore(mean: [0.7], covariance: Matrix([[2.25]]), process: vp)
  for x in [-1.0, 0.7, 3.2] {
    for t in [0.0, 0.4] {
      let (a, s) = vp.marginal(at: t)
      let v = a * a * 2.25 + s * s
      let m = a * 0.7
      let expected = -0.5 * Double.log(2 * Double.pi * v) - (x - m) * (x - m) / (2 * v)
      #expect(relativeError(one.logDensity(Matrix([[x]]), at: t)[0], expected) < 1e-14)
      #expect(relativeError(one.score(Matrix([[x]]), at: t)[0, 0], -(x - m) / v) < 1e-14)
    }
  }
  // 2-D N(μ, Σ) under OU (with shift) at t = 0 and 0.3, with the 2 × 2 inverse written out.
  let ou = OrnsteinUhlenbeckSDE<Double>(theta: 1.5, mean: 2, sigma: 1)
  let two = try GaussianScore(mean: [1, -0.5], covariance: Matrix([[2, 0.6], [0.6, 1]]), process: ou)
  for t in [0.0, 0.3] {
    let (a, s) = ou.marginal(at: t)
    let b = ou.marginalShift(at: t)
    let (p, q, r) = (a * a * 2 + s * s, a * a * 0.6, a * a * 1 + s * s)  // [[p, q], [q, r]]
    let det = p * r - q * q
    let m = (a * 1 + b, a * -0.5 + b)
    for (x, y) in [(0.0, 0.0), (1.3, -2.1), (-1, 1)] {
      let (u, w) = (x - m.0, y - m.1)
      let quadratic = (r * u * u - 2 * q * u * w + p * w * w) / det
      let expected = -Double.log(2 * Double.pi) - 0.5 * Double.log(det) - quadratic / 2
      #expect(relativeError(two.logDensity(Matrix([[x, y]]), at: t)[0], expected) < 1e-14)
      let score = two.score(Matrix([[x, y]]), at: t)
      #expect(abs(score[0, 0] + (r * u - q * w) / det) < 1e-14)
      #expect(abs(score[0, 1] + (-q * u + p * w) / det) < 1e-14)
    }
    #expect(maxAbsDifference(two.marginalCovariance(at: t), Matrix([[p, q], [q, r]])) < 1e-15)
    #expect(two.marginalMean(at: t) == [m.0, m.1])
  }
  // 1-D mixture 0.3·N(−1, 0.5²) + 0.7·N(2, 1) under VE at t = 0 and 0.2.
  let ve = VESDE<Double>()
  let mix = try GaussianMixtureScore(
    weights: [0.3, 0.7], means: [[-1], [2]], standardDeviations: [0.5, 1], process: ve)
  for t in [0.0, 0.2] {
    let s2 = ve.marginalVariance(at: t)
    func normal(_ x: Double, _ m: Double, _ v: Double) -> Double {
      Double.exp(-(x - m) * (x - m) / (2 * v)) / (2 * Double.pi * v).squareRoot()
    }
    for x in [-1.5, 0.4, 2.5] {
      let (n1, n2) = (0.3 * normal(x, -1, 0.25 + s2), 0.7 * normal(x, 2, 1 + s2))
      #expect(relativeError(mix.logDensity(Matrix([[x]]), at: t)[0], Double.log(n1 + n2)) < 1e-14)
      let score = (n1 * -(x + 1) / (0.25 + s2) + n2 * -(x - 2) / (1 + s2)) / (n1 + n2)
      #expect(abs(mix.score(Matrix([[x]]), at: t)[0, 0] - score) < 1e-14 * max(1, abs(score)))
      let r = mix.responsibilities(Matrix([[x]]), at: t)
      #expect(abs(r[0, 0] - n1 / (n1 + n2)) < 1e-14 && abs(r[0, 1] - n2 / (n1 + n2)) < 1e-14)
    }
  }
}

@Test(arguments: [false, true])
func mixtureIsStableFarFromEveryMode(single: Bool) throws {
  func check<S: BLASScalar>(_: S.Type, far x: Double) throws {
    // Every component density underflows at x (exponents below −700 in Double, −87 in Float).
    let mix = try GaussianMixtureScore<VPSDE<S>>(
      weights: [0.3, 0.7], means: [[-1], [1]], standardDeviations: [0.5, 0.5], process: VPSDE<S>())
    let logs = [(0.3, -1.0), (0.7, 1.0)].map { w, m in
      Double.log(w) - 0.5 * Double.log(2 * Double.pi * 0.25) - (x - m) * (x - m) / 0.5
    }
    let top = logs.max()!
    let expected = top + Double.log(logs.reduce(0) { $0 + Double.exp($1 - top) })
    let logp = mix.logDensity(Matrix<S>([[S(x)], [S(-x)]]), at: 0)
    #expect(relative(logp[0], expected) < 8 * Double(S.ulpOfOne))
    let score = mix.score(Matrix<S>([[S(x)], [S(-x)]]), at: 0)
    #expect(score.isFinite)
    // The nearest component dominates: s = −(x − μ)/σ² (the other one's weight is e^{−8x}).
    #expect(relative(score[0, 0], -(x - 1) / 0.25) < 8 * Double(S.ulpOfOne))
    #expect(relative(score[1, 0], -(-x + 1) / 0.25) < 8 * Double(S.ulpOfOne))
    var divergence = [S](repeating: 0, count: 2)
    var out = Matrix<S>(rows: 2, columns: 1)
    var workspace: Void = ()
    mix.scoreAndDivergence(
      Matrix<S>([[S(x)], [S(-x)]]), at: 0, into: &out, divergence: &divergence, workspace: &workspace)
    #expect(divergence.allSatisfy { abs(Double($0) + 4) < 1e-3 })
    let r = mix.responsibilities(Matrix<S>([[S(x)]]), at: 0)
    // r₀ = e^{ℓ₀ − ℓ₁}/(1 + e^{ℓ₀ − ℓ₁}) (1e-209 in Double, below Float's range): ℓₖ ≈ −7 000
    // are rounded to ~|ℓₖ| ulps each, which become relative errors of r₀.
    let r0 = Double.exp(logs[0] - logs[1]) / (1 + Double.exp(logs[0] - logs[1]))
    #expect(r[0, 1] == 1)
    let exponentError = 4 * (abs(logs[0]) + abs(logs[1])) * Double(S.ulpOfOne)
    #expect(abs(Double(r[0, 0]) - r0) <= exponentError * r0 + Double(S.leastNonzeroMagnitude))
  }
  if single { try check(Float.self, far: 20) } else { try check(Double.self, far: 60) }
}

@Test func oracleSamplesHaveTheDataMomentsAndWeights() throws {
  var rng = Xoshiro256(seed: 99)
  let n = 20_000
  let gaussian = try GaussianScore(
    mean: [1, -2], covariance: Matrix([[2, 0.6], [0.6, 1]]), process: VPSDE<Double>())
  let x = gaussian.sample(count: n, using: &rng)
  let mean = x.columnMeans()
  let cov = x.covariance()
  let sigma = gaussian.covariance
  for i in 0..<2 {
    #expect(abs(mean[i] - gaussian.mean[i]) < 5 * (sigma[i, i] / Double(n)).squareRoot())
    for j in 0..<2 {
      let se = ((sigma[i, i] * sigma[j, j] + sigma[i, j] * sigma[i, j]) / Double(n)).squareRoot()
      #expect(abs(cov[i, j] - sigma[i, j]) < 5 * se)
    }
  }
  let mix = try mixture(VESDE<Double>())
  let (samples, labels) = mix.sampleWithComponents(count: n, using: &rng)
  for k in 0..<3 {
    let w = mix.weights[k]
    let rows = labels.indices.filter { labels[$0] == k }
    let frequency = Double(rows.count) / Double(n)
    #expect(abs(frequency - w) < 5 * (w * (1 - w) / Double(n)).squareRoot())
    let componentMean = Matrix(rows.map { samples.row($0) }).columnMeans()
    for j in 0..<2 {
      let se = (mix.covariances[k][j, j] / Double(rows.count)).squareRoot()
      #expect(abs(componentMean[j] - mix.means[k][j]) < 5 * se)
    }
  }
  #expect(mix.weights == [0.2, 0.5, 0.3])
  // The average responsibility of data points estimates each weight.
  let r = mix.responsibilities(samples, at: 0).columnMeans()
  for k in 0..<3 { #expect(abs(r[k] - mix.weights[k]) < 5 * (0.25 / Double(n)).squareRoot()) }
}

@Test func perturbedDataHasTheOracleMarginal() throws {
  // Data from the oracle pushed through the kernel (OU, with its shift) has the moments the
  // oracle claims for p_t.
  let ou = OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: 1, sigma: 0.8)
  let oracle = try GaussianScore(mean: [1, -2], covariance: Matrix([[2, 0.6], [0.6, 1]]), process: ou)
  var rng = Xoshiro256(seed: 4)
  let n = 20_000
  let t = 0.3
  let (xt, _) = ou.perturb(oracle.sample(count: n, using: &rng), at: t, using: &rng)
  let sigma = oracle.marginalCovariance(at: t)
  let mean = oracle.marginalMean(at: t)
  let sampleMean = xt.columnMeans()
  let sampleCov = xt.covariance()
  for i in 0..<2 {
    #expect(abs(sampleMean[i] - mean[i]) < 5 * (sigma[i, i] / Double(n)).squareRoot())
    for j in 0..<2 {
      let se = ((sigma[i, i] * sigma[j, j] + sigma[i, j] * sigma[i, j]) / Double(n)).squareRoot()
      #expect(abs(sampleCov[i, j] - sigma[i, j]) < 5 * se)
    }
  }
}

@Test func singleComponentMixtureIsTheGaussianOracle() throws {
  let vp = VPSDE<Double>()
  let gaussian = try GaussianScore(mean: [0.5, -1, 2], covariance: covariance3, process: vp)
  let mix = try GaussianMixtureScore(
    weights: [1], means: [[0.5, -1, 2]], covariances: [covariance3], process: vp)
  var rng = Xoshiro256(seed: 1)
  let x = Matrix<Double>.randomNormal(rows: 7, columns: 3, using: &rng)
  #expect(maxAbsDifference(mix.score(x, at: 0.2), gaussian.score(x, at: 0.2)) < 1e-13)
  #expect(
    zip(mix.logDensity(x, at: 0.2), gaussian.logDensity(x, at: 0.2)).allSatisfy { abs($0 - $1) < 1e-13 })
}

@Test func floatOracleAgreesWithDouble() throws {
  let x = Matrix<Double>([[0.3, -0.7, 1.1], [2, 0, -1]])
  let double = try GaussianScore(mean: [0.5, -1, 2], covariance: covariance3, process: VPSDE<Double>())
  let single = try GaussianScore(
    mean: [0.5, -1, 2],
    covariance: Matrix(rows: 3, columns: 3, elements: covariance3.elements.map { Float($0) }),
    process: VPSDE<Float>())
  let xf = Matrix<Float>(rows: 2, columns: 3, elements: x.elements.map { Float($0) })
  let sd = double.score(x, at: 0.3)
  let sf = single.score(xf, at: 0.3)
  // cond(Σ_t) < 10 here: a few hundred Float ulps at most.
  for i in 0..<6 {
    #expect(abs(Double(sf.elements[i]) - sd.elements[i]) < 1e-5 * max(1, abs(sd.elements[i])))
  }
}

@Test func invalidParametersThrowTypedErrorsNamingTheComponent() {
  let vp = VPSDE<Double>()
  let good = Matrix<Double>([[1, 0], [0, 1]])
  #expect(throws: ScoreOracleError.covarianceNotPositiveDefinite(component: 1, leadingMinor: 2)) {
    try GaussianMixtureScore(
      weights: [0.5, 0.5], means: [[0, 0], [1, 1]], covariances: [good, Matrix([[1, 2], [2, 1]])], process: vp
    )
  }
  #expect(throws: ScoreOracleError.covarianceNotSymmetric(component: 0, row: 1, column: 0)) {
    try GaussianScore(mean: [0, 0], covariance: Matrix([[1, 0.5], [0.2, 1]]), process: vp)
  }
  #expect(throws: ScoreOracleError.nonFinite(component: 2, parameter: "mean")) {
    try GaussianMixtureScore(
      weights: [1, 1, 1], means: [[0, 0], [1, 1], [.nan, 0]], covariances: [good, good, good], process: vp)
  }
  #expect(throws: ScoreOracleError.covarianceNotPositiveDefinite(component: 0, leadingMinor: 1)) {
    try GaussianScore(mean: [0, 0], covariance: Matrix([[-1, 0], [0, 1]]), process: vp)
  }
  #expect(throws: ScoreOracleError.self) {
    try GaussianMixtureScore(
      weights: [0.5, -0.1], means: [[0], [1]], standardDeviations: [1, 1], process: vp)
  }
  #expect(throws: ScoreOracleError.invalidWeights(reason: "the weights sum to zero")) {
    try GaussianMixtureScore(weights: [0, 0], means: [[0], [1]], standardDeviations: [1, 1], process: vp)
  }
  #expect(throws: ScoreOracleError.covarianceNotPositiveDefinite(component: 1, leadingMinor: 1)) {
    try GaussianMixtureScore(weights: [1, 1], means: [[0], [1]], standardDeviations: [1, 0], process: vp)
  }
  let message = ScoreOracleError.covarianceNotPositiveDefinite(component: 1, leadingMinor: 2).description
  #expect(message.contains("Component 1") && message.contains("positive definite"))
}
