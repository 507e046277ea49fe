// Tutorial 2, "Forward SDEs and their kernels": the four processes, their Gaussian kernels, the
// Fokker–Planck equation the kernels solve, and the kernels against a simulation of the SDE.
import Foundation
import ScoreSDE
import Testing

// snippet: forward-sdes-processes
/// The four forward processes of the package, in one dimension each.
let forwardProcesses: [(name: String, sde: any GaussianSDE<Double>)] = [
  ("Ornstein–Uhlenbeck", OrnsteinUhlenbeckSDE(theta: 1, mean: 0.5, sigma: 1)),
  ("VP", VPSDE(betaMin: 0.1, betaMax: 20)),
  ("sub-VP", SubVPSDE(betaMin: 0.1, betaMax: 20)),
  ("VE", VESDE(sigmaMin: 0.01, sigmaMax: 50)),
]
// end-snippet

// snippet: forward-sdes-kernel
/// The kernel p_t(x | x₀) = N(x; a(t)·x₀ + b(t), σ(t)²) of a 1-D process.
func kernelDensity(_ sde: some GaussianSDE<Double>, x: Double, t: Double, from x0: Double) -> Double {
  let (a, sigma) = sde.marginal(at: t)
  let mean = a * x0 + sde.marginalShift(at: t)
  let z = (x - mean) / sigma
  return exp(-z * z / 2) / (sigma * (2 * Double.pi).squareRoot())
}
// end-snippet

// snippet: forward-sdes-fokker-planck
/// The Fokker–Planck residual ∂p/∂t + ∂(f p)/∂x − ½g²∂²p/∂x² of the kernel at (x, t), with the
/// derivatives by central differences, and the size |∂p/∂t| to compare it with.
func fokkerPlanckResidual(
  _ sde: some GaussianSDE<Double>, x: Double, t: Double, from x0: Double
) -> (residual: Double, timeDerivative: Double) {
  let (ht, hx) = (1e-5, 1e-3)
  let (c, offset) = sde.linearDrift(at: t)  // f(x, t) = c(t)·x + offset(t)
  func p(_ x: Double, _ t: Double) -> Double { kernelDensity(sde, x: x, t: t, from: x0) }
  func flux(_ x: Double) -> Double { (c * x + offset) * p(x, t) }
  let dpdt = (p(x, t + ht) - p(x, t - ht)) / (2 * ht)
  let dflux = (flux(x + hx) - flux(x - hx)) / (2 * hx)
  let d2p = (p(x + hx, t) - 2 * p(x, t) + p(x - hx, t)) / (hx * hx)
  let g = sde.diffusion(at: t)
  return (dpdt + dflux - g * g / 2 * d2p, abs(dpdt))
}
// end-snippet

/// Every kernel solves its Fokker–Planck equation: the residual is below 10⁻⁴ of |∂p/∂t| at
/// every point of a grid across the kernel (a kernel with the wrong variance or mean gives a
/// residual of the order of ∂p/∂t itself).
@Test func kernelsSolveTheFokkerPlanckEquation() {
  // snippet: forward-sdes-check-fokker-planck
  for (name, sde) in forwardProcesses {
    var worst = 0.0
    var scale = 0.0
    for t in [0.3, 0.7] {
      let (a, sigma) = sde.marginal(at: t)
      let mean = a * 1.5 + sde.marginalShift(at: t)
      for k in -12...12 {
        let x = mean + Double(k) / 4 * sigma
        let (residual, dpdt) = fokkerPlanckResidual(sde, x: x, t: t, from: 1.5)
        worst = max(worst, abs(residual))
        scale = max(scale, dpdt)
      }
    }
    print("\(name): largest Fokker–Planck residual \(worst), largest |∂p/∂t| \(scale)")
    // end-snippet
    #expect(worst < 1e-4 * scale, "\(name): residual \(worst) against |∂p/∂t| up to \(scale)")
    // snippet: forward-sdes-check-fokker-planck
  }
  // end-snippet
}

/// The kernel is the law of the SDE: 4000 Euler–Maruyama paths (400 steps from x₀ = 1.5 to
/// t = 0.5) have the kernel's mean and variance within 4.5 standard errors (plus the O(Δt) bias
/// of the scheme, below 1% here).
@Test func kernelsMatchSimulatedPaths() {
  for (name, sde) in forwardProcesses {
    // snippet: forward-sdes-simulate
    let (paths, steps, endTime) = (4000, 400, 0.5)
    let dt = endTime / Double(steps)
    var rng = Xoshiro256(seed: 7)
    var x = Matrix<Double>(rows: paths, columns: 1, repeating: 1.5)
    var drift = Matrix<Double>(rows: paths, columns: 1)
    var noise = Matrix<Double>(rows: paths, columns: 1)
    for step in 0..<steps {
      let t = Double(step) * dt
      sde.drift(x, at: t, into: &drift)  // f(x, t), one row per path
      noise.fillNormal(using: &rng)
      x.add(drift, scaledBy: dt)  // x += f dt + g √dt z
      x.add(noise, scaledBy: sde.diffusion(at: t) * dt.squareRoot())
    }
    let simulatedMean = x.columnMeans()[0]
    let simulatedVariance = x.covariance()[0, 0]
    let (a, sigma) = sde.marginal(at: endTime)
    print(
      "\(name): mean \(simulatedMean) (kernel \(a * 1.5 + sde.marginalShift(at: endTime))),",
      "variance \(simulatedVariance) (kernel \(sigma * sigma))")
    // end-snippet
    let n = Double(paths)
    let meanError = abs(simulatedMean - (a * 1.5 + sde.marginalShift(at: endTime)))
    #expect(meanError < 4.5 * sigma / n.squareRoot() + 0.01 * sigma, "\(name): mean off by \(meanError)")
    let varianceError = abs(simulatedVariance - sigma * sigma)
    #expect(
      varianceError < 4.5 * sigma * sigma * (2 / n).squareRoot() + 0.01 * sigma * sigma,
      "\(name): variance \(simulatedVariance) against \(sigma * sigma)")
  }
}
