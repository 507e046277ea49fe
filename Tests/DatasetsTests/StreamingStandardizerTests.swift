import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

/// Issue 19: ``Standardizer/Accumulator`` fits in one pass what ``Standardizer/init(fitting:source:)``
/// fits in memory — column means and population standard deviations — to rounding, over
/// magnitudes from 1e-200 to 1e200, and refuses the same data with the same errors.
@Suite struct StreamingStandardizerTests {
  /// The streaming fit of the rows of `data`, added one at a time.
  func streamed<S: BLASScalar>(_ data: Matrix<S>, source: String = "data") throws(DataError) -> Standardizer {
    var fit = Standardizer.Accumulator(columns: data.columns)
    var row = [Double](repeating: 0, count: data.columns)
    for i in 0..<data.rows {
      for j in 0..<data.columns { row[j] = Double(data[i, j]) }
      row.withUnsafeBufferPointer { fit.add($0, row: i) }
    }
    #expect(fit.count == data.rows)
    return try fit.standardizer(source: source)
  }

  /// 1, 2, …, n in one column: μ = (n + 1)/2 and σ² = (n² − 1)/12 exactly; n spans several
  /// chunks and a partial one.
  @Test(arguments: [2, 3, 4096, 4097, 3 * 4096 + 17, 100_003])
  func theFirstIntegersHaveTheirClosedForm(n: Int) throws {
    let x = Matrix<Double>(rows: n, columns: 1, elements: (1...n).map(Double.init))
    let s = try streamed(x)
    let nn = Double(n)
    #expect(abs(s.means[0] / ((nn + 1) / 2) - 1) < 1e-15)
    #expect(abs(s.standardDeviations[0] / ((nn * nn - 1) / 12).squareRoot() - 1) < 1e-14)
  }

  /// Columns of every scale the in-memory fit handles: N(0, 1); 1e9 + N(0, 1) (its σ survives a
  /// large offset); 1e-200·N(0, 1) and 1e200 + 1e190·N(0, 1) (neither overflows nor underflows);
  /// a column whose first 5000 rows are 0 and the rest 1e300·N(0, 1) (the scale changes between
  /// chunks); a column of 1e-300 for 9000 rows, then 1e280 + N(0, 1)·1e279. μ and σ agree with
  /// ``Standardizer/init(fitting:source:)`` to 1e-13 of σ and 4 ulps of μ (and σ to what the
  /// in-memory mean's last ulp costs it).
  @Test func agreesWithTheInMemoryFitAtEveryScale() throws {
    let n = 12_345
    var rng = Xoshiro256(seed: 191)
    var x = Matrix<Double>.randomNormal(rows: n, columns: 6, using: &rng)
    for i in 0..<n {
      x[i, 1] += 1e9
      x[i, 2] *= 1e-200
      x[i, 3] = 1e200 + 1e190 * x[i, 3]
      x[i, 4] = i < 5000 ? 0 : 1e300 * x[i, 4]
      x[i, 5] = i < 9000 ? 1e-300 : 1e280 + 1e279 * x[i, 5]
    }
    let expected = try Standardizer(fitting: x)
    let fitted = try streamed(x)
    for j in 0..<6 {
      let (mu, sigma) = (expected.means[j], expected.standardDeviations[j])
      // The in-memory fit's mean is exact to half an ulp of μ only, which inflates its σ² by up
      // to (ulp(μ)/2)², i.e. σ by ulp(μ)²/(8σ) (4e-14·σ for 1e200 + 1e190·N(0, 1)).
      #expect(
        abs(fitted.standardDeviations[j] - sigma) <= 1e-13 * sigma + mu.ulp * mu.ulp / sigma, "column \(j)")
      #expect(abs(fitted.means[j] - mu) <= 1e-13 * sigma + 4 * mu.ulp, "column \(j)")
    }
    // Float data (1e4 + N(0, 1), which Float resolves to 1e-3): the same fit of the same values.
    let f = Matrix<Float>(
      rows: n, columns: 2,
      elements: (0..<(2 * n)).map { Float(x.elements[6 * ($0 / 2)]) + ($0 % 2 == 0 ? 0 : 1e4) })
    let ef = try Standardizer(fitting: f)
    let sf = try streamed(f)
    for j in 0..<2 {
      #expect(abs(sf.standardDeviations[j] - ef.standardDeviations[j]) <= 1e-13 * ef.standardDeviations[j])
      #expect(abs(sf.means[j] - ef.means[j]) <= 1e-13 * ef.standardDeviations[j] + 4 * ef.means[j].ulp)
    }
  }

  /// The order of the rows moves the result by rounding only.
  @Test func theRowOrderMattersOnlyToRounding() throws {
    var rng = Xoshiro256(seed: 192)
    var x = Matrix<Double>.randomNormal(rows: 20_000, columns: 2, using: &rng)
    x.addToEachRow([3, -1e6])
    var reversed = x
    for i in 0..<x.rows { reversed.setRow(i, to: x.row(x.rows - 1 - i)) }
    let (a, b) = (try streamed(x), try streamed(reversed))
    for j in 0..<2 {
      #expect(abs(a.standardDeviations[j] / b.standardDeviations[j] - 1) < 1e-14)
      #expect(abs(a.means[j] - b.means[j]) <= 1e-14 * a.standardDeviations[j] + 2 * a.means[j].ulp)
    }
  }

  /// One row, a NaN and an infinity (the first named, all counted), a constant column and a
  /// subnormal one: the errors of the in-memory fit, word for word.
  @Test func refusesWhatTheInMemoryFitRefuses() throws {
    func sameError(_ x: Matrix<Double>) throws {
      let expected = try #require(throws: DataError.self) { try Standardizer(fitting: x, source: "x.npy") }
      #expect(throws: expected) { try streamed(x, source: "x.npy") }
    }
    try sameError(Matrix(rows: 1, columns: 2, elements: [1, 2]))
    var rng = Xoshiro256(seed: 193)
    var bad = Matrix<Double>.randomNormal(rows: 5000, columns: 3, using: &rng)
    bad[4500, 2] = .nan
    bad[4501, 0] = -.infinity
    bad[10, 1] = .infinity
    try sameError(bad)
    var constant = Matrix<Double>.randomNormal(rows: 5000, columns: 3, using: &rng)
    for i in 0..<5000 { constant[i, 1] = 2.5 }
    try sameError(constant)
    var tiny = Matrix<Double>.randomNormal(rows: 300, columns: 2, using: &rng)
    for i in 0..<300 { tiny[i, 1] = Double(i % 2) * Double.leastNonzeroMagnitude }  // σ = 2⁻¹⁰⁷⁵ rounds to 0
    try sameError(tiny)
  }
}
