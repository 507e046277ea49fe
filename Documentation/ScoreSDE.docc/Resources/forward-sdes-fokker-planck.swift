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
