import LinearAlgebra
import RealModule
import TestSupport
import Testing

@Test(arguments: [false, true])
func affineUpdatesAreTheirFormulas(single: Bool) {
  func check<S: BLASScalar>(_: S.Type) {
    let x = Matrix<S>([[1, -2, 0.5], [4, 0, -3]])
    var out = Matrix<S>(rows: 2, columns: 3)
    // self ← a·x + b, with and without the offset.
    out.assign(x, scaledBy: -0.5, offset: 0)
    #expect(out == x * -0.5)
    out.assign(x, scaledBy: 2, offset: 0.25)
    #expect(out == Matrix([[2.25, -3.75, 1.25], [8.25, 0.25, -5.75]]))
    // self ← c·self + a·x + b, and the a = 1, b = 0 form.
    var y = Matrix<S>([[0.5, 1, -1], [2, -0.25, 0]])
    y.scale(by: 2, adding: x)
    #expect(y == Matrix([[2, 0, -1.5], [8, -0.5, -3]]))
    y.scale(by: 0.5, adding: x, scaledBy: -1, offset: 1)
    #expect(y == Matrix([[1, 3, -0.25], [1, 0.75, 2.5]]))
  }
  if single { check(Float.self) } else { check(Double.self) }
}

@Test(arguments: [false, true])
func isotropicLogDensityIsTheGaussianFormula(single: Bool) {
  func check<S: BLASScalar>(_: S.Type, tolerance: S) {
    let x = Matrix<S>([[0.3, -1.2, 2], [0, 0, 0]])
    let (mean, variance): (S, S) = (0.5, 2.5)
    let logp = x.isotropicGaussianLogDensity(mean: mean, variance: variance)
    for i in 0..<2 {
      var expected = -S(3) / 2 * S.log(2 * S.pi * variance)
      for j in 0..<3 { expected -= (x[i, j] - mean) * (x[i, j] - mean) / (2 * variance) }
      #expect(relativeError(logp[i], expected) < tolerance)
    }
  }
  if single { check(Float.self, tolerance: 1e-6) } else { check(Double.self, tolerance: 1e-15) }
}
