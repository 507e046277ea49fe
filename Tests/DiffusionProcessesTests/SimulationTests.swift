import DiffusionProcesses
import LinearAlgebra
import TestSupport
import Testing

/// Simulates 20 000 paths of the forward SDE from `x₀` with 1 000 Euler–Maruyama steps
/// (`x ← x + f(x, t)h + g(t)√h·z`, fixed seed) and compares the sample mean and variance at
/// t = 0.1, 0.5, 1 with the closed-form kernel `N(scale·x₀ + shift, std²)`, within 4.5
/// standard errors. The time-dependent coefficients are read at the middle of each step, which
/// removes the O(h) bias of left-point sampling (−h/t relative in the sub-VP variance near
/// t = 0.1, one standard error); what is left is EM's own O(h) bias, e.g. the VP chain's
/// stationary variance `1 + βh/4 ≈ 1.005` at β = 20, half a standard error (0.01).
@Test(arguments: Process.allCases)
func eulerMaruyamaMatchesKernel(process: Process) {
  let n = 20_000
  let steps = 1000
  let h = 1 / Double(steps)
  let x0 = 1.5
  var rng = Xoshiro256(seed: 2021, stream: UInt64(Process.allCases.firstIndex(of: process)!))
  process.run { sde in
    var x = Matrix<Double>(rows: n, columns: 1, repeating: x0)
    var f = Matrix<Double>(rows: n, columns: 1)
    var z = Matrix<Double>(rows: n, columns: 1)
    var checked = 0
    for k in 0..<steps {
      let t = (Double(k) + 0.5) * h
      sde.drift(x, at: t, into: &f)
      z.fillNormal(using: &rng)
      x.add(f, scaledBy: h)
      x.add(z, scaledBy: sde.diffusion(at: t) * h.squareRoot())
      guard [100, 500, 1000].contains(k + 1) else { continue }
      let time = Double(k + 1) * h
      let (a, s) = sde.marginal(at: time)
      let mean = a * x0 + sde.marginalShift(at: time)
      let variance = s * s
      let moments = SampleMoments(x.elements)
      let meanError = (variance / Double(n)).squareRoot()
      let varianceError = variance * (2 / Double(n - 1)).squareRoot()
      #expect(abs(moments.mean - mean) < 4.5 * meanError, "\(process) mean at t = \(time)")
      #expect(abs(moments.variance - variance) < 4.5 * varianceError, "\(process) variance at t = \(time)")
      checked += 1
    }
    #expect(checked == 3)
  }
}
