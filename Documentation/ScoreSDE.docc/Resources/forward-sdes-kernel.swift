/// The kernel p_t(x | x₀) = N(x; a(t)·x₀ + b(t), σ(t)²) of a 1-D process.
func kernelDensity(_ sde: some GaussianSDE<Double>, x: Double, t: Double, from x0: Double) -> Double {
  let (a, sigma) = sde.marginal(at: t)
  let mean = a * x0 + sde.marginalShift(at: t)
  let z = (x - mean) / sigma
  return exp(-z * z / 2) / (sigma * (2 * Double.pi).squareRoot())
}
