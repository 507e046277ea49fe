import Datasets
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// Direct O(n²) sums for checking the blocked gemm implementation: (Σ_{i≠j} f(xᵢ,xⱼ), Σ_{i≠j}
/// f(yᵢ,yⱼ), Σᵢⱼ f(xᵢ,yⱼ)) with f a function of the Euclidean distance, in Double.
func directSums(_ x: Matrix<Double>, _ y: Matrix<Double>, _ f: (Double) -> Double) -> (Double, Double, Double)
{
  func distance(_ a: Matrix<Double>, _ i: Int, _ b: Matrix<Double>, _ j: Int) -> Double {
    (0..<a.columns).reduce(0.0) { $0 + (a[i, $1] - b[j, $1]) * (a[i, $1] - b[j, $1]) }.squareRoot()
  }
  var sxx = 0.0
  var syy = 0.0
  var sxy = 0.0
  for i in 0..<x.rows {
    for j in 0..<x.rows where i != j { sxx += f(distance(x, i, x, j)) }
    for j in 0..<y.rows { sxy += f(distance(x, i, y, j)) }
  }
  for i in 0..<y.rows {
    for j in 0..<y.rows where i != j { syy += f(distance(y, i, y, j)) }
  }
  return (sxx, syy, sxy)
}

@Suite struct MetricTests {
  @Test func oneDimensionalWassersteinKnownValues() {
    // Equal sizes: sorted differences. A shift moves every quantile by the shift.
    #expect(wassersteinDistance1D([0.0, 1, 2], [3.0, 1, 2]) == 1)
    var rng = Xoshiro256(seed: 31)
    let a = Matrix<Double>.randomNormal(rows: 1, columns: 1000, using: &rng).elements
    for p in [1.0, 2, 3] {
      #expect(abs(wassersteinDistance1D(a, a.map { $0 + 0.7 }, order: p) - 0.7) < 1e-12)
    }
    // Unequal sizes: quantile functions of [0, 1] and [0, 0, 3] differ by 1 on (1/2, 2/3) and by
    // 2 on (2/3, 1): W₁ = 1/6 + 2/3, W₂² = 1/6 + 4/3.
    #expect(abs(wassersteinDistance1D([0.0, 1], [0.0, 0, 3], order: 1) - 5.0 / 6) < 1e-15)
    #expect(abs(wassersteinDistance1D([0.0, 3, 0], [1.0, 0], order: 2) - (1.5).squareRoot()) < 1e-15)
    #expect(wassersteinDistance1D([Float(2)], [Float(5)], order: 1) == 3)
  }

  @Test func wassersteinBetweenShiftedNormalsIsTheShift() {
    var rng = Xoshiro256(seed: 32)
    let n = 20_000
    let x = Matrix<Double>.randomNormal(rows: 1, columns: n, using: &rng).elements
    let y = Matrix<Double>.randomNormal(rows: 1, columns: n, mean: 1, using: &rng).elements
    // Over 50 NumPy replicates of this set-up the estimate has standard deviation 0.0104 (W₂)
    // and 0.0113 (W₁) about 1.0007 / 1.0003; 5 of them allow 0.06.
    #expect(abs(wassersteinDistance1D(x, y, order: 2) - 1) < 0.06)
    #expect(abs(wassersteinDistance1D(x, y, order: 1) - 1) < 0.06)
  }

  func slicedWassersteinOfAShift<S: BLASScalar>(_: S.Type) {
    var rng = Xoshiro256(seed: 33)
    let x = Matrix<S>.randomNormal(rows: 200, columns: 3, using: &rng)
    let delta: [S] = [1, -2, 0.5]
    var y = x
    y.addToEachRow(delta)
    // With the same samples shifted, each projection's W₂ is |θᵀδ| exactly, so SW₂² is the
    // mean of (θₗᵀδ)² over the very directions the function draws.
    let projections = 400
    var a = Xoshiro256(seed: 34)
    let sw = slicedWassersteinDistance(x, y, projections: projections, using: &a)
    var b = Xoshiro256(seed: 34)
    var theta = Matrix<S>.randomNormal(rows: projections, columns: 3, using: &b)
    theta.scaleRows(by: theta.rowNorms().map { 1 / $0 })
    let dots = theta.multiplied(by: delta).map { Double($0) * Double($0) }
    let expected = dots.reduce(0, +) / Double(projections)
    #expect(relativeError(sw * sw, expected) < Double(roundingTolerance(S.self, terms: 200, factor: 8)))
    // And over random directions E[(θᵀδ)²] = ‖δ‖²/d.
    expectMean(dots, 5.25 / 3, "(θᵀδ)²")
    // Symmetric, and 0 between a set and itself.
    var c = Xoshiro256(seed: 34)
    #expect(slicedWassersteinDistance(y, x, projections: projections, using: &c) == sw)
    var d = Xoshiro256(seed: 34)
    #expect(slicedWassersteinDistance(x, x, projections: 10, using: &d) == 0)
  }

  @Test func slicedWassersteinOfAShiftFloat() { slicedWassersteinOfAShift(Float.self) }
  @Test func slicedWassersteinOfAShiftDouble() { slicedWassersteinOfAShift(Double.self) }

  @Test func slicedWassersteinSeparatesCheckerboardFromGaussian() {
    var rng = Xoshiro256(seed: 35)
    let a: Matrix<Float> = Checkerboard().sample(count: 2000, using: &rng)
    let b: Matrix<Float> = Checkerboard().sample(count: 1500, using: &rng)
    let g = Matrix<Float>.randomNormal(rows: 2000, columns: 2, standardDeviation: 64.0 / 12, using: &rng)
    let same = slicedWassersteinDistance(a, b, projections: 64, using: &rng)
    let different = slicedWassersteinDistance(a, g, projections: 64, using: &rng)
    #expect(same < 0.2)
    #expect(different > 10 * same, "same \(same), different \(different)")
  }

  @Test func mmdAndEnergyMatchDirectSumsAcrossBlocks() {
    // 300 and 270 rows span two gemm blocks of 256 rows.
    var rng = Xoshiro256(seed: 36)
    let x = Matrix<Double>.randomNormal(rows: 300, columns: 4, mean: 10, using: &rng)
    let y = Matrix<Double>.randomNormal(
      rows: 270, columns: 4, mean: 10.3, standardDeviation: 1.5, using: &rng)
    let h = 1.7
    let (kxx, kyy, kxy) = directSums(x, y) { Double.exp(-$0 * $0 / (2 * h * h)) }
    let mmd = kxx / (300 * 299) + kyy / (270 * 269) - 2 * kxy / (300 * 270)
    #expect(abs(squaredMaximumMeanDiscrepancy(x, y, bandwidth: h) - mmd) < 1e-12)
    let (dxx, dyy, dxy) = directSums(x, y) { $0 }
    let energy = 2 * dxy / (300 * 270) - dxx / (300 * 299) - dyy / (270 * 269)
    #expect(abs(energyDistance(x, y) - energy) < 1e-11)
    // Float agrees with Double to single precision.
    let xf = x.elements.map(Float.init)
    let yf = y.elements.map(Float.init)
    let mmdFloat = squaredMaximumMeanDiscrepancy(
      Matrix(rows: 300, columns: 4, elements: xf), Matrix(rows: 270, columns: 4, elements: yf), bandwidth: h)
    #expect(abs(mmdFloat - mmd) < 1e-5)
    // Symmetric.
    #expect(abs(squaredMaximumMeanDiscrepancy(y, x, bandwidth: h) - mmd) < 1e-12)
    #expect(abs(energyDistance(y, x) - energy) < 1e-11)
  }

  @Test func mmdAndEnergyHandExamples() {
    // x = {0, 1}, y = {0, 2}, h = 1: MMD²ᵤ = k(0,1) + k(0,2) − (1 + k(0,2) + k(1,0) + k(1,2))/2.
    let x = Matrix<Double>([[0], [1]])
    let y = Matrix<Double>([[0], [2]])
    let e5 = Double.exp(-0.5)
    let e2 = Double.exp(-2)
    #expect(
      abs(squaredMaximumMeanDiscrepancy(x, y, bandwidth: 1) - (e5 + e2 - (1 + e2 + 2 * e5) / 2)) < 1e-15)
    // Energy: 2 · mean{0, 2, 1, 1} − 1 − 2 = −1 (the unbiased estimate can be negative).
    #expect(abs(energyDistance(x, y) - -1) < 1e-15)
    // Median heuristic: pooled {0, 1, 0, 2} has distances {1, 0, 2, 1, 1, 2}: median 1.
    #expect(medianHeuristicBandwidth(x, y) == 1)
    #expect(
      medianHeuristicBandwidth(Matrix<Float>([[0], [1], [3]]), Matrix<Float>(rows: 0, columns: 1)) == 2)
  }

  @Test func mmdOfShiftedGaussiansMatchesTheClosedForm() {
    // For 𝒩(0, I) and 𝒩(μ, I) in d dimensions, MMD² = 2 (h²/(h²+2))^{d/2} (1 − exp(−‖μ‖²/(2(h²+2)))).
    var rng = Xoshiro256(seed: 37)
    let x = Matrix<Double>.randomNormal(rows: 1000, columns: 2, using: &rng)
    var y = Matrix<Double>.randomNormal(rows: 800, columns: 2, using: &rng)
    let same = squaredMaximumMeanDiscrepancy(x, y, bandwidth: 1)
    y.addToEachRow([1, 0])
    let shifted = squaredMaximumMeanDiscrepancy(x, y, bandwidth: 1)
    let exact = 2 * (1.0 / 3) * (1 - Double.exp(-1.0 / 6))
    // Over 30 NumPy replicates: sd 0.00076 under equality, 0.0115 for the shift.
    #expect(abs(same) < 5 * 0.00076)
    #expect(abs(shifted - exact) < 5 * 0.0115)
    #expect(shifted > same)
  }

  @Test func energyDistanceOfShiftedNormalsMatchesTheClosedForm() {
    // X − Y ~ 𝒩(δ, s²), s = √2, δ = 1: E|X−Y| = s√(2/π) e^{−δ²/(2s²)} + δ erf(δ/(s√2)); E|X−X′| = s√(2/π).
    var rng = Xoshiro256(seed: 38)
    let x = Matrix<Double>.randomNormal(rows: 1000, columns: 1, using: &rng)
    var y = Matrix<Double>.randomNormal(rows: 800, columns: 1, using: &rng)
    let same = energyDistance(x, y)
    y.addToEachRow([1])
    let s = 2.0.squareRoot()
    let exy =
      s * (2 / Double.pi).squareRoot() * Double.exp(-1 / (2 * s * s)) + Double.erf(1 / (s * 2.0.squareRoot()))
    let exact = 2 * (exy - s * (2 / Double.pi).squareRoot())
    // Over 30 NumPy replicates: sd 0.0021 under equality, 0.047 for the shift.
    #expect(abs(same) < 5 * 0.0021)
    let shifted = energyDistance(x, y)
    #expect(abs(shifted - exact) < 5 * 0.047)
    #expect(shifted > same)
  }

  @Test func negativeLogLikelihoodSummaries() {
    let nll = NegativeLogLikelihood(logDensities: [-1.0, -2, -3])
    #expect(nll.mean == 2 && nll.count == 3)
    #expect(abs(nll.standardError - 1 / 3.0.squareRoot()) < 1e-15)
    #expect(meanNegativeLogLikelihood([Float(-0.5)]) == 0.5)
    #expect(meanNegativeLogLikelihood([-1.0, -.infinity]) == .infinity)
    // The mean NLL of a density's own samples estimates its entropy: log 32 for the checkerboard.
    var rng = Xoshiro256(seed: 39)
    let x: Matrix<Double> = Checkerboard().sample(count: 100, using: &rng)
    #expect(abs(meanNegativeLogLikelihood(Checkerboard().logDensity(x)) - Double.log(32)) < 1e-12)
  }
}
