import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The linear-kernel oracle on a ``GaussianSDE`` is the scalar one: ``LinearGaussianMixtureScore``
/// under VP, sub-VP, VE and OU agrees with ``GaussianMixtureScore`` (score, log-density, divergence,
/// vector-Jacobian products) to rounding.
@Test(arguments: [Process.vp, .subVP, .ve, .ou])
func linearMixtureOracleAgreesWithScalarOracle(process: Process) throws {
  func check<F: GaussianSDE<Double>>(_ sde: F) throws {
    let scalar = try mixture(sde)
    let linear = try LinearGaussianMixtureScore(
      weights: scalar.weights, means: scalar.means, covariances: scalar.covariances, process: sde)
    var rng = Xoshiro256(seed: 21)
    let x = Matrix<Double>.randomNormal(rows: 30, columns: 2, using: &rng) * 2
    let probe = Matrix<Double>.randomNormal(rows: 30, columns: 2, using: &rng)
    for t in [0.01, 0.4, 1.0] {
      var (s1, s2) = (Matrix<Double>(rows: 30, columns: 2), Matrix<Double>(rows: 30, columns: 2))
      var (d1, d2) = ([Double](repeating: 0, count: 30), [Double](repeating: 0, count: 30))
      var workspace: Void = ()
      scalar.scoreAndDivergence(x, at: t, into: &s1, divergence: &d1, workspace: &workspace)
      linear.scoreAndDivergence(x, at: t, into: &s2, divergence: &d2, workspace: &workspace)
      #expect(relativeDistance(s2, s1) <= 1e-12, "\(process) score at t = \(t)")
      for (a, b) in zip(d2, d1) {
        #expect(abs(a - b) <= 1e-11 * max(1, abs(b)), "\(process) divergence at t = \(t)")
      }
      for (a, b) in zip(linear.logDensity(x, at: t), scalar.logDensity(x, at: t)) {
        #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(process) log-density at t = \(t)")
      }
      var (v1, v2) = (s1, s2)
      scalar.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &s1, vjp: &v1, workspace: &workspace)
      linear.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &s2, vjp: &v2, workspace: &workspace)
      #expect(relativeDistance(v2, v1) <= 1e-11, "\(process) vjp at t = \(t)")
    }
  }
  try process.run { try check($0) }
}

/// Under the coupled 3-D ``LinearSDE``, the mixture oracle's score is the gradient of its
/// log-density and its divergence and VJPs match the finite-difference Jacobian; its marginal
/// moments are the data's pushed through the moment ODEs (`ΦΣΦᵀ + Σ_t` for each component).
@Test func linearMixtureOracleUnderCoupledProcess() throws {
  let sde = CoupledProcess.sde()
  let oracle = try LinearGaussianMixtureScore(
    weights: [0.3, 0.7], means: [[-1.5, 0.5, 0], [1, -1, 0.5]],
    covariances: [covariance3 * 0.2, Matrix(diagonal: [0.3, 0.1, 0.2])], process: sde)
  var rng = Xoshiro256(seed: 22)
  for t in [0.05, 0.5, 1.0] {
    let x = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)
    checkDerivatives(
      oracle, logDensity: { oracle.logDensity($0, at: t) }, at: x, time: t, tolerance: 1e-6,
      "coupled t = \(t)")
  }
  // A Gaussian pushed through the kernel: covariance ΦΣΦᵀ + Σ_t against the moment ODE started at Σ.
  let gaussian = try LinearGaussianMixtureScore(mean: [1, 0, -1], covariance: covariance3, process: sde)
  let t = 0.3
  let k = sde.marginalKernel(at: t)
  let pushed = k.transition * covariance3 * k.transition.transposed() + k.covariance
  #expect(relativeDistance(gaussian.marginalCovariance(at: t), pushed) <= 1e-14)
  let mean = zip(k.transition.multiplied(by: [1, 0, -1]), k.shift).map { $0 + $1 }
  #expect(zip(gaussian.marginalMean(at: t), mean).allSatisfy { abs($0 - $1) <= 1e-14 })
  // Data drawn from the oracle and perturbed by the process have the oracle's marginal moments.
  let n = 20_000
  let data = gaussian.sample(count: n, using: &rng)
  var xt = Matrix<Double>(rows: n, columns: 3)
  sde.perturb(
    data, at: [Double](repeating: t, count: n), noise: .randomNormal(rows: n, columns: 3, using: &rng),
    into: &xt)
  let sampleMean = xt.columnMeans()
  let sampleCovariance = xt.covariance()
  for i in 0..<3 {
    #expect(abs(sampleMean[i] - mean[i]) < 5 * (pushed[i, i] / Double(n)).squareRoot())
    for j in 0..<3 {
      let se = ((pushed[i, i] * pushed[j, j] + pushed[i, j] * pushed[i, j]) / Double(n)).squareRoot()
      #expect(abs(sampleCovariance[i, j] - pushed[i, j]) < 5 * se)
    }
  }
}
