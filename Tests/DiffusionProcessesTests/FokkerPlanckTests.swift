import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The kernel `q(x, t) = N(x; scale(t)·x₀ + shift(t), std(t)²)` of a 1-D SDE must solve the
/// Fokker–Planck equation `∂ₜq = −∂ₓ(f q) + ½g²∂ₓₓq`. Every derivative is a central finite
/// difference (δt = 1e-4, δx = 1e-3·std) of the closed-form density and of `drift`; the
/// residual must vanish to 1e-5 of the largest term (the truncation errors are ~1e-6).
@Test(arguments: Process.allCases)
func kernelSolvesFokkerPlanck(process: Process) {
  let x0 = 0.8
  process.run { sde in
    func density(_ x: Double, _ t: Double) -> Double {
      let (a, s) = sde.marginal(at: t)
      let m = a * x0 + sde.marginalShift(at: t)
      return Double.exp(-(x - m) * (x - m) / (2 * s * s)) / (s * (2 * Double.pi).squareRoot())
    }
    func drift(_ x: Double, _ t: Double) -> Double {
      sde.drift(Matrix<Double>([[x]]), at: t)[0, 0]
    }
    for t in [0.2, 0.6, 0.97] {
      let (a, s) = sde.marginal(at: t)
      let m = a * x0 + sde.marginalShift(at: t)
      let (dt, dx) = (1e-4, 1e-3 * s)
      let g = sde.diffusion(at: t)
      for k in [-2.0, -0.7, 0.3, 1.5] {
        let x = m + k * s
        let timeDerivative = (density(x, t + dt) - density(x, t - dt)) / (2 * dt)
        let flux =
          (drift(x + dx, t) * density(x + dx, t) - drift(x - dx, t) * density(x - dx, t)) / (2 * dx)
        let curvature = (density(x + dx, t) - 2 * density(x, t) + density(x - dx, t)) / (dx * dx)
        let diffusionTerm = g * g / 2 * curvature
        let residual = timeDerivative + flux - diffusionTerm
        let scale = max(abs(timeDerivative), abs(flux), abs(diffusionTerm))
        #expect(abs(residual) < 1e-5 * scale, "\(process) at t = \(t), x = m + \(k)·std")
      }
    }
  }
}
