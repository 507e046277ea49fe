import Datasets
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The four-parameter blob-ring family: its density against the Gaussian formula with the
/// covariance written out, normalisation by quadrature, samples against the density's moments,
/// and the joint distributions used for training.
@Suite struct BlobRingFamilyTests {
  let family = BlobRingFamily()

  /// θ rows repeated for `n` points.
  func repeated(_ theta: [Double], _ n: Int) -> Matrix<Double> { Matrix((0..<n).map { _ in theta }) }

  /// log p from the mixture of 𝒩(μₖ, Σₖ) with Σₖ = R diag(s², e²s²) Rᵀ built as a matrix here.
  func referenceLogDensity(_ x: [Double], _ theta: [Double], blobs: Int) -> Double {
    let (r, s, e, phi) = (theta[0], theta[1], theta[2], theta[3])
    var total = 0.0
    for k in 0..<blobs {
      let a = phi + 2 * Double.pi * Double(k) / Double(blobs)
      let (c, sn) = (Double.cos(a), Double.sin(a))
      let (l1, l2) = (s * s, e * e * s * s)
      // Σ = R diag(l1, l2) Rᵀ with R = [[c, −sn], [sn, c]].
      let s11 = c * c * l1 + sn * sn * l2
      let s12 = c * sn * (l1 - l2)
      let s22 = sn * sn * l1 + c * c * l2
      let det = s11 * s22 - s12 * s12
      let d = [x[0] - r * c, x[1] - r * sn]
      let q = (s22 * d[0] * d[0] - 2 * s12 * d[0] * d[1] + s11 * d[1] * d[1]) / det
      total += Double.exp(-0.5 * q) / (2 * Double.pi * det.squareRoot()) / Double(blobs)
    }
    return Double.log(total)
  }

  @Test(arguments: [[2.0, 0.2, 2, 0.3], [1.5, 0.3, 1, 0], [3.375, 0.15, 0.5, 1.1]])
  func logDensityIsTheRotatedGaussianMixture(theta: [Double]) {
    let points: [[Double]] = [[2, 0], [0.3, 1.9], [-1, -1.2], [0, 0], [3.1, -0.4]]
    let logp = family.logDensity(Matrix(points), parameters: repeated(theta, points.count))
    for (p, value) in zip(points, logp) {
      let expected = referenceLogDensity(p, theta, blobs: 6)
      #expect(abs(value - expected) < 1e-10 * max(1, abs(expected)), "x = \(p)")
    }
  }

  @Test func densityIntegratesToOne() {
    let theta = [2.0, 0.18, 2.5, 0.4]
    let total = midpointIntegral2D(-4, 4, -4, 4, step: 0.02) { x in
      family.logDensity(x, parameters: repeated(theta, x.rows)).map { Double.exp($0) }
    }
    #expect(abs(total - 1) < 1e-8, "∫p = \(total)")
  }

  /// E‖x‖² = r² + s²(1 + e²), E x = 0, Cov x = ½E‖x‖² I, and E cos 6(∠x − φ) by quadrature of
  /// the density: samples and density describe the same distribution, orientation included.
  @Test func samplesMatchTheDensitysMoments() {
    let theta = [2.0, 0.25, 2, 0.3]
    var rng = Xoshiro256(seed: 8)
    let n = 40_000
    let x: Matrix<Double> = family.sample(parameters: repeated(theta, n), using: &rng)
    let second = theta[0] * theta[0] + theta[1] * theta[1] * (1 + theta[2] * theta[2])
    expectMean(x.squaredRowNorms(), second, "‖x‖²")
    expectMean(x.column(0), 0, "x₁")
    expectMean(x.column(1), 0, "x₂")
    expectMean((0..<n).map { x[$0, 0] * x[$0, 1] }, 0, "x₁x₂")
    expectMean(x.column(0).map { $0 * $0 }, second / 2, "x₁²")
    let angular: (Double, Double) -> Double = { a, b in Double.cos(6 * (Double.atan2(y: b, x: a) - theta[3]))
    }
    let exact = midpointIntegral2D(-4, 4, -4, 4, step: 0.02) { p in
      let logp = family.logDensity(p, parameters: repeated(theta, p.rows))
      return (0..<p.rows).map { Double.exp(logp[$0]) * angular(p[$0, 0], p[$0, 1]) }
    }
    // The blobs sit at φ + kπ/3 with an angular spread of about e·s/r = 0.25 rad, so
    // E cos 6(∠x − φ) ≈ exp(−(6 · 0.25)²/2) ≈ 0.32; at φ + π/6 it would be ≈ −0.32.
    #expect(abs(exact - Double.exp(-1.125)) < 0.03, "E cos 6(∠x − φ) = \(exact)")
    expectMean((0..<n).map { angular(x[$0, 0], x[$0, 1]) }, exact, "cos 6(∠x − φ)")
  }

  @Test func jointDrawsTheBoxOrTheTrainingRows() {
    var rng = Xoshiro256(seed: 3)
    let box: Matrix<Float> = family.joint.sample(count: 2000, using: &rng)
    #expect(box.columns == 6 && family.joint.conditioningColumns == 4)
    for j in 0..<4 {
      let column = box.column(2 + j).map(Double.init)
      let range = family.parameterRanges[j]
      #expect(
        column.allSatisfy { Float(range.lowerBound) <= Float($0) && Float($0) <= Float(range.upperBound) })
      // Uniform: the mean is the midpoint within 5 standard errors.
      let width = range.upperBound - range.lowerBound
      expectMean(column, range.lowerBound + width / 2, "θ\(j)")
    }
    let boxDensity: [Float] = family.joint.logDensity(box)
    #expect(boxDensity.allSatisfy { $0.isFinite })
    let training = Matrix<Double>([[2, 0.2, 2, 0.1], [1.5, 0.1, 1, 0]])
    let joint = family.joint(trainingParameters: training)
    let rows: Matrix<Double> = joint.sample(count: 500, using: &rng)
    let drawn = Set((0..<500).map { Array(rows.row($0)[2...]) })
    #expect(drawn == Set([training.row(0), training.row(1)]))
    // log p(x, θ) = log p(x | θ) − log M at a training row, −∞ at any other θ.
    let point = Matrix<Double>([[2, 0.1, 2, 0.2, 2, 0.1], [2, 0.1, 2, 0.2, 2, 0.11]])
    let logp = joint.logDensity(point)
    let conditional = family.logDensity(Matrix([[2.0, 0.1]]), parameters: Matrix([[2.0, 0.2, 2, 0.1]]))[0]
    #expect(abs(logp[0] - (conditional - Double.log(2))) < 1e-12)
    #expect(logp[1] == -Double.infinity)
    // Outside the box: −∞.
    #expect(family.joint.logDensity(Matrix([[2.0, 0, 5, 0.2, 2, 0.1]]))[0] == -Double.infinity)
  }

  @Test func invalidParametersStop() async {
    await #expect(processExitsWith: .failure) {
      var rng = Xoshiro256(seed: 1)
      let _: Matrix<Double> = BlobRingFamily().sample(parameters: Matrix([[2, -0.1, 1, 0]]), using: &rng)
    }
    await #expect(processExitsWith: .failure) {
      _ = BlobRingFamily().logDensity(Matrix([[0.0, 0]]), parameters: Matrix([[2, 0.1, .nan, 0]]))
    }
  }
}
