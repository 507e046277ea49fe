import DiffusionProcesses
import LinearAlgebra
import RealModule
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// Denoising score matching on matrix kernels: a coupled, anisotropic ``LinearSDE`` and
/// critically-damped Langevin diffusion's hybrid score matching.
@Suite struct LinearDenoisingTests {
  /// A stable, coupled 2-D drift and a full noise factor.
  static let coupled = try! LinearSDE<Double>(
    drift: Matrix([[-1, 0.8], [-0.6, -0.4]]), offset: [0.2, -0.1], noise: Matrix([[1, 0], [0.5, 0.7]]),
    schedule: .linear(betaMin: 0.1, betaMax: 8))
  static let dataMean = [0.6, -0.4]
  static let dataCovariance = Matrix<Double>([[0.5, 0.2], [0.2, 0.3]])

  /// Rows of `x₀ ~ N(μ, S)`.
  static func gaussianData(rows: Int, using rng: inout Xoshiro256) -> Matrix<Double> {
    let c = try! Cholesky(dataCovariance).lower
    var x = Matrix<Double>.randomNormal(rows: rows, columns: 2, using: &rng)
    x = Matrix.product(x, c, transposingB: true)
    x.addToEachRow(dataMean)
    return x
  }

  /// At the exact score the ε-loss of a matrix kernel is its minimum: with `f* = −Cᵀ s*(u_t)`
  /// (the noise prediction the exact score implies, `s = −C⁻ᵀ f`), `E‖f* − z‖² = D − tr(Σ_t Σ_u⁻¹)`
  /// with `Σ_u = Φ S Φᵀ + Σ_t` the covariance of `u_t`. Six times × 3000 rows each, against the
  /// closed form to 4.5 standard errors.
  @Test func linearSDELossIsTheClosedFormMinimumAtTheExactScore() throws {
    let process = Self.coupled
    let dsm = DenoisingScoreMatching(process: process)
    let oracle = try LinearGaussianMixtureScore(
      weights: [1], means: [Self.dataMean], covariances: [Self.dataCovariance], process: process)
    var rng = Xoshiro256(seed: 5)
    let rows = 3_000
    for t in [0.01, 0.05, 0.2, 0.4, 0.7, 1.0] {
      let x0 = Self.gaussianData(rows: rows, using: &rng)
      let z = Matrix<Double>.randomNormal(rows: rows, columns: 2, using: &rng)
      var batch = DenoisingBatch<Double>()
      dsm.prepare(x0, at: [Double](repeating: t, count: rows), noise: z, into: &batch)
      let kernel = process.marginalKernel(at: t)
      let c = try Cholesky(kernel.covariance).lower
      let score = oracle.score(batch.perturbed, at: t)
      let f = Matrix.product(score, c) * -1  // rows −Cᵀ sᵢ
      var losses = [Double](repeating: 0, count: rows)
      dsm.rowLosses(output: f, batch: batch, into: &losses)
      let phi = kernel.transition
      var sigmaU = Matrix.product(Matrix.product(phi, Self.dataCovariance), phi, transposingB: true)
      sigmaU = sigmaU + kernel.covariance
      let ratio = Matrix.product(kernel.covariance, try sigmaU.inverse())
      let expected = 2 - (ratio[0, 0] + ratio[1, 1])
      let (mean, se) = meanAndStandardError(losses)
      #expect(abs(mean - expected) <= 4.5 * se, "t = \(t): \(mean) ± \(se) vs \(expected)")
    }
  }

  /// Hybrid score matching at the exact score of `(x, v)`: with `f*ᵥ = −ℓᵛᵛ s*ᵥ(u_t)`, the loss on
  /// the velocities is `ℓᵛᵛ² tr(Eᵥ P Eᵥᵀ) − 2ℓᵛᵛ tr(Eᵥ P C Eᵥᵀ) + d` (`P = Σ_u⁻¹`, `C` the
  /// kernel-given-`x₀` factor, `Eᵥ` the velocity rows), against 3000 rows per time to 4.5 SE.
  @Test func hybridScoreMatchingLossIsTheClosedFormMinimumAtTheExactScore() throws {
    let cld = CriticallyDampedLangevin<Double>(dimension: 2)
    let dsm = DenoisingScoreMatching(process: cld)
    let oracle = try cld.oracle(weights: [1], means: [Self.dataMean], covariances: [Self.dataCovariance])
    var rng = Xoshiro256(seed: 6)
    let rows = 3_000
    let d = 2
    for t in [0.02, 0.1, 0.3, 0.6, 1.0] {
      let x0 = Self.gaussianData(rows: rows, using: &rng)
      let z = Matrix<Double>.randomNormal(rows: rows, columns: 2 * d, using: &rng)
      var batch = DenoisingBatch<Double>()
      dsm.prepare(x0, at: [Double](repeating: t, count: rows), noise: z, into: &batch)
      #expect(batch.lossColumns == d..<(2 * d))
      let k = cld.hybridKernel(at: t)
      let score = oracle.score(batch.perturbed, at: t)
      var f = Matrix<Double>(rows: rows, columns: 2 * d)
      for i in 0..<rows { for j in d..<(2 * d) { f[i, j] = -k.lvv * score[i, j] } }
      var losses = [Double](repeating: 0, count: rows)
      dsm.rowLosses(output: f, batch: batch, into: &losses)
      // Σ_u = Φ diag(S, γM) Φᵀ + Σ_t(0): the oracle's component, from the process's kernel.
      let kernel = cld.process.marginalKernel(at: t)
      var initial = Matrix<Double>(rows: 2 * d, columns: 2 * d)
      for i in 0..<d {
        for j in 0..<d { initial[i, j] = Self.dataCovariance[i, j] }
        initial[d + i, d + i] = cld.initialVelocityScale * cld.mass
      }
      let phi = kernel.transition
      let sigmaU = Matrix.product(Matrix.product(phi, initial), phi, transposingB: true) + kernel.covariance
      let p = try sigmaU.inverse()
      var factor = Matrix<Double>(rows: 2 * d, columns: 2 * d)
      for j in 0..<d {
        factor[j, j] = k.lxx
        factor[d + j, j] = k.lvx
        factor[d + j, d + j] = k.lvv
      }
      let pc = Matrix.product(p, factor)
      var expected = Double(d)
      for j in d..<(2 * d) { expected += k.lvv * k.lvv * p[j, j] - 2 * k.lvv * pc[j, j] }
      let (mean, se) = meanAndStandardError(losses)
      #expect(abs(mean - expected) <= 4.5 * se, "t = \(t): \(mean) ± \(se) vs \(expected)")
    }
  }

  /// The hybrid kernel's closed form is Van Loan's kernel from `Σ₀ = diag(0, γM)`:
  /// `Φ diag(0, γM) Φᵀ + Σ_t(0)` and the mean `Φ (x₀, 0)`, to 1e-10.
  @Test func hybridKernelIsTheKernelWithTheVelocityIntegratedOut() {
    let cld = CriticallyDampedLangevin<Double>(dimension: 1, mass: 0.3, initialVelocityScale: 0.1)
    for t in [1e-4, 0.01, 0.2, 0.5, 1.0] {
      let k = cld.hybridKernel(at: t)
      let kernel = cld.process.marginalKernel(at: t)
      let phi = kernel.transition
      let gm = cld.initialVelocityScale * cld.mass
      let xx = phi[0, 1] * phi[0, 1] * gm + kernel.covariance[0, 0]
      let xv = phi[0, 1] * phi[1, 1] * gm + kernel.covariance[0, 1]
      let vv = phi[1, 1] * phi[1, 1] * gm + kernel.covariance[1, 1]
      let c = k.covariance
      #expect(abs(c.xx - xx) <= 1e-10 * max(xx, 1e-12), "t = \(t): Σxx \(c.xx) vs \(xx)")
      #expect(abs(c.xv - xv) <= 1e-10, "t = \(t): Σxv \(c.xv) vs \(xv)")
      #expect(abs(c.vv - vv) <= 1e-10, "t = \(t): Σvv \(c.vv) vs \(vv)")
      #expect(abs(k.positionMean - phi[0, 0]) <= 1e-12 && abs(k.velocityMean - phi[1, 0]) <= 1e-12)
    }
  }

  /// The hybrid kernel against simulation: 8000 Euler–Maruyama paths of the CLD SDE from `x₀ = 0.7`
  /// and `v₀ ~ N(0, γM)` to `t = 0.3` (400 steps), whose mean and covariance match the closed form
  /// to 5 standard errors (the discretisation bias, O(Δt), is below one of them).
  @Test func hybridKernelMatchesSimulatedPaths() {
    let cld = CriticallyDampedLangevin<Double>(dimension: 1)
    let (x0, t, steps, paths) = (0.7, 0.3, 400, 8_000)
    let gamma = cld.friction
    let m = cld.mass
    var rng = Xoshiro256(seed: 17)
    var xs = [Double](repeating: 0, count: paths)
    var vs = [Double](repeating: 0, count: paths)
    let dt = t / Double(steps)
    for p in 0..<paths {
      var x = x0
      var v = (cld.initialVelocityScale * m).squareRoot() * Double.randomNormal(using: &rng)
      for s in 0..<steps {
        let beta = cld.process.beta(at: Double(s) * dt)
        let dx = beta * v / m * dt
        let dv =
          (-beta * x - beta * gamma * v / m) * dt + (2 * gamma * beta * dt).squareRoot()
          * Double.randomNormal(using: &rng)
        x += dx
        v += dv
      }
      xs[p] = x
      vs[p] = v
    }
    let k = cld.hybridKernel(at: t)
    let c = k.covariance
    let (mx, sx) = meanAndStandardError(xs)
    let (mv, sv) = meanAndStandardError(vs)
    #expect(abs(mx - k.positionMean * x0) <= 5 * sx, "E x: \(mx) vs \(k.positionMean * x0)")
    #expect(abs(mv - k.velocityMean * x0) <= 5 * sv, "E v: \(mv) vs \(k.velocityMean * x0)")
    let n = Double(paths)
    let varX = xs.map { ($0 - mx) * ($0 - mx) }.reduce(0, +) / (n - 1)
    let varV = vs.map { ($0 - mv) * ($0 - mv) }.reduce(0, +) / (n - 1)
    let cov = zip(xs, vs).map { ($0 - mx) * ($1 - mv) }.reduce(0, +) / (n - 1)
    #expect(abs(varX - c.xx) <= 5 * c.xx * (2 / n).squareRoot(), "Σxx \(varX) vs \(c.xx)")
    #expect(abs(varV - c.vv) <= 5 * c.vv * (2 / n).squareRoot(), "Σvv \(varV) vs \(c.vv)")
    #expect(abs(cov - c.xv) <= 5 * (c.xx * c.vv / n).squareRoot() * 1.5, "Σxv \(cov) vs \(c.xv)")
  }

  /// `LinearSDE(F = −½I, L = I)` is the VP SDE: the same batch (perturbed points to rounding, the
  /// same targets and weights) and the same loss and gradient for the same output.
  @Test func linearVPTrainsAsTheVPSDE() throws {
    let linear = try LinearSDE<Double>(drift: Matrix(diagonal: [-0.5, -0.5, -0.5]), noise: .identity(3))
    let vp = VPSDE<Double>()
    let a = DenoisingScoreMatching(process: linear)
    let b = DenoisingScoreMatching(process: vp)
    var rng = Xoshiro256(seed: 8)
    let x0 = Matrix<Double>.randomNormal(rows: 16, columns: 3, using: &rng)
    var batchA = DenoisingBatch<Double>()
    var batchB = DenoisingBatch<Double>()
    var rngA = Xoshiro256(seed: 9)
    var rngB = Xoshiro256(seed: 9)
    a.prepare(x0, into: &batchA, using: &rngA)
    b.prepare(x0, into: &batchB, using: &rngB)
    #expect(batchA.times == batchB.times)
    #expect(batchA.targets == batchB.targets)
    #expect(batchA.weights == batchB.weights)
    #expect(relativeDistance(batchA.perturbed, batchB.perturbed) < 1e-12)
    let f = Matrix<Double>.randomNormal(rows: 16, columns: 3, using: &rng)
    var gA = Matrix<Double>(rows: 16, columns: 3)
    var gB = Matrix<Double>(rows: 16, columns: 3)
    #expect(
      a.loss(output: f, batch: batchA, gradient: &gA) == b.loss(output: f, batch: batchB, gradient: &gB))
    #expect(gA == gB)
    // The score a network's noise prediction implies: −C⁻ᵀ f = −f/σ.
    let kernel = linear.noisePredictionScoreMatrix(at: 0.4, dimension: 3)
    let sigma = vp.marginal(at: 0.4).standardDeviation
    #expect(relativeDistance(kernel, Matrix(diagonal: [Double](repeating: -1 / sigma, count: 3))) < 1e-12)
  }

  /// A CLD network score model is `(0, −f_v/ℓᵛᵛ)`, and its exact divergence and vector–Jacobian
  /// products match central differences of that score.
  @Test func cldNetworkScoreModelDivergenceMatchesFiniteDifferences() {
    let cld = CriticallyDampedLangevin<Double>(dimension: 2)
    var rng = Xoshiro256(seed: 3)
    let network = MLP<Double>(
      configuration: MLPConfiguration(inputDimension: 4, width: 8, depth: 2), using: &rng)
    let model = NetworkScoreModel(network: network, process: cld)
    let x = Matrix<Double>.randomNormal(rows: 3, columns: 4, using: &rng)
    let t = 0.37
    var workspace = model.makeWorkspace(rows: 3)
    var score = Matrix<Double>(rows: 3, columns: 4)
    var divergence = [Double](repeating: 0, count: 3)
    model.scoreAndDivergence(x, at: t, into: &score, divergence: &divergence, workspace: &workspace)
    let f = network(x, times: .shared(t))
    let lvv = cld.hybridKernel(at: t).lvv
    for i in 0..<3 {
      for j in 0..<2 { #expect(score[i, j] == 0) }
      for j in 2..<4 { #expect(abs(score[i, j] + f[i, j] / lvv) <= 1e-12 * (1 + abs(score[i, j]))) }
    }
    let h = 1e-5
    let probe = Matrix<Double>.randomNormal(rows: 3, columns: 4, using: &rng)
    var vjp = Matrix<Double>(rows: 3, columns: 4)
    var again = Matrix<Double>(rows: 3, columns: 4)
    model.scoreAndVectorJacobianProduct(
      x, at: t, probe: probe, into: &again, vjp: &vjp, workspace: &workspace)
    #expect(again == score)
    for i in 0..<3 {
      var trace = 0.0
      var product = [Double](repeating: 0, count: 4)
      for j in 0..<4 {
        var plus = x.rows(i..<(i + 1))
        var minus = plus
        plus[0, j] += h
        minus[0, j] -= h
        let column = (model.score(plus, at: t) - model.score(minus, at: t)) * (1 / (2 * h))
        trace += column[0, j]
        for r in 0..<4 { product[j] += probe[i, r] * column[0, r] }
      }
      #expect(abs(trace - divergence[i]) <= 1e-6 * (1 + abs(trace)), "row \(i): \(divergence[i]) vs \(trace)")
      for j in 0..<4 {
        #expect(abs(product[j] - vjp[i, j]) <= 1e-6 * (1 + abs(product[j])), "vjp \(i), \(j)")
      }
    }
  }

  /// The hybrid loss's parameter gradient (through the network) against central differences of
  /// the loss, on 4 parameters of a small MLP; the position columns get no gradient.
  @Test func hybridLossParameterGradientMatchesFiniteDifferences() {
    let cld = CriticallyDampedLangevin<Double>(dimension: 2)
    let dsm = DenoisingScoreMatching(process: cld)
    var rng = Xoshiro256(seed: 12)
    let network = MLP<Double>(
      configuration: MLPConfiguration(inputDimension: 4, width: 6, depth: 2), using: &rng)
    let x0 = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
    var batch = DenoisingBatch<Double>()
    dsm.prepare(x0, into: &batch, using: &rng)
    var workspace = NetworkLossWorkspace(network: network, rows: 5)
    var gradients = network.makeGradients()
    _ = dsm.lossAndGradient(
      network: network, batch: batch, condition: nil, workspace: &workspace, gradients: &gradients)
    for j in 0..<2 { for i in 0..<5 { #expect(workspace.lastOutputGradient[i, j] == 0) } }
    let analytic = gradients.namedTensors()
    let h = 1e-6
    for entry in 0..<2 {
      for index in [0, 1] {
        func loss(_ delta: Double) -> Double {
          var copy = network
          var tensors = NamedTensors<Double>()
          for (k, tensor) in copy.namedTensors().entries.enumerated() {
            var values = tensor.values
            if k == entry { values.withUnsafeMutableBufferPointer { $0[index] += delta } }
            tensors.append(name: tensor.name, shape: tensor.shape, values: values)
          }
          try! copy.load(from: tensors)
          var ws = NetworkLossWorkspace(network: copy, rows: 5)
          return dsm.loss(network: copy, batch: batch, condition: nil, workspace: &ws)
        }
        let numeric = (loss(h) - loss(-h)) / (2 * h)
        let value = analytic.entries[entry].values.withUnsafeBufferPointer { $0[index] }
        #expect(
          abs(numeric - value) <= 1e-6 * (1 + abs(value)), "tensor \(entry)[\(index)]: \(value) vs \(numeric)"
        )
      }
    }
  }

  /// Options a matrix kernel does not define are refused by name.
  @Test func unsupportedOptionsAreNamed() {
    let cld = CriticallyDampedLangevin<Double>(dimension: 1)
    #expect(
      DenoisingScoreMatching.unsupportedOptions(
        process: cld, options: DenoisingOptions(parameterization: .data))?
        .contains("noise (ε) prediction only") == true)
    #expect(
      DenoisingScoreMatching.unsupportedOptions(
        process: cld, options: DenoisingOptions(weighting: .likelihood))
        != nil)
    #expect(DenoisingScoreMatching.unsupportedOptions(process: cld, options: DenoisingOptions()) == nil)
    #expect(
      DenoisingScoreMatching.unsupportedOptions(
        process: VPSDE<Double>(), options: DenoisingOptions(weighting: .likelihood))
        == nil)
  }
}

/// The mean of `values` and its standard error.
func meanAndStandardError(_ values: [Double]) -> (Double, Double) {
  let n = Double(values.count)
  let mean = values.reduce(0, +) / n
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
  return (mean, (variance / n).squareRoot())
}
