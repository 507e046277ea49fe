import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// A random symmetric `n × n` matrix of 1-norm `norm`.
func randomSymmetric(_ n: Int, norm: Double, using rng: inout Xoshiro256) -> Matrix<Double> {
  let b = Matrix<Double>.randomNormal(rows: n, columns: n, using: &rng)
  let s = (b + b.transposed()) * 0.5
  return s * (norm / s.oneNorm())
}

/// `e^A = V e^Λ Vᵀ` for a symmetric `A`, from LAPACK's `syevd`.
func eigenExponential(_ a: Matrix<Double>) throws -> Matrix<Double> {
  let (values, v) = try a.symmetricEigendecomposition()
  var scaled = v
  scaled.scaleColumns(by: values.map { Double.exp($0) })
  return Matrix.product(scaled, v, transposingB: true)
}

/// `Σₖ Aᵏ/k!` until the terms stop changing the sum (for small `‖A‖`).
func taylorExponential(_ a: Matrix<Double>) -> Matrix<Double> {
  var sum = Matrix<Double>.identity(a.rows)
  var term = sum
  for k in 1..<60 {
    term = term * a * (1 / Double(k))
    sum += term
    if term.maxAbs() < 1e-22 * sum.maxAbs() { break }
  }
  return sum
}

@Test(arguments: [0.01, 0.2, 1.0, 4.0, 20.0, 150.0])
func exponentialOfSymmetricMatchesEigendecomposition(norm: Double) throws {
  var rng = Xoshiro256(seed: 11)
  for n in [1, 3, 8, 20] {
    let a = randomSymmetric(n, norm: norm, using: &rng)
    let error = relativeDistance(try a.exponential(), try eigenExponential(a))
    // Measured (worst over n): 1.6e-15 up to ‖A‖₁ = 4, 1.8e-14 at 20, 2.7e-14 at 150 (the
    // squarings amplify rounding; the eigendecomposition reference has u·‖A‖ error of its own).
    #expect(error <= 1e-15 * max(4, 4 * norm), "n = \(n), ‖A‖₁ = \(norm): relative error \(error)")
  }
}

@Test(arguments: [1e-3, 0.1, 0.9])
func exponentialOfSmallNonNormalMatchesTaylorSeries(norm: Double) throws {
  var rng = Xoshiro256(seed: 12)
  for n in [2, 5, 12] {
    var a = Matrix<Double>.randomNormal(rows: n, columns: n, using: &rng)
    for i in 0..<n { for j in 0..<i { a[i, j] *= 0.05 } }  // strongly non-normal
    a = a * (norm / a.oneNorm())
    let error = relativeDistance(try a.exponential(), taylorExponential(a))
    // Measured ≤ 2.8e-16.
    #expect(error <= 4e-16 * Double(n), "n = \(n), ‖A‖₁ = \(norm): relative error \(error)")
  }
}

/// `[[a, b], [0, c]]` has `e^A = [[eᵃ, b(eᵃ − eᶜ)/(a − c)], [0, eᶜ]]`: non-normal and, for
/// `|b| ≫ |a − c|`, far from its eigenvalues in norm; stiff when `|a| ≫ |c|`.
@Test(arguments: [(-1.0, -2.0, 1e4), (-100.0, -1.0, 1e3), (-1000.0, -0.5, 50.0), (3.0, -40.0, 7.0)])
func exponentialOfStiffTriangularMatchesClosedForm(a: Double, c: Double, b: Double) throws {
  let m = Matrix<Double>([[a, b], [0, c]])
  let exact = Matrix<Double>([
    [Double.exp(a), b * (Double.exp(a) - Double.exp(c)) / (a - c)], [0, Double.exp(c)],
  ])
  let computed = try m.exponential()
  // Measured: 1.7e-13 for b = 10⁴ (the (0, 1) entry carries the non-normality), ≤ 3e-14 otherwise.
  // Entry-wise relative error: every entry is meaningful here.
  for i in 0..<2 {
    for j in 0..<2 where exact[i, j] != 0 {
      let error = relativeError(computed[i, j], exact[i, j])
      #expect(error <= 1e-12, "entry (\(i), \(j)) of exp([[\(a), \(b)], [0, \(c)]]): relative error \(error)")
    }
  }
  #expect(computed[1, 0] == 0)
}

@Test func exponentialInverseAndRotation() throws {
  var rng = Xoshiro256(seed: 13)
  for norm in [0.5, 5.0, 30.0] {
    var a = Matrix<Double>.randomNormal(rows: 6, columns: 6, using: &rng)
    a = a * (norm / a.oneNorm())
    let (e, inverse) = (try a.exponential(), try (-a).exponential())
    // Rounding in each factor is amplified by the other: bound by u·‖e^A‖·‖e^{−A}‖.
    let bound = 1e-14 * e.frobeniusNorm() * inverse.frobeniusNorm()
    #expect(maxAbsDifference(e * inverse, .identity(6)) <= bound)
  }
  let quarterTurn = try Matrix<Double>([[0, -Double.pi / 2], [Double.pi / 2, 0]]).exponential()
  #expect(maxAbsDifference(quarterTurn, Matrix([[0, -1], [1, 0]])) <= 1e-15)
  #expect(try Matrix<Double>(rows: 0, columns: 0).exponential().count == 0)
  #expect(throws: LinearAlgebraError.self) { try Matrix<Double>([[.nan]]).exponential() }
}

@Test func exponentialInFloatRoundsTheDoubleResult() throws {
  var rng = Xoshiro256(seed: 14)
  let a = randomSymmetric(5, norm: 3, using: &rng)
  let single = try a.converted(to: Float.self).exponential()
  let reference = try eigenExponential(a.converted(to: Float.self).converted(to: Double.self))
  #expect(Double(relativeDistance(single.converted(to: Double.self), reference)) <= 2e-7)
}

// MARK: - Van Loan and Lyapunov

/// Integrates `dΣ/ds = FΣ + ΣFᵀ + Q` and `dm/ds = F m + c` from 0 over `h` by RK4 in `steps`.
func integrateMomentODEs(
  _ f: Matrix<Double>, _ c: [Double], _ q: Matrix<Double>, _ h: Double, steps: Int
) -> (mean: [Double], covariance: Matrix<Double>, transition: Matrix<Double>) {
  let d = f.rows
  // State: [Σ | Φ | m] as d × (2d + 1); dΦ/ds = FΦ.
  func rhs(_ y: Matrix<Double>) -> Matrix<Double> {
    var sigma = Matrix<Double>(rows: d, columns: d)
    var phi = Matrix<Double>(rows: d, columns: d)
    var m = Matrix<Double>(rows: d, columns: 1)
    for i in 0..<d {
      for j in 0..<d { sigma[i, j] = y[i, j]; phi[i, j] = y[i, d + j] }
      m[i, 0] = y[i, 2 * d]
    }
    let fs = f * sigma
    let dSigma = fs + fs.transposed() + q
    let dPhi = f * phi
    let dm = f * m
    var out = Matrix<Double>(rows: d, columns: 2 * d + 1)
    for i in 0..<d {
      for j in 0..<d { out[i, j] = dSigma[i, j]; out[i, d + j] = dPhi[i, j] }
      out[i, 2 * d] = dm[i, 0] + c[i]
    }
    return out
  }
  var y = Matrix<Double>(rows: d, columns: 2 * d + 1)
  for i in 0..<d { y[i, d + i] = 1 }
  let dt = h / Double(steps)
  for _ in 0..<steps {
    let k1 = rhs(y)
    let k2 = rhs(y + k1 * (dt / 2))
    let k3 = rhs(y + k2 * (dt / 2))
    let k4 = rhs(y + k3 * dt)
    y += (k1 + k2 * 2 + k3 * 2 + k4) * (dt / 6)
  }
  var sigma = Matrix<Double>(rows: d, columns: d)
  var phi = Matrix<Double>(rows: d, columns: d)
  for i in 0..<d { for j in 0..<d { sigma[i, j] = y[i, j]; phi[i, j] = y[i, d + j] } }
  return ((0..<d).map { y[$0, 2 * d] }, sigma, phi)
}

/// A coupled, anisotropic, non-normal stable drift and a full noise factor (d = 3).
let coupledDrift = Matrix<Double>([[-1.0, 2.0, 0.0], [-0.5, -0.3, 0.4], [0.2, 0.0, -2.5]])
let coupledNoise = Matrix<Double>([[1.0, 0.0, 0.0], [0.3, 0.5, 0.0], [-0.2, 0.1, 0.8]])

@Test(arguments: [0.01, 0.7, 3.0])
func vanLoanMatchesLyapunovODE(duration: Double) throws {
  let q = Matrix.product(coupledNoise, coupledNoise, transposingB: true)
  let c = [0.5, -1.0, 0.25]
  let kernel = try LinearTransition(drift: coupledDrift, offset: c, noiseCovariance: q, duration: duration)
  let reference = integrateMomentODEs(coupledDrift, c, q, duration, steps: 4000)
  let covarianceError = relativeDistance(kernel.covariance, reference.covariance)
  let transitionError = relativeDistance(kernel.transition, reference.transition)
  let shiftError = relativeDistance(
    Matrix(rows: 3, columns: 1, elements: kernel.shift), Matrix(rows: 3, columns: 1, elements: reference.mean)
  )
  // Measured: Σ 2.0e-15, 1.6e-15, 2.8e-15 and Φ 1.3e-15, 2.4e-15, 2.0e-14 for h = 0.01, 0.7, 3
  // (RK4 with 4000 steps is itself accurate to ~1e-14 here).
  #expect(covarianceError <= 1e-11, "covariance relative error \(covarianceError)")
  #expect(transitionError <= 1e-11, "transition relative error \(transitionError)")
  #expect(shiftError <= 1e-11, "shift relative error \(shiftError)")
  #expect(
    try Matrix.vanLoanCovariance(drift: coupledDrift, noiseCovariance: q, duration: duration)
      == kernel.covariance)
}

@Test func vanLoanStaysAccurateOverLongAndStiffDurations() throws {
  // VP: F = −½I, Q = I: Σ(B) = (1 − e^{−B}) I, exact to rounding even for B = 10⁴.
  for b in [1e-8, 1e-3, 10.05, 60.0, 1e4] {
    let k = try LinearTransition(drift: .identity(2) * -0.5, noiseCovariance: .identity(2), duration: b)
    let variance = -Double.expMinusOne(-b)
    #expect(
      relativeError(k.covariance[0, 0], variance) <= 1e-14, "B = \(b): \(k.covariance[0, 0]) vs \(variance)")
    #expect(k.covariance[0, 1] == 0)
    #expect(relativeError(k.transition[1, 1], Double.exp(-b / 2), floor: 1e-300) <= 1e-13)
  }
  // Long horizon of a non-normal stable drift: Σ(h) = Σ∞ − Φ Σ∞ Φᵀ.
  let q = Matrix.product(coupledNoise, coupledNoise, transposingB: true)
  let stationary = try Matrix.lyapunovSolution(drift: coupledDrift, noiseCovariance: q)
  for h in [5.0, 40.0] {
    let k = try LinearTransition(drift: coupledDrift, noiseCovariance: q, duration: h)
    let expected = stationary - k.transition * stationary * k.transition.transposed()
    #expect(relativeDistance(k.covariance, expected) <= 1e-13)
  }
}

@Test func lyapunovSolutionSatisfiesTheEquation() throws {
  var rng = Xoshiro256(seed: 15)
  for n in [1, 3, 6] {
    // A stable non-normal drift: −(n + 1)I plus a random matrix of smaller norm.
    let f =
      Matrix<Double>.randomNormal(rows: n, columns: n, using: &rng) - Matrix.identity(n) * Double(2 * n + 2)
    let l = Matrix<Double>.randomNormal(rows: n, columns: n, using: &rng)
    let q = Matrix.product(l, l, transposingB: true)
    let sigma = try Matrix.lyapunovSolution(drift: f, noiseCovariance: q)
    let residual = f * sigma + sigma * f.transposed() + q
    #expect(residual.maxAbs() <= 1e-13 * q.maxAbs() * Double(n))
    #expect(throws: Never.self) { try sigma.cholesky() }
  }
  #expect(throws: LinearAlgebraError.self) {
    try Matrix.lyapunovSolution(drift: Matrix<Double>([[0, 1], [-1, 0]]), noiseCovariance: .identity(2))
  }
}
