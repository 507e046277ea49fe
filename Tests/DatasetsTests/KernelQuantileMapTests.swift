import Datasets
import Foundation
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The kernel quantile map `T = Φ⁻¹ ∘ F` by hand (one kernel: an affine map; two: the mean of
/// two CDFs), in the far tails where `F` underflows, its fit (Scott's bandwidth, the centres kept),
/// its inverse, and its log-derivative through the density it implies: a standard normal in `z`
/// pulled back by `T` must be the kernel density estimate itself, exactly.
struct KernelQuantileMapTests {
  /// One centre at 0 with `h = 2`: `F(x) = Φ(x/2)`, so `T(x) = x/2` and `log T′ = −log 2`,
  /// also 100 and 150 bandwidths out, where `Φ` underflows and the map works in logs.
  @Test func oneKernelIsAnAffineMap() {
    let map = KernelQuantileMap(centers: [0], bandwidths: [2])
    for x in [-300.0, -200, -80, -7, -1, 0, 0.5, 3, 9, 80, 200, 300] {
      expectNear(map.value(x), x / 2, 1e-12 * max(1, abs(x)))
      expectNear(map.logDerivative(x), -Double.log(2), 1e-9)
      expectNear(map.inverse(x / 2), x, 1e-11 * max(1, abs(x)))
    }
  }

  /// Centres −1 and 1 with bandwidths 1 and 3: `F(x) = (Φ(x + 1) + Φ((x − 1)/3))/2`,
  /// `f(x) = (φ(x + 1) + φ((x − 1)/3)/3)/2`.
  @Test func twoKernelsByHand() {
    let map = KernelQuantileMap(centers: [-1, 1], bandwidths: [1, 3])
    let phi = { (u: Double) in Double.exp(-u * u / 2) / (2 * Double.pi).squareRoot() }
    for x in [-4.0, -1.3, 0, 0.3, 2.2, 5] {
      let cdf =
        (StandardNormal.cumulativeProbability(x + 1) + StandardNormal.cumulativeProbability((x - 1) / 3)) / 2
      let z = StandardNormal.quantile(cdf)
      expectNear(map.value(x), z, 1e-12)
      // log f and log φ(z) are each good to rounding; their difference carries z²/2's.
      expectNear(
        map.logDerivative(x), Double.log((phi(x + 1) + phi((x - 1) / 3) / 3) / 2 / phi(z)),
        1e-12 * (1 + z * z))
    }
  }

  /// Abramson's bandwidths by hand: Scott's pilot `h₀ = 1.06·s·n^(−1/5)` with the sample standard
  /// deviation, `hᵢ = h₀·√(g/f̃(cᵢ))` with `g` the pilot's geometric mean over the centres; every
  /// value a centre up to the maximum, then that many evenly spaced in rank with both ends kept.
  @Test func fitByHand() throws {
    let values = [4.0, 1, 2, 8, 5]
    let map = try #require(KernelQuantileMap(fitting: values))
    let s = (values.map { ($0 - 4) * ($0 - 4) }.reduce(0, +) / 4).squareRoot()
    let h0 = 1.06 * s * Double.pow(5, -0.2)
    let centers = [1.0, 2, 4, 5, 8]
    #expect(map.centers == centers)
    let pilot = centers.map { c in
      centers.map { Double.exp(-(c - $0) * (c - $0) / (2 * h0 * h0)) }.reduce(0, +)
    }
    let g = Double.exp(pilot.map { Double.log($0) }.reduce(0, +) / 5)
    for i in 0..<5 { expectNear(map.bandwidths[i], h0 * (g / pilot[i]).squareRoot(), 1e-14) }
    #expect(map.bandwidths[4] > map.bandwidths[2])  // the outlying 8 gets the widest kernel
    let thinned = try #require(KernelQuantileMap(fitting: (0..<1001).map { Double($0) }, maximumCenters: 11))
    #expect(thinned.centers == (0...10).map { Double(100 * $0) })
    #expect(KernelQuantileMap(fitting: [3, 3, 3]) == nil)
    // A model file's map that makes no sense is named, not trusted.
    let decreasing = try JSONDecoder().decode(
      KernelQuantileMap.self, from: Data(#"{"centers":[2,1],"bandwidths":[1,1]}"#.utf8))
    #expect(decreasing.validationFailure == "the centres do not increase")
    let flat = try JSONDecoder().decode(
      KernelQuantileMap.self, from: Data(#"{"centers":[2],"bandwidths":[0]}"#.utf8))
    #expect(flat.validationFailure != nil)
  }

  /// `log φ(T(x)) + log T′(x)` is the log-density that a standard normal in `z` gives `x`: it must
  /// be the kernel density estimate `(1/m) Σ φ((x − cᵢ)/hᵢ)/hᵢ` to rounding, and its integral over
  /// `[a, b]` must be `F(b) − F(a) = Φ(T(b)) − Φ(T(a))`.
  @Test func changeOfVariablesGivesTheKernelDensity() throws {
    var rng = Xoshiro256(seed: 21)
    let sample = (0..<300).map { _ in Double.exp(Double.randomNormal(using: &rng)) }  // skewed
    let map = try #require(KernelQuantileMap(fitting: sample))
    var integral = 0.0
    let step = 0.01
    let (a, b) = (-5.0, 60.0)  // the centres span about 0.02 to 46
    for k in 0..<Int((b - a) / step) {
      let x = a + (Double(k) + 0.5) * step
      let z = map.value(x)
      let logDensity = -z * z / 2 - Double.log(2 * .pi) / 2 + map.logDerivative(x)
      let kde =
        zip(map.centers, map.bandwidths).map { c, h in Double.exp(-(x - c) * (x - c) / (2 * h * h)) / h }
        .reduce(0, +) / (Double(map.centers.count) * (2 * Double.pi).squareRoot())
      if kde > 1e-300 { expectNear(logDensity, Double.log(kde), 1e-9) }
      integral += Double.exp(logDensity) * step
    }
    let mass =
      StandardNormal.cumulativeProbability(map.value(b)) - StandardNormal.cumulativeProbability(map.value(a))
    expectNear(integral, mass, 1e-5)
    #expect(mass > 0.99)
  }

  /// On a large Gaussian sample `T` is close to the standardisation `(x − μ)/σ`: the smoothing
  /// widens `F` by about `h₀²/σ² ≈ 2 %` in variance (`h₀/σ = 1.06·n^(−1/5)`), 0.02 at 2σ.
  @Test func gaussianColumnIsNearlyStandardised() throws {
    var rng = Xoshiro256(seed: 22)
    let sample = (0..<20_000).map { _ in 3 + 2 * Double.randomNormal(using: &rng) }
    let map = try #require(KernelQuantileMap(fitting: sample))
    for x in stride(from: -1.0, through: 7, by: 0.5) {
      expectNear(map.value(x), (x - 3) / 2, 0.04)
    }
  }

  /// `T(T⁻¹(z)) = z` far into both tails, and `T⁻¹(T(x)) = x` across and far beyond the data.
  /// (Not in a wide gap between the last few centres, such as 400 here: `T` is flat there to
  /// rounding, `T′ ~ e⁻³⁰⁰`, so `z` no longer pins `x` down, though `T(T⁻¹(z)) = z` still holds.)
  @Test func inverseRoundTrips() throws {
    var rng = Xoshiro256(seed: 23)
    let sample = (0..<500).map { _ in Double.exp(2 * Double.randomNormal(using: &rng)) }
    let map = try #require(KernelQuantileMap(fitting: sample))
    for x in [-1e4, -50, -1, 0, 1e-3, 0.5, 2, 30, 1e5] {
      expectNear(map.inverse(map.value(x)), x, 1e-12)
    }
    expectNear(map.value(map.inverse(map.value(400))), map.value(400), 1e-15)
    for z in [-40.0, -12, -5, -1, 0, 0.7, 3, 8, 39] {
      expectNear(map.value(map.inverse(z)), z, 1e-9 * max(1, abs(z)))
    }
  }
}
