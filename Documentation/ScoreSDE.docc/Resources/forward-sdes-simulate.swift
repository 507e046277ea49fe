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
