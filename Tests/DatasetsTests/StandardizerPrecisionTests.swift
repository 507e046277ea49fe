import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

/// `n` rows of `offset + scale·N(0, 1)` in `Double`, one column per (offset, scale) pair.
func shiftedNormal(rows n: Int, offsets: [Double], scales: [Double], seed: UInt64) -> Matrix<Double> {
  var rng = Xoshiro256(seed: seed)
  var x = Matrix<Double>.randomNormal(
    rows: n, columns: offsets.count, mean: 0, standardDeviation: 1, using: &rng)
  x.scaleColumns(by: scales)
  x.addToEachRow(offsets)
  return x
}

/// The number of distinct values in column `j`.
func distinctValues<S: BLASScalar>(_ m: Matrix<S>, column j: Int) -> Int { Set(m.column(j)).count }

/// Issue 14: the standardisation is fitted and applied in `Double`, so data of a large offset or a
/// tiny scale keeps its spread, and a constant column is refused instead of getting σ = 1.
@Suite struct StandardizerPrecisionTests {
  /// 1e9 + N(0, 1): μ within 5 standard errors (1/√n) of 1e9, σ within 5 (1/√(2n)) of 1; the
  /// rows standardised into `Float` have standard deviation 1 and thousands of distinct values,
  /// where a `Float` copy of the data has one.
  @Test func aLargeOffsetKeepsItsSpread() throws {
    let n = 10_000
    let x = shiftedNormal(rows: n, offsets: [1e9, -2e9], scales: [1, 3], seed: 140)
    #expect(Set(x.column(0).map { Float($0) }).count == 1, "the old path: every row is 1e9 in Float")
    let scaler = try Standardizer(fitting: x, source: "offset.npy")
    #expect(abs(scaler.means[0] - 1e9) < 5 / Double(n).squareRoot())
    #expect(abs(scaler.means[1] + 2e9) < 5 * 3 / Double(n).squareRoot())
    #expect(abs(scaler.standardDeviations[0] - 1) < 5 / (2 * Double(n)).squareRoot())
    #expect(abs(scaler.standardDeviations[1] / 3 - 1) < 5 / (2 * Double(n)).squareRoot())
    let z = scaler.transformed(x, as: Float.self)
    for j in 0..<2 {
      let moments = SampleMoments(z.column(j))
      #expect(abs(moments.mean) < 1e-6)
      #expect(abs(moments.variance * Double(n - 1) / Double(n) - 1) < 1e-5)
      #expect(distinctValues(z, column: j) > 1000)
    }
  }

  /// Scaling the data by a power of ten scales μ and σ by it, to rounding, from 1e-300 to 1e300:
  /// no square underflows (the old fit gave σ = 0 → 1 below about 1e-162) or overflows.
  @Test(arguments: [1e-50, 1e-200, 1e-300, 1e200, 1e300])
  func aTinyOrHugeScaleIsFitted(scale: Double) throws {
    let x = shiftedNormal(rows: 1000, offsets: [0.5, -4], scales: [1, 2], seed: 141)
    let reference = try Standardizer(fitting: x)
    var scaled = x
    scaled.scaleColumns(by: [scale, scale])
    let fitted = try Standardizer(fitting: scaled, source: "tiny.npy")
    for j in 0..<2 {
      #expect(relativeError(fitted.standardDeviations[j], scale * reference.standardDeviations[j]) < 1e-12)
      #expect(relativeError(fitted.means[j], scale * reference.means[j]) < 1e-12)
    }
    let z = fitted.transformed(scaled, as: Float.self)
    #expect(maxAbsDifference(z, reference.transformed(x, as: Float.self)) < 1e-6)
  }

  /// 1e6 + 0.01·N(0, 1): σ within 4 % of 0.01 (5.7 standard errors at n = 10 000), and the
  /// standardised rows keep thousands of values (the old `Float` path kept three, σ = 0.0031).
  @Test func aSmallSpreadOnALargeOffsetIsFitted() throws {
    let x = shiftedNormal(rows: 10_000, offsets: [1e6], scales: [0.01], seed: 142)
    #expect(Set(x.column(0).map { Float($0) }).count <= 5, "Float holds 1e6 in steps of 0.0625")
    let scaler = try Standardizer(fitting: x)
    #expect(abs(scaler.standardDeviations[0] / 0.01 - 1) < 0.04)
    #expect(distinctValues(scaler.transformed(x, as: Float.self), column: 0) > 1000)
  }

  /// A column whose rows are all equal is an error naming the source, the 1-based column and
  /// the value; so is a constant condition column, which is a column like any other here.
  @Test func aConstantColumnIsRefused() {
    let data = Matrix<Double>([[1, 2.5, 3], [2, 2.5, 4], [4, 2.5, 5]])
    #expect(throws: DataError.constantColumn(source: "data.npy", column: 1, value: 2.5)) {
      try Standardizer(fitting: data, source: "data.npy")
    }
    #expect(
      DataError.constantColumn(source: "data.npy", column: 1, value: 2.5).description
        == "data.npy: column 2 is constant (every row is 2.5); it carries nothing to learn or to "
        + "condition on — drop the column")
    let lastConstant = Matrix<Float>([[1, 0], [2, 0]])
    #expect(throws: DataError.constantColumn(source: "c.csv", column: 1, value: 0)) {
      try Standardizer(fitting: lastConstant, source: "c.csv")
    }
  }

  /// Two values one ulp apart are not constant: σ is between half an ulp and an ulp (μ, a
  /// `Double`, rounds to one of the two values) and the standardised rows stay two distinct
  /// values, even in `Float`.
  @Test func aColumnOfTwoAdjacentValuesIsKept() throws {
    let data = Matrix<Double>(rows: 4, columns: 1, elements: [1e9, 1e9.nextUp, 1e9, 1e9.nextUp])
    let scaler = try Standardizer(fitting: data)
    #expect(scaler.standardDeviations[0] >= 1e9.ulp / 2 && scaler.standardDeviations[0] <= 1e9.ulp)
    let z = scaler.transformed(data, as: Float.self)
    #expect(z[0, 0] == z[2, 0] && z[1, 0] == z[3, 0] && z[0, 0] < z[1, 0])
  }

  /// A spread below the least subnormal `Double` has no σ: an error, not a division by zero.
  @Test func aSpreadBelowDoubleRangeIsRefused() {
    let data = Matrix<Double>(rows: 2, columns: 1, elements: [0, .leastNonzeroMagnitude])
    #expect(throws: DataError.spreadOutOfRange(source: "sub.npy", column: 0)) {
      try Standardizer(fitting: data, source: "sub.npy")
    }
  }

  /// Every map computes in `Double` and rounds once: `Float` results equal the rounded `Double`
  /// formula exactly; `Float` samples mapped to `Double` data units keep their resolution at an
  /// offset of 1e9, where the `Float` map is in steps of 64.
  @Test func mapsComputeInDoubleAndRoundOnce() {
    let scaler = Standardizer(means: [1e9, 0.3], standardDeviations: [1, 0.7])
    var rng = Xoshiro256(seed: 143)
    let z = Matrix<Float>.randomNormal(rows: 100, columns: 2, using: &rng)
    let x = scaler.inverseTransformed(z, as: Double.self)
    let xFloat = scaler.inverseTransformed(z)
    for i in 0..<100 {
      #expect(abs(x[i, 0] - (1e9 + Double(z[i, 0]))) < 1e-6)
      #expect(xFloat[i, 0].truncatingRemainder(dividingBy: 64) == 0)
      #expect(xFloat[i, 1] == Float(0.3 + 0.7 * Double(z[i, 1])))
    }
    var y = Matrix<Float>([[0.1, 0.2]])
    scaler.transform(&y)
    #expect(y[0, 1] == Float((Double(Float(0.2)) - 0.3) / 0.7))
    #expect(maxAbsDifference(scaler.transformed(x, as: Float.self), z) < 1e-6, "and back")
  }
}
