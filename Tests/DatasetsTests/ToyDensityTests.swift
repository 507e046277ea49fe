import Datasets
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// |sample mean − expected| < 5 standard errors, for the values `values`.
func expectMean(
  _ values: [Double], _ expected: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let m = SampleMoments(values)
  #expect(
    abs(m.mean - expected) < 5 * m.standardErrorOfMean,
    "\(what): mean \(m.mean), expected \(expected) ± \(5 * m.standardErrorOfMean)",
    sourceLocation: sourceLocation)
}

/// Binomial frequency check: count/n = p within 5 standard errors.
func expectFrequency(
  _ count: Int, of n: Int, _ p: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let se = (p * (1 - p) / Double(n)).squareRoot()
  let f = Double(count) / Double(n)
  #expect(
    abs(f - p) < 5 * se, "\(what): frequency \(f), expected \(p) ± \(5 * se)", sourceLocation: sourceLocation)
}

@Suite struct ToyDensityTests {
  func checkerboard<S: BLASScalar>(_: S.Type) {
    var rng = Xoshiro256(seed: 11)
    let n = 40_000
    let x: Matrix<S> = Checkerboard().sample(count: n, using: &rng)
    #expect(x.shape == (n, 2))
    let logp = Checkerboard().logDensity(x)
    #expect(logp.allSatisfy { $0 == -S.log(32) }, "every sample lies on a black square")
    // Each of the 8 black squares and each of the 8 unit-2 strips of either marginal holds 1/8.
    var squares = [Int: Int]()
    var strips1 = [Int](repeating: 0, count: 4)
    var strips2 = [Int](repeating: 0, count: 4)
    for i in 0..<n {
      let a = Int(((x[i, 0] + 4) / 2).rounded(.down))
      let b = Int(((x[i, 1] + 4) / 2).rounded(.down))
      #expect((0..<4).contains(a) && (0..<4).contains(b))
      squares[a * 4 + b, default: 0] += 1
      strips1[a] += 1
      strips2[b] += 1
    }
    #expect(squares.count == 8)
    for (square, count) in squares { expectFrequency(count, of: n, 1.0 / 8, "square \(square)") }
    for k in 0..<4 {
      expectFrequency(strips1[k], of: n, 1.0 / 4, "x1 strip \(k)")
      expectFrequency(strips2[k], of: n, 1.0 / 4, "x2 strip \(k)")
    }
    // Uniform marginal: mean 0, variance 64/12.
    expectMean(x.column(0).map { Double($0) }, 0, "x1")
    expectMean(x.column(0).map { Double($0) * Double($0) }, 64.0 / 12, "x1²")
  }

  @Test func checkerboardFloat() { checkerboard(Float.self) }
  @Test func checkerboardDouble() { checkerboard(Double.self) }

  @Test func checkerboardMatchesTheReferenceConstruction() {
    // torch_ref.py: x1 = 4u1 − 2 ∈ [−2, 2); x2 = u2 − 2b + (floor(x1) mod 2); result ×2. So for
    // x1 ∈ [0, 2) (floor 0 or 1 → squares of x1/2 ∈ [0,1) and [1,2)) the black squares are known.
    let board = Checkerboard()
    let black: [(Double, Double)] = [(-3, 1), (-3, -3), (-1, 3), (-1, -1), (1, 1), (1, -3), (3, 3), (3, -1)]
    let white: [(Double, Double)] = [(-3, 3), (-3, -1), (-1, 1), (-1, -3), (1, 3), (1, -1), (3, 1), (3, -3)]
    let b = board.logDensity(Matrix(black.map { [$0.0, $0.1] }))
    let w = board.logDensity(Matrix(white.map { [$0.0, $0.1] }))
    #expect(b.allSatisfy { $0 == -Double.log(32) })
    #expect(w.allSatisfy { $0 == -.infinity })
    #expect(
      board.logDensity(Matrix([[4.0, 0.5], [0.5, -4.5], [.nan, 1]])).allSatisfy { $0 == -.infinity })
    let total = midpointIntegral2D(-5, 5, -5, 5, step: 0.05) { board.logDensity($0).map { Double.exp($0) } }
    #expect(abs(total - 1) < 1e-12)
  }

  func eightGaussians<S: BLASScalar>(_: S.Type) {
    var rng = Xoshiro256(seed: 12)
    let n = 40_000
    let mixture = GaussianMixture.eightGaussians
    let x: Matrix<S> = mixture.sample(count: n, using: &rng)
    let radius = 4 / 1.414
    let sigma = 0.5 / 1.414
    var counts = [Int](repeating: 0, count: 8)
    var residuals = [Double]()
    for i in 0..<n {
      let a = Double(x[i, 0])
      let b = Double(x[i, 1])
      let k = (Int((Double.atan2(y: b, x: a) / (Double.pi / 4)).rounded()) + 8) % 8
      counts[k] += 1
      let angle = Double(k) * Double.pi / 4
      residuals.append(a - radius * Double.cos(angle))
    }
    for k in 0..<8 { expectFrequency(counts[k], of: n, 1.0 / 8, "cluster \(k)") }
    // Within a cluster each coordinate has variance σ²: E[r²] = σ² with Var(r²) = 2σ⁴.
    expectMean(residuals.map { $0 * $0 }, sigma * sigma, "within-cluster variance")
  }

  @Test func eightGaussiansFloat() { eightGaussians(Float.self) }
  @Test func eightGaussiansDouble() { eightGaussians(Double.self) }

  @Test func eightGaussiansLogDensityIsTheMixtureFormula() {
    let mixture = GaussianMixture.eightGaussians
    let total = midpointIntegral2D(-6, 6, -6, 6, step: 0.05) { mixture.logDensity($0).map { Double.exp($0) } }
    #expect(abs(total - 1) < 1e-9)
    // At a centre, the own component gives 1/8 · 1/(2πσ²); its neighbours, 2.16 away, add
    // 2 · 1/8 · 1/(2πσ²) · exp(−d²/(2σ²)) with d = 2r sin(π/8).
    let r = 4 / 1.414
    let s = 0.5 / 1.414
    let near = 2 * r * Double.sin(Double.pi / 8)
    let expected = Double.log(
      1.0 / 8 / (2 * Double.pi * s * s) * (1 + 2 * Double.exp(-near * near / (2 * s * s))))
    let got = mixture.logDensity(Matrix([[r, 0.0]]))[0]
    #expect(abs(got - expected) < 1e-9)
  }

  @Test func ringsHaveExactRadialMomentsAndNormalisedDensities() {
    for rings in [NoisyRings.circles, NoisyRings.rings] {
      var rng = Xoshiro256(seed: 13)
      let n = 20_000
      let x: Matrix<Double> = rings.sample(count: n, using: &rng)
      let r2 = x.squaredRowNorms()
      // E‖x‖² = Σ wₖ rₖ² + 2σ².
      let expected =
        zip(rings.radii, rings.weights).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } + 2 * rings.noise * rings.noise
      expectMean(r2, expected, "\(rings.name) E‖x‖²")
      expectMean(x.column(0), 0, "\(rings.name) mean")
      // The density depends on ‖x‖ only: ∫ p = ∫ 2πρ p(ρ) dρ = 1, and the probability of
      // ‖x‖ < 2 matches the samples.
      func radial(_ rho: Double) -> Double { rings.logDensity(Matrix([[rho, 0.0]]))[0] }
      let mass = simpson(from: 0, to: 5) { rho in 2 * Double.pi * rho * Double.exp(radial(rho)) }
      #expect(abs(mass - 1) < 1e-9, "\(rings.name): ∫p = \(mass)")
      let inner = simpson(from: 0, to: 2) { rho in 2 * Double.pi * rho * Double.exp(radial(rho)) }
      expectFrequency(r2.filter { $0 < 4 }.count, of: n, inner, "\(rings.name) P(‖x‖ < 2)")
      // Rotation invariance of the density.
      let a = rings.logDensity(Matrix([[1.2, 2.1], [-2.1, 1.2]]))
      #expect(abs(a[0] - a[1]) < 1e-12)
    }
  }

  @Test func swissRollMomentsMatchQuadrature() {
    var rng = Xoshiro256(seed: 14)
    let x: Matrix<Double> = SwissRoll().sample(count: 20_000, using: &rng)
    // t = 1.5π(1 + 2u): E over u ∈ [0, 1] by Simpson's rule.
    func t(_ u: Double) -> Double { 1.5 * Double.pi * (1 + 2 * u) }
    let mean1 = simpson(from: 0, to: 1) { t($0) * Double.cos(t($0)) } / 5
    let mean2 = simpson(from: 0, to: 1) { t($0) * Double.sin(t($0)) } / 5
    let square = (simpson(from: 0, to: 1) { t($0) * t($0) } + 2) / 25
    expectMean(x.column(0), mean1, "swiss roll x1")
    expectMean(x.column(1), mean2, "swiss roll x2")
    expectMean(x.squaredRowNorms(), square, "swiss roll ‖x‖²")
  }

  @Test func moonsMomentsMatchQuadrature() {
    var rng = Xoshiro256(seed: 15)
    let x: Matrix<Double> = Moons().sample(count: 20_000, using: &rng)
    // Average of the two moons over θ ∈ [0, π], plus the noise variance 2 · 0.2².
    func upper(_ t: Double) -> (Double, Double) { (2 * Double.cos(t) - 1, 2 * Double.sin(t) - 0.2) }
    func lower(_ t: Double) -> (Double, Double) { (1 - 2 * Double.cos(t), 0.8 - 2 * Double.sin(t)) }
    func average(_ f: (Double) -> Double) -> Double { simpson(from: 0, to: Double.pi, f) / Double.pi }
    let mean2 = (average { upper($0).1 } + average { lower($0).1 }) / 2
    let square =
      (average { upper($0).0 * upper($0).0 + upper($0).1 * upper($0).1 }
        + average { lower($0).0 * lower($0).0 + lower($0).1 * lower($0).1 }) / 2 + 2 * 0.04
    expectMean(x.column(0), 0, "moons x1")
    expectMean(x.column(1), mean2, "moons x2")
    expectMean(x.squaredRowNorms(), square, "moons ‖x‖²")
  }

  @Test func pinwheelMoments() {
    var rng = Xoshiro256(seed: 16)
    let x: Matrix<Double> = Pinwheel().sample(count: 20_000, using: &rng)
    // ‖x‖ = 2‖f‖ with f = (1 + 0.3ε₁, 0.1ε₂): E‖x‖² = 4(1 + 0.09 + 0.01) = 4.4.
    expectMean(x.squaredRowNorms(), 4.4, "pinwheel ‖x‖²")
    expectMean(x.column(0), 0, "pinwheel x1")
    expectMean(x.column(1), 0, "pinwheel x2")
  }

  @Test func twoSpiralsMoments() {
    var rng = Xoshiro256(seed: 17)
    let x: Matrix<Double> = TwoSpirals().sample(count: 20_000, using: &rng)
    // p = (−n cos n + v₁/2, n sin n + v₂/2), n = 3π√u: E‖p‖² = E n² + (E[−n cos n] + E[n sin n])/2 + 1/6.
    func n(_ u: Double) -> Double { 3 * Double.pi * u.squareRoot() }
    let e2 =
      simpson(from: 0, to: 1) { n($0) * n($0) }
      + (simpson(from: 0, to: 1) { -n($0) * Double.cos(n($0)) }
        + simpson(from: 0, to: 1) { n($0) * Double.sin(n($0)) }) / 2 + 1.0
      / 6
    expectMean(x.squaredRowNorms(), e2 / 9 + 2 * 0.01, "2 spirals ‖x‖²")
    expectMean(x.column(0), 0, "2 spirals x1")
    expectMean(x.column(1), 0, "2 spirals x2")
  }

  @Test func sameSeedSameSamples() {
    for entry in DatasetRegistry.entries {
      var a = Xoshiro256(seed: 5)
      var b = Xoshiro256(seed: 5)
      let x = entry.distribution.sample(count: 50, as: Float.self, using: &a)
      let y = entry.distribution.sample(count: 50, as: Float.self, using: &b)
      #expect(x == y, "\(entry.name)")
      var c = Xoshiro256(seed: 6)
      #expect(entry.distribution.sample(count: 50, as: Float.self, using: &c) != x, "\(entry.name)")
    }
  }
}

/// The ring and double-well densities refuse an infinite width, radius, barrier or parameter
/// range (which would make every sample infinite or NaN), like the double well itself.
@Test func densitiesRefuseNonFiniteSettings() async {
  let cases = [
    ("rings-radius", "NoisyRings needs finite radii"), ("rings-noise", "NoisyRings needs a finite noise"),
    ("ring-family-noise", "RingFamily needs a finite noise"),
    ("ring-family-range", "RingFamily radii must be finite"),
    ("double-well-barrier", "DoubleWellFamily needs a finite barrier"),
    ("double-well-range", "DoubleWellFamily temperatures must be finite"),
  ]
  for (name, message) in cases {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [name = name as String] in
      switch name {
      case "rings-radius": _ = NoisyRings(radii: [1, .infinity], noise: 0.1)
      case "rings-noise": _ = NoisyRings(radii: [1], noise: .infinity)
      case "ring-family-noise": _ = RingFamily(noise: .infinity)
      case "ring-family-range": _ = RingFamily(parameterRange: 1...Double.infinity)
      case "double-well-barrier": _ = DoubleWellFamily(barrier: .infinity)
      default: _ = DoubleWellFamily(parameterRange: 0.5...Double.infinity)
      }
    }
    let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(stderr.contains(message), "\(name): \(stderr.suffix(300))")
  }
}
