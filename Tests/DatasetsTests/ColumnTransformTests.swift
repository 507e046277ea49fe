import Datasets
import Foundation
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// Φ⁻¹ against reference values and Φ; the quantile map's knots by hand, its inverse and its
/// log-derivative against central differences; log and logit likewise; the change of variables
/// against the closed-form log-normal density; the errors.
struct ColumnTransformTests {
  @Test func normalQuantileInvertsTheCDF() {
    // Reference values (mpmath, 30 digits, rounded).
    #expect(relativeError(StandardNormal.quantile(0.975), 1.959_963_984_540_054) < 4e-16)
    #expect(relativeError(StandardNormal.quantile(1e-10), -6.361_340_902_404_056) < 4e-15)
    #expect(StandardNormal.quantile(0.5) == 0)
    // Φ(x̂) − p ≈ φ(x)·δx with δx ~ ε|x|, and φ(x)|x| ≤ (1 + x²)·p in the lower tail (Mills' ratio),
    // so with erfc's own few ulps the CDF returns p to within (8 + x²)·ε·p.
    for p in [1e-300, 1e-20, 1e-5, 0.01, 0.0243, 0.1, 0.3, 0.49, 0.5] {
      let x = StandardNormal.quantile(p)
      let q = StandardNormal.cumulativeProbability(x)
      #expect(abs(q - p) <= (8 + x * x) * Double.ulpOfOne * p, "p = \(p): Φ(Φ⁻¹(p)) = \(q)")
      // The upper half by the symmetry, on the exactly representable 1 − p.
      #expect(StandardNormal.quantile(1 - p) == -StandardNormal.quantile(1 - (1 - p)))
    }
  }

  @Test func quantileMapKnotsByHand() throws {
    // Values 1, 2, 2, 3, 10: mid-rank probabilities 0.5/5, 2/5, 3.5/5, 4.5/5.
    let map = try #require(QuantileMap(fitting: [3, 2, 10, 1, 2]))
    #expect(map.knots == [1, 2, 3, 10])
    #expect(map.scores == [0.1, 0.4, 0.7, 0.9].map(StandardNormal.quantile))
    let z = map.scores
    #expect(map.value(2) == z[1])
    expectNear(map.value(2.5), (z[1] + z[2]) / 2, 1e-15)
    // Tails: the mean slope (z₃ − z₀)/9.
    let s = (z[3] - z[0]) / 9
    expectNear(map.tailSlope, s, 1e-15)
    expectNear(map.value(-1), z[0] - 2 * s, 1e-15)
    expectNear(map.value(12), z[3] + 2 * s, 1e-15)
    expectNear(map.logDerivative(5), Double.log((z[3] - z[2]) / 7), 1e-15)
    expectNear(map.logDerivative(10), Double.log(s), 1e-15)  // right derivative at the last knot
    #expect(QuantileMap(fitting: [4, 4, 4]) == nil)
  }

  /// `T⁻¹(T(x)) = x` and `log T′` against a central difference with step h away from any kink:
  /// the difference of a linear piece is exact up to rounding, `~ε|T|/h`; of log and logit it
  /// also carries `T‴h²/6`.
  @Test(arguments: ["quantile", "kernel", "log", "log1", "logit"])
  func inverseAndDerivative(kind: String) throws {
    var rng = Xoshiro256(seed: 7)
    let sample = (0..<200).map { _ in Double.exp(Double.random(in: -2...2, using: &rng)) }
    let transform: ColumnTransform
    switch kind {
    case "quantile": transform = .quantile(try #require(QuantileMap(fitting: sample)))
    case "kernel": transform = .kernelQuantile(try #require(KernelQuantileMap(fitting: sample)))
    case "log": transform = .log(offset: 0)
    case "log1": transform = .log(offset: 1)
    default: transform = .logit(lower: 0, upper: 10)
    }
    let points = [0.05, 0.3, 0.9, 1.7, 2.9, 5.5, 7.3, 9.5]
    let knots: [Double]
    if case .quantile(let map) = transform { knots = map.knots } else { knots = [] }
    for x in points {
      #expect(transform.contains(x))
      let y = transform.value(x)
      expectNear(transform.inverse(y), x, 1e-13)
      let h = 1e-6
      // Skip points within h of a knot (the derivative jumps there).
      guard !knots.contains(where: { abs($0 - x) <= h }) else { continue }
      let difference = (transform.value(x + h) - transform.value(x - h)) / (2 * h)
      expectNear(transform.logDerivative(x), Double.log(difference), 1e-7)
    }
    // Inverse in the tails too (the quantile map's are linear).
    for y in [-9.0, -3, 0, 3, 9] {
      let x = transform.inverse(y)
      if transform.contains(x) { expectNear(transform.value(x), y, 1e-9) }
    }
  }

  /// The change of variables with an exact density: rows whose logs are N(m, s²) per column have
  /// the log-normal density; the standard normal of z = (log x − μ̂)/σ̂ plus the standardiser's
  /// and the transforms' log-Jacobians must give exactly the log-normal log-density with μ̂, σ̂.
  @Test func changeOfVariablesGivesTheLogNormalDensity() throws {
    var rng = Xoshiro256(seed: 11)
    var rows = Matrix<Double>.randomNormal(rows: 50, columns: 2, using: &rng)
    rows.apply { Double.exp(0.5 * $0 + 1) }
    let transforms = try ColumnTransforms(
      fitting: [0: .log(offset: 0), 1: .log(offset: 0)], to: rows, source: "r")
    let logs = transforms.applied(to: rows)
    let standardizer = try Standardizer(fitting: logs, source: "r")
    var z = logs
    standardizer.transform(&z)
    let jacobians = transforms.logAbsJacobians(of: rows)
    for i in 0..<rows.rows {
      var model = standardizer.logAbsDeterminant + jacobians[i]
      var exact = 0.0
      for j in 0..<2 {
        model += -0.5 * z[i, j] * z[i, j] - 0.5 * Double.log(2 * .pi)
        let (m, s, x) = (standardizer.means[j], standardizer.standardDeviations[j], rows[i, j])
        let u = (Double.log(x) - m) / s
        exact += -0.5 * u * u - Double.log(s) - 0.5 * Double.log(2 * .pi) - Double.log(x)
      }
      expectNear(model, exact, 1e-13)
    }
  }

  @Test func roundTripsThroughJSON() throws {
    let transforms = ColumnTransforms([
      .identity, .log(offset: 1.5), .logit(lower: -1, upper: 2),
      .quantile(QuantileMap(knots: [0, 1, 4], scores: [-1, 0.25, 1])),
      .kernelQuantile(KernelQuantileMap(centers: [-1, 0.5, 3], bandwidths: [0.7, 0.5, 1.2])),
    ])
    let data = try JSONEncoder().encode(transforms)
    #expect(try JSONDecoder().decode(ColumnTransforms.self, from: data) == transforms)
    var rows = Matrix<Double>([[3, 0.5, 0.7, 2.5, 1.2], [-8, 100, -0.9, -3, -40]])
    let original = rows
    transforms.apply(to: &rows)
    transforms.invert(&rows)
    #expect(maxAbsDifference(rows, original) < 1e-12)
  }

  @Test func errorsNameTheRowAndColumn() {
    let rows = Matrix<Double>([[1, 2], [3, -4], [5, 6]])
    #expect(
      throws: ColumnTransformError.outsideDomain(
        source: "t.csv", row: 1, column: 1, value: -4, transform: "log", domain: "x > 0")
    ) {
      try ColumnTransforms(fitting: [1: .log(offset: 0)], to: rows, source: "t.csv")
    }
    #expect(
      ColumnTransformError.outsideDomain(
        source: "t.csv", row: 1, column: 1, value: -4, transform: "log", domain: "x > 0"
      ).description == "t.csv: row 2, column 2 is -4.0, outside the domain of the log transform (x > 0)")
    #expect(throws: ColumnTransformError.unknownColumn(source: "t.csv", column: 2, dimension: 2)) {
      try ColumnTransforms(fitting: [2: .quantile], to: rows, source: "t.csv")
    }
    let constant = Matrix<Double>([[1, 7], [2, 7]])
    #expect(throws: ColumnTransformError.cannotFitQuantileMap(source: "c", column: 1)) {
      try ColumnTransforms(fitting: [1: .quantile], to: constant, source: "c")
    }
    #expect(ColumnTransform.log(offset: 1).domainDescription == "x > -1")
    #expect(ColumnTransform.logit(lower: 0, upper: 255).name == "logit=0,255")
  }
}

/// The outlier report's threshold and count by hand, and the data range.
struct NearestNeighbourOutlierTests {
  @Test func oneDimensionalByHand() {
    // Reference 0, 1, 3: nearest-neighbour distances 1, 1, 2, so τ = 2.
    let outliers = NearestNeighbourOutliers(reference: Matrix([[0], [1], [3]]))
    expectNear(outliers.threshold, 2, 1e-12)
    // The distances come from ‖a‖² + ‖b‖² − 2a·b on centred rows: exact to a few ulps of the
    // squared norms, so the points are kept 0.1 away from τ.
    let points = Matrix<Double>([[4.9], [5.5], [-2.5], [1.5], [-1.9]])
    for (a, b) in zip(outliers.nearestDistances(of: points), [1.9, 2.5, 2.5, 0.5, 1.9]) {
      expectNear(a, b, 1e-12)
    }
    #expect(outliers.outlierCount(of: points) == 2)  // 5.5 and −2.5
  }

  @Test func twoDimensionalByHand() {
    // A unit square's corners and (10, 0): its nearest neighbour is (1, 0) at 9, so τ = 9.
    let outliers = NearestNeighbourOutliers(
      reference: Matrix([[0, 0], [1, 0], [0, 1], [1, 1], [10, 0]]))
    expectNear(outliers.threshold, 9, 1e-12)
    let points = Matrix<Double>([[5, 5], [0, 9.5], [0, 10.5], [20, 0]])
    // Distances: (5,5)→(1,1) √32; (0,9.5)→(0,1) 8.5; (0,10.5)→(0,1) 9.5; (20,0)→(10,0) 10.
    let d = outliers.nearestDistances(of: points)
    for (a, b) in zip(d, [Double(32).squareRoot(), 8.5, 9.5, 10]) { expectNear(a, b, 1e-12) }
    #expect(outliers.outlierCount(of: points) == 2)
  }

  @Test func dataRangeIsTheColumnsMinimaAndMaxima() {
    let range = DataRange(of: Matrix<Double>([[1, -2], [3, 5], [2, 0]]))
    #expect(range.lower == [1, -2] && range.upper == [3, 5])
    #expect(range.widened(by: 0.5) == DataRange(lower: [0.5, -2.5], upper: [3.5, 5.5]))
    #expect(range.extendingUpper(by: [1, 0]).upper == [4, 5])
  }
}

/// `|a − b| ≤ tolerance·max(1, |b|)`.
func expectNear(
  _ a: Double, _ b: Double, _ tolerance: Double, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(abs(a - b) <= tolerance * Swift.max(1, abs(b)), "\(a) vs \(b)", sourceLocation: sourceLocation)
}
