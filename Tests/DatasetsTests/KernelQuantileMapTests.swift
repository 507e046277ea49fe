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
    let map = KernelQuantileMap(centers: [0], bandwidth: 2)
    for x in [-300.0, -200, -80, -7, -1, 0, 0.5, 3, 9, 80, 200, 300] {
      expectNear(map.value(x), x / 2, 1e-12 * max(1, abs(x)))
      expectNear(map.logDerivative(x), -Double.log(2), 1e-9)
      expectNear(map.inverse(x / 2), x, 1e-11 * max(1, abs(x)))
    }
  }

  /// Centres −1 and 1, `h = 1`: `F(x) = (Φ(x + 1) + Φ(x − 1))/2`, `f(x) = (φ(x + 1) + φ(x − 1))/2`.
  @Test func twoKernelsByHand() {
    let map = KernelQuantileMap(centers: [-1, 1], bandwidth: 1)
    let phi = { (u: Double) in Double.exp(-u * u / 2) / (2 * Double.pi).squareRoot() }
    for x in [-4.0, -1.3, 0, 0.3, 2.2, 5] {
      let cdf =
        (StandardNormal.cumulativeProbability(x + 1) + StandardNormal.cumulativeProbability(x - 1)) / 2
      let z = StandardNormal.quantile(cdf)
      expectNear(map.value(x), z, 1e-12)
      // log f and log φ(z) are each good to rounding; their difference carries z²/2's.
      expectNear(
        map.logDerivative(x), Double.log((phi(x + 1) + phi(x - 1)) / 2 / phi(z)), 1e-12 * (1 + z * z))
    }
  }

  /// Scott's rule `h = 1.06·s·n^(−1/5)` with the sample standard deviation; every value a
  /// centre up to the maximum, then that many evenly spaced in rank with both ends kept.
  @Test func fitByHand() throws {
    let values = [4.0, 1, 2, 8, 5]
    let map = try #require(KernelQuantileMap(fitting: values))
    let s = (values.map { ($0 - 4) * ($0 - 4) }.reduce(0, +) / 4).squareRoot()
    expectNear(map.bandwidth, 1.06 * s * Double.pow(5, -0.2), 1e-15)
    #expect(map.centers == [1, 2, 4, 5, 8])
    let thinned = try #require(KernelQuantileMap(fitting: (0..<1001).map { Double($0) }, maximumCenters: 11))
    #expect(thinned.centers == (0...10).map { Double(100 * $0) })
    #expect(KernelQuantileMap(fitting: [3, 3, 3]) == nil)
    // A model file's map that makes no sense is named, not trusted.
    let decreasing = try JSONDecoder().decode(
      KernelQuantileMap.self, from: Data(#"{"centers":[2,1],"bandwidth":1}"#.utf8))
    #expect(decreasing.validationFailure == "the centres do not increase")
    let flat = try JSONDecoder().decode(
      KernelQuantileMap.self, from: Data(#"{"centers":[2],"bandwidth":0}"#.utf8))
    #expect(flat.validationFailure != nil)
  }

  /// `log φ(T(x)) + log T′(x)` is the log-density that a standard normal in `z` gives `x`: it must
  /// be the kernel density estimate `(1/(m h)) Σ φ((x − cᵢ)/h)` to rounding, and integrate to 1.
  @Test func changeOfVariablesGivesTheKernelDensity() throws {
    var rng = Xoshiro256(seed: 21)
    let sample = (0..<300).map { _ in Double.exp(Double.randomNormal(using: &rng)) }  // skewed
    let map = try #require(KernelQuantileMap(fitting: sample))
    let h = map.bandwidth
    var integral = 0.0
    let step = 0.01
    for k in -1000..<7000 {  // the centres span about 0.02 to 46, h ≈ 1.2
      let x = Double(k) * step
      let z = map.value(x)
      let logDensity = -z * z / 2 - Double.log(2 * .pi) / 2 + map.logDerivative(x)
      let kde =
        map.centers.map { Double.exp(-(x - $0) * (x - $0) / (2 * h * h)) }.reduce(0, +)
        / (Double(map.centers.count) * h * (2 * Double.pi).squareRoot())
      if kde > 1e-300 { expectNear(logDensity, Double.log(kde), 1e-9) }
      integral += Double.exp(logDensity) * step
    }
    expectNear(integral, 1, 1e-6)
  }

  /// On a large Gaussian sample `F` is close to the CDF of `N(μ, σ² + h²)`, so `T` is close to the
  /// standardisation with that variance.
  @Test func gaussianColumnIsNearlyStandardised() throws {
    var rng = Xoshiro256(seed: 22)
    let sample = (0..<20_000).map { _ in 3 + 2 * Double.randomNormal(using: &rng) }
    let map = try #require(KernelQuantileMap(fitting: sample))
    let scale = (4 + map.bandwidth * map.bandwidth).squareRoot()
    for x in stride(from: -1.0, through: 7, by: 0.5) {
      expectNear(map.value(x), (x - 3) / scale, 0.03)
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
