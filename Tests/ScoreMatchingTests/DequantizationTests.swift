import Datasets
import Foundation
import LinearAlgebra
import ScoreMatching
import Testing

/// Integer columns are found (all values integral, not constant), and the dequantised source adds
/// `w·u/σ` with `u ∈ [0, 1)` to exactly those columns of the standardised rows — fresh each step,
/// the same for the same step and seed — leaving the others untouched.
@Test func dequantizedSourceAddsUniformNoiseToTheIntegerColumnsOnly() throws {
  var data = Matrix<Double>(rows: 64, columns: 4)
  for i in 0..<64 {
    data[i, 0] = Double(i % 7)  // counts
    data[i, 1] = Double(i) * 0.37 + 0.1  // continuous
    data[i, 2] = 2 * Double(i % 3)  // even integers
    data[i, 3] = 5  // constant: nothing to dequantise (and not a data column here)
  }
  #expect(Dequantization.integerColumns(of: data) == [0, 2])
  #expect(Dequantization.integerColumns(of: data, limit: 1) == [0])
  let dequantization = Dequantization(columns: [2, 0], binWidths: [2, 1])
  #expect(dequantization.columns == [0, 2] && dequantization.binWidths == [1, 2])
  expectClose(dequantization.logBinVolume, Double.log(2))
  expectClose(dequantization.discreteBound(continuousNLL: 3), 3 - Double.log(2))

  var rows = Matrix<Double>(rows: 64, columns: 3)
  for i in 0..<64 { for j in 0..<3 { rows[i, j] = data[i, j] } }
  let base = try DatasetSource<Double>(standardizing: rows, order: .epochShuffle)
  let sigma = base.appliedStandardizer!.standardDeviations
  var source = DequantizedSource(base, dequantization: dequantization)
  var plain = base
  var a = Matrix<Double>(rows: 64, columns: 3)
  var b = Matrix<Double>(rows: 64, columns: 3)
  var r1 = Xoshiro256(seed: 5, stream: 0)
  var r2 = Xoshiro256(seed: 5, stream: 0)
  source.fill(&a, step: 0, seed: 5, using: &r1)
  plain.fill(&b, step: 0, seed: 5, using: &r2)
  var spread = [Double](repeating: 0, count: 3)
  for i in 0..<64 {
    #expect(a[i, 1] == b[i, 1])
    for (j, w) in [(0, 1.0), (2, 2.0)] {
      let u = (a[i, j] - b[i, j]) * sigma[j] / w
      #expect(u >= -1e-12 && u < 1 + 1e-12, "row \(i), column \(j): u = \(u)")
      spread[j] += u / 64
    }
  }
  #expect(abs(spread[0] - 0.5) < 0.15 && abs(spread[2] - 0.5) < 0.15, "mean u \(spread)")
  var again = Matrix<Double>(rows: 64, columns: 3)
  var r3 = Xoshiro256(seed: 5, stream: 0)
  var fresh = DequantizedSource(base, dequantization: dequantization)
  fresh.fill(&again, step: 0, seed: 5, using: &r3)
  #expect(again == a)
}

private func expectClose(_ a: Double, _ b: Double) { #expect(abs(a - b) < 1e-12, "\(a) vs \(b)") }
