import DiffusionProcesses
import Foundation
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The Van Loan kernel of ``CriticallyDampedLangevin``'s ``LinearSDE`` equals the closed form of
/// Dockhorn et al. (2022, App. B.1): `Φ` per coordinate, no coupling across coordinates, and
/// the covariance from a point (`Σ₀ = 0`) and from the paper's initial law `diag(σ², γM)`
/// (`ΦΣ₀Φᵀ + Σ_t`), for the paper's `M = 0.25` and for `M = 1`; the prior is `N(0, diag(I, M I))`.
@Test(arguments: [0.25, 1.0])
func cldKernelMatchesPaperClosedForm(mass: Double) {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2, mass: mass)
  let sde = cld.process
  #expect(cld.friction * cld.friction == 4 * mass)
  #expect(sde.hasStationaryPrior)
  #expect(relativeDistance(sde.priorCovariance, Matrix(diagonal: [1, 1, mass, mass])) <= 1e-14)
  #expect(sde.priorMean.allSatisfy { abs($0) <= 1e-15 })
  let d = 2
  for t in [1e-3, 0.05, 0.3, 1.0] {
    let b = sde.schedule.integratedBeta(at: t)
    #expect(abs(b - 4 * t) <= 1e-15)
    let k = sde.marginalKernel(at: t)
    let phi = cld.closedFormTransition(integratedBeta: b)
    let fromPoint = cld.closedFormCovariance(
      integratedBeta: b, initialPositionVariance: 0, initialVelocityVariance: 0)
    let (sxx, svv) = (0.3, cld.initialVelocityScale * mass)
    let fromLaw = cld.closedFormCovariance(
      integratedBeta: b, initialPositionVariance: sxx, initialVelocityVariance: svv)
    let sigma0 = Matrix<Double>(diagonal: [sxx, sxx, svv, svv])
    let pushed = k.transition * sigma0 * k.transition.transposed() + k.covariance
    for i in 0..<d {
      for (r, c) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let (row, column) = (r * d + i, c * d + i)
        #expect(
          abs(k.transition[row, column] - phi[r, c]) <= 1e-14 * max(1, abs(phi[r, c])),
          "Φ[\(r), \(c)] at t = \(t)")
        #expect(
          abs(k.covariance[row, column] - fromPoint[r, c]) <= 1e-13
            * max(abs(fromPoint[0, 0]), abs(fromPoint[1, 1])),
          "Σ from a point [\(r), \(c)] at t = \(t): \(k.covariance[row, column]) vs \(fromPoint[r, c])")
        #expect(
          abs(pushed[row, column] - fromLaw[r, c]) <= 1e-13 * max(abs(fromLaw[0, 0]), abs(fromLaw[1, 1])),
          "Σ from diag(σ², γM) [\(r), \(c)] at t = \(t)")
      }
      // No coupling between coordinates.
      for j in 0..<(2 * d) where j % d != i {
        #expect(k.transition[i, j] == 0 && k.covariance[i, j] == 0)
      }
    }
  }
  // Only the velocity is noised: at small B, Σᵛᵛ ≈ 2ΓB and Σˣˣ ≈ 2ΓB³/(3M²) (noise reaches x
  // through the velocity only).
  let b = sde.schedule.integratedBeta(at: 1e-3)
  let small = sde.marginalKernel(at: 1e-3).covariance
  let gamma = cld.friction
  #expect(relativeError(small[d, d], 2 * gamma * b) < 0.02)
  #expect(relativeError(small[0, 0], 2 * gamma * b * b * b / (3 * mass * mass)) < 0.02)
}

/// Forward Euler–Maruyama paths of CLD (`d = 1`, `β = 4`) from a fixed `(x₀, v₀)` match the
/// kernel's mean and covariance at `t = 0.25, 1` within 5 standard errors: 4 000 paths × 400
/// steps by default, 50 000 × 2 000 with `LINEAR_SDE_HEAVY` set.
@Test(arguments: [false, true])
func cldKernelMatchesSimulation(heavy: Bool) {
  if heavy && ProcessInfo.processInfo.environment["LINEAR_SDE_HEAVY"] == nil { return }
  let (n, steps) = heavy ? (50_000, 2000) : (4000, 400)
  let cld = CriticallyDampedLangevin<Double>(dimension: 1)
  let sde = cld.process
  let u0 = [1.2, -0.3]
  var rng = Xoshiro256(seed: 2022)
  var u = Matrix<Double>(rows: n, columns: 2)
  for i in 0..<n { u.setRow(i, to: u0) }
  var f = Matrix<Double>(rows: n, columns: 2)
  var z = Matrix<Double>(rows: n, columns: 2)
  let h = 1 / Double(steps)
  for k in 0..<steps {
    let t = (Double(k) + 0.5) * h
    sde.drift(u, at: t, into: &f)
    z.fillNormal(using: &rng)
    u.add(f, scaledBy: h)
    u.formProduct(z, sde.noise, transposingB: true, alpha: (sde.beta(at: t) * h).squareRoot(), beta: 1)
    guard k + 1 == steps / 4 || k + 1 == steps else { continue }
    let time = Double(k + 1) * h
    let kernel = sde.marginalKernel(at: time)
    let mean = kernel.transition.multiplied(by: u0)
    let c = kernel.covariance
    let sampleMean = u.columnMeans()
    let sampleCovariance = u.covariance()
    for i in 0..<2 {
      #expect(
        abs(sampleMean[i] - mean[i]) < 5 * (c[i, i] / Double(n)).squareRoot(), "mean[\(i)] at t = \(time)")
      for j in 0..<2 {
        let se = ((c[i, i] * c[j, j] + c[i, j] * c[i, j]) / Double(n)).squareRoot()
        #expect(abs(sampleCovariance[i, j] - c[i, j]) < 5 * se, "cov[\(i), \(j)] at t = \(time)")
      }
    }
  }
}

/// The CLD oracle of `(x, v)` is the block-diagonal mixture pushed through the kernel: at `t = 0`
/// its marginal is the data's with `v ~ N(0, γM)`, and its score is the gradient of its
/// log-density at positive times.
@Test func cldOracleIsTheAugmentedMixture() throws {
  let cld = CriticallyDampedLangevin<Double>(dimension: 2)
  let oracle = try cld.oracle(
    weights: [0.4, 0.6], means: [[-1, 0.5], [1.5, -0.5]],
    covariances: [Matrix([[0.2, 0.05], [0.05, 0.1]]), Matrix(diagonal: [0.15, 0.3])])
  #expect(oracle.dimension == 4)
  let c0 = oracle.marginalCovariance(at: 0)
  #expect(abs(c0[2, 2] - 0.04 * 0.25) <= 1e-15 && c0[0, 2] == 0)
  var rng = Xoshiro256(seed: 31)
  for t in [0.1, 0.6] {
    let x = Matrix<Double>.randomNormal(rows: 4, columns: 4, using: &rng) * 0.7
    checkDerivatives(
      oracle, logDensity: { oracle.logDensity($0, at: t) }, at: x, time: t, tolerance: 1e-6, "CLD t = \(t)")
  }
  let u = cld.augment(Matrix<Double>([[1, 2], [3, 4]]), using: &rng)
  #expect(cld.positions(u) == Matrix([[1, 2], [3, 4]]))
}
