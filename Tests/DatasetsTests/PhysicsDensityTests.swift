import Datasets
import LinearAlgebra
import RealModule
import TestSupport
import Testing

@Suite struct PhysicsDensityTests {
  @Test(arguments: [(3.0, 1.0), (1.0, 2.0), (6.0, 0.5), (0.05, 1.0)])
  func doubleWellNormaliserIsConverged(barrier: Double, temperature: Double) {
    let well = DoubleWell(barrier: barrier, temperature: temperature)
    // Ten times the nodes, and independently Simpson's rule on a much wider interval.
    let fine = DoubleWell.marginalNormalizer(beta: well.beta, nodes: 20_001)
    #expect(abs(Double.log(fine) - well.logMarginalNormalizer) < 1e-12)
    let wide = simpson(from: -12, to: 12, intervals: 200_000) { x in
      Double.exp(-well.beta * (x * x - 1) * (x * x - 1))
    }
    #expect(abs(Double.log(wide) - well.logMarginalNormalizer) < 1e-10)
  }

  @Test func doubleWellDensityIsNormalisedAndMatchesThePotential() {
    let well = DoubleWell(barrier: 3, temperature: 1)
    let total = midpointIntegral2D(-2.5, 2.5, -8, 8, step: 0.02) {
      well.logDensity($0).map { Double.exp($0) }
    }
    #expect(abs(total - 1) < 1e-9)
    // log p differences are energy differences over T: wells at (±1, 0), barrier top at 0.
    let points = Matrix<Double>([[1, 0], [-1, 0], [0, 0], [1, 2]])
    let logp = well.logDensity(points)
    #expect(logp[0] == logp[1])
    #expect(abs((logp[0] - logp[2]) - 3) < 1e-12)
    #expect(abs((logp[0] - logp[3]) - 2) < 1e-12)
    #expect(well.potential(points) == [0, 0, 3, 2])
    #expect(abs(logp[0] + well.logNormalizer) < 1e-12)
  }

  func doubleWellSamplesMatchTheExactMarginal(barrier: Double, temperature: Double, seed: UInt64) {
    let well = DoubleWell(barrier: barrier, temperature: temperature)
    var rng = Xoshiro256(seed: seed)
    let n = 50_000
    let x: Matrix<Double> = well.sample(count: n, using: &rng)
    let x1 = x.column(0)
    // Histogram of x₁ in 12 bins on [−2.4, 2.4] against the quadrature of p₁ over each bin.
    for bin in 0..<12 {
      let lo = -2.4 + 0.4 * Double(bin)
      let p = simpson(from: lo, to: lo + 0.4, intervals: 400) { Double.exp(well.marginalLogDensity($0)) }
      expectFrequency(
        x1.filter { $0 >= lo && $0 < lo + 0.4 }.count, of: n, p, "T = \(temperature) bin \(bin)")
    }
    // Moments against quadrature, and x₂ ~ 𝒩(0, T).
    let m2 = simpson(from: -4, to: 4) { $0 * $0 * Double.exp(well.marginalLogDensity($0)) }
    let m4 = simpson(from: -4, to: 4) { Double.pow($0, 4) * Double.exp(well.marginalLogDensity($0)) }
    expectMean(x1, 0, "x1")
    expectMean(x1.map { $0 * $0 }, m2, "x1²")
    expectMean(x1.map { Double.pow($0, 4) }, m4, "x1⁴")
    expectMean(x.column(1).map { $0 * $0 }, temperature, "x2²")
  }

  @Test func doubleWellSamplerIsExact() {
    doubleWellSamplesMatchTheExactMarginal(barrier: 3, temperature: 1, seed: 21)
    doubleWellSamplesMatchTheExactMarginal(barrier: 3, temperature: 0.3, seed: 22)
    doubleWellSamplesMatchTheExactMarginal(barrier: 0.5, temperature: 2, seed: 23)
  }

  @Test func doubleWellFamilySamplesAnyTemperature() {
    let family = DoubleWellFamily(barrier: 3)
    var rng = Xoshiro256(seed: 24)
    // T = 0.25 lies outside the training range [0.5, 2].
    let cold: Matrix<Double> = family.sample(count: 20_000, parameter: 0.25, using: &rng)
    let well = DoubleWell(barrier: 3, temperature: 0.25)
    let m2 = simpson(from: -3, to: 3) { $0 * $0 * Double.exp(well.marginalLogDensity($0)) }
    expectMean(cold.column(0).map { $0 * $0 }, m2, "x1² at T = 0.25")
    expectMean(cold.column(1).map { $0 * $0 }, 0.25, "x2² at T = 0.25")
    let points = Matrix<Double>([[0.3, -0.2], [1.1, 0.5]])
    let a = family.logDensity(points, parameters: [0.25, 1.5])
    #expect(a[0] == well.logDensity(points.rows(0..<1))[0])
    #expect(a[1] == DoubleWell(barrier: 3, temperature: 1.5).logDensity(points.rows(1..<2))[0])
  }

  @Test func ringFamilySamplesAnyRadius() {
    let family = RingFamily(noise: 0.1)
    var rng = Xoshiro256(seed: 25)
    for r in [0.0, 2.0, 3.5] {
      let x: Matrix<Double> = family.sample(count: 20_000, parameter: r, using: &rng)
      expectMean(x.squaredRowNorms(), r * r + 2 * 0.01, "r = \(r)")
      let mass = simpson(from: 0, to: r + 1) { rho in
        2 * Double.pi * rho * Double.exp(family.logDensity(Matrix([[rho, 0.0]]), parameter: r)[0])
      }
      #expect(abs(mass - 1) < 1e-9, "r = \(r): ∫p = \(mass)")
    }
    // At r = 0 the ring is the Gaussian 𝒩(0, σ² I).
    let origin = family.logDensity(Matrix([[0.1, 0.2]]), parameter: 0)[0]
    #expect(abs(origin - (-Double.log(2 * Double.pi * 0.01) - 0.05 / 0.02)) < 1e-12)
  }

  @Test func jointFamilySamplesCarryTheirParameter() {
    let joint = RingFamily().joint
    #expect(joint.dimension == 3 && joint.conditioningColumns == 1)
    var rng = Xoshiro256(seed: 26)
    let x: Matrix<Double> = joint.sample(count: 20_000, using: &rng)
    let r = x.column(2)
    #expect(r.allSatisfy { $0 >= 1 && $0 <= 3 })
    expectMean(r, 2, "radius")
    // Each row's ‖x‖² − r² averages 2σ².
    let residual = (0..<x.rows).map { x[$0, 0] * x[$0, 0] + x[$0, 1] * x[$0, 1] - x[$0, 2] * x[$0, 2] }
    expectMean(residual, 0.02, "‖x‖² − r²")
    // The joint density is the conditional one times the uniform density 1/2 of r.
    let row = Matrix<Double>([[1.5, 0.4, 1.7]])
    let conditional = RingFamily().logDensity(Matrix([[1.5, 0.4]]), parameter: 1.7)[0]
    #expect(abs(joint.logDensity(row)[0] - (conditional - Double.log(2))) < 1e-12)
    #expect(joint.logDensity(Matrix([[1.5, 0.4, 3.5]]))[0] == -.infinity)
  }

  @Test func tetrahedronMixtureHasItsWeightsAndIsNormalised() {
    let mixture = GaussianMixture.tetrahedron
    var rng = Xoshiro256(seed: 27)
    let n = 20_000
    let x: Matrix<Float> = mixture.sample(count: n, using: &rng)
    #expect(x.columns == 3)
    var counts = [Int](repeating: 0, count: 4)
    var spread = [Double]()
    for i in 0..<n {
      let distances = mixture.means.map { m in
        (0..<3).reduce(0.0) { $0 + Double.pow(Double(x[i, $1]) - m[$1], 2) }
      }
      let k = distances.firstIndex(of: distances.min()!)!
      counts[k] += 1
      spread.append(distances[k])
    }
    for k in 0..<4 { expectFrequency(counts[k], of: n, mixture.weights[k], "component \(k)") }
    expectMean(spread, 3 * 0.25, "within-component ‖x − μ‖²")
    // ∫ p over a 3-D grid on [−6, 6]³ (midpoint rule, step 0.25) is 1.
    let h = 0.25
    let ticks = (0..<48).map { -6 + (Double($0) + 0.5) * h }
    var grid = Matrix<Double>(rows: 48 * 48 * 48, columns: 3)
    var row = 0
    for a in ticks {
      for b in ticks {
        for c in ticks {
          grid.setRow(row, to: [a, b, c])
          row += 1
        }
      }
    }
    let total = mixture.logDensity(grid).reduce(0) { $0 + Double.exp($1) } * h * h * h
    #expect(abs(total - 1) < 1e-9)
  }

  @Test func besselFunctionMatchesItsIntegralRepresentation() {
    // I₀(z)e^{−z} = (1/π) ∫₀^π exp(z(cos θ − 1)) dθ; the scaled log-density of a ring at ρ = r
    // exposes it: log p = log w − log(2πσ²) + log(I₀(z)e^{−z}), z = r²/σ².
    for z in [0.0, 0.5, 3, 24.9, 25.1, 80, 2000] {
      let reference =
        simpson(from: 0, to: Double.pi, intervals: 20_000) { Double.exp(z * (Double.cos($0) - 1)) }
        / Double.pi
      let sigma = 1.0
      let ring = NoisyRings(radii: [z.squareRoot()], noise: sigma)
      let got = ring.logDensity(Matrix([[z.squareRoot(), 0]]))[0] + Double.log(2 * Double.pi)
      #expect(abs(got - Double.log(reference)) < 1e-11, "z = \(z)")
    }
  }
}
