import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

@Test(arguments: [false, true])
func perturbationIsScaleTimesDataPlusShiftPlusStdTimesNoise(single: Bool) {
  func check<S: BLASScalar>(_ sde: some GaussianSDE<S>) {
    var rng = Xoshiro256(seed: 5)
    let x0 = Matrix<S>.randomNormal(rows: 6, columns: 3, using: &rng)
    let noise = Matrix<S>.randomNormal(rows: 6, columns: 3, using: &rng)
    let times: [S] = [1e-5, 0.1, 0.3, 0.5, 0.8, 1]
    var xt = Matrix<S>(rows: 6, columns: 3)
    var stds = [S](repeating: 0, count: 6)
    sde.perturb(x0, at: times, noise: noise, into: &xt, standardDeviations: &stds)
    var scoreFromNoise = Matrix<S>(rows: 6, columns: 3)
    var scoreFromPoints = Matrix<S>(rows: 6, columns: 3)
    sde.conditionalScore(noise: noise, at: times, into: &scoreFromNoise)
    sde.conditionalScore(xt, given: x0, at: times, into: &scoreFromPoints)
    for i in 0..<6 {
      let (a, s) = sde.marginal(at: times[i])
      let b = sde.marginalShift(at: times[i])
      #expect(stds[i] == s)
      for j in 0..<3 {
        #expect(xt[i, j] == a * x0[i, j] + b + s * noise[i, j])
        // Multiplication by the rounded reciprocal −1/std: two roundings.
        let expected = -noise[i, j] / s
        #expect(abs(scoreFromNoise[i, j] - expected) <= 2 * S.ulpOfOne * abs(expected))
        // From (x_t, x₀) the score recomputes the noise, to rounding relative to x_t / std².
        let tolerance = 8 * S.ulpOfOne * (abs(xt[i, j]) + abs(x0[i, j]) + 1) / (s * s)
        #expect(abs(scoreFromPoints[i, j] - scoreFromNoise[i, j]) <= tolerance)
      }
    }
    // The allocating form with a generator gives back the noise it used.
    var g1 = Xoshiro256(seed: 9)
    var g2 = Xoshiro256(seed: 9)
    let (perturbed, z) = sde.perturb(x0, at: 0.4, using: &g1)
    #expect(z == Matrix<S>.randomNormal(rows: 6, columns: 3, using: &g2))
    var expected = Matrix<S>(rows: 6, columns: 3)
    sde.perturb(x0, at: [S](repeating: 0.4, count: 6), noise: z, into: &expected)
    #expect(perturbed == expected)
  }
  func all<S: BLASScalar>(_: S.Type) {
    check(VPSDE<S>())
    check(SubVPSDE<S>())
    check(VESDE<S>())
    check(OrnsteinUhlenbeckSDE<S>(theta: 2, mean: -1, sigma: 0.5))
  }
  if single { all(Float.self) } else { all(Double.self) }
}

@Test(arguments: Process.allCases)
func parameterisationConversionsAgree(process: Process) {
  // From a known x₀ and ε, x = scale·x₀ + shift + std·ε; each parameterisation of the truth
  // (score −ε/std, noise ε, data x₀) must convert exactly into each other one.
  var rng = Xoshiro256(seed: 17)
  let x0 = Matrix<Double>.randomNormal(rows: 4, columns: 2, using: &rng)
  let eps = Matrix<Double>.randomNormal(rows: 4, columns: 2, using: &rng)
  process.run { sde in
    for t in [0.05, 0.5, 0.9] {
      let (a, s) = sde.marginal(at: t)
      let b = sde.marginalShift(at: t)
      let x = x0 * a + eps * s + Matrix(rows: 4, columns: 2, repeating: b)
      // EDM's F = ((1 − c_skip)·x₀ − c_skip·σ̃·ε)/c_out, σ̃ = σ/a, σ_data = 1 (Karras et al. 2022).
      let sigma = s / a
      let cOut = sigma / (sigma * sigma + 1).squareRoot()
      let f = (x0 * (sigma * sigma / (sigma * sigma + 1)) - eps * (sigma / (sigma * sigma + 1))) * (1 / cOut)
      let truth: [Parameterization: Matrix<Double>] = [
        .data: x0, .noise: eps, .score: eps * (-1 / s), .edm(): f,
      ]
      for source in Parameterization.allCases {
        for target in Parameterization.allCases {
          var m = truth[source]!
          sde.convert(&m, from: source, to: target, given: x, at: t)
          let scale = truth[target]!.maxAbs() + x.maxAbs() / min(a, s) / (target == .score ? s : 1)
          #expect(maxAbsDifference(m, truth[target]!) < 1e-13 * scale, "\(source) → \(target) at \(t)")
          // The per-row-times form agrees with the single-time form.
          var perRow = truth[source]!
          sde.convert(&perRow, from: source, to: target, given: x, at: [Double](repeating: t, count: 4))
          #expect(perRow == m)
        }
      }
    }
  }
}

@Test func scoreFromNoiseIsMinusNoiseOverStd() {
  let sde = VPSDE<Double>()
  let x = Matrix<Double>([[0.3, -0.2]])
  var m = Matrix<Double>([[1.0, 2.0]])
  sde.convert(&m, from: .noise, to: .score, given: x, at: 0.5)
  let s = sde.marginal(at: 0.5).standardDeviation
  #expect(m == Matrix([[-1 / s, -2 / s]]))
  // Tweedie: x₀ = (x + std²·score)/scale.
  let a = sde.marginal(at: 0.5).scale
  var tweedie = Matrix<Double>([[0.5, 0.25]])
  sde.convert(&tweedie, from: .score, to: .data, given: x, at: 0.5)
  #expect(abs(tweedie[0, 0] - (0.3 + s * s * 0.5) / a) < 1e-14)
  #expect(abs(tweedie[0, 1] - (-0.2 + s * s * 0.25) / a) < 1e-14)
}
