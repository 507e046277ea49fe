let x0: [Double] = [1, -1, 0.5]
let (paths, steps, endTime) = (4000, 400, 0.5)
let dt = endTime / Double(steps)
var rng = Xoshiro256(seed: 3)
var x = Matrix<Double>(rows: paths, columns: 3)
for i in 0..<paths { x.setRow(i, to: x0) }
var f = Matrix<Double>(rows: paths, columns: 3)
var z = Matrix<Double>(rows: paths, columns: 3)
var lz = Matrix<Double>(rows: paths, columns: 3)
for step in 0..<steps {
  let t = Double(step) * dt
  sde.drift(x, at: t, into: &f)  // β(t)(F x + c), one row per path
  z.fillNormal(using: &rng)
  lz.formProduct(z, noise, transposingB: true)  // rows L z
  x.add(f, scaledBy: dt)
  x.add(lz, scaledBy: sde.diffusion(at: t) * dt.squareRoot())  // √β(t) √Δt L z
}
let kernelMean = zip(kernel.transition.multiplied(by: x0), kernel.shift).map { $0 + $1 }
print("simulated mean", x.columnMeans(), "kernel", kernelMean)
print("simulated covariance", x.covariance().elements, "kernel", kernel.covariance.elements)
