import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@Suite struct PreprocessingTests {
  @Test func splitIsReproducibleDisjointAndComplete() {
    var rng = Xoshiro256(seed: 41)
    let data = Matrix<Double>.randomNormal(rows: 101, columns: 3, using: &rng)
    var a = Xoshiro256(seed: 42)
    var b = Xoshiro256(seed: 42)
    let first = trainTestSplit(data, testFraction: 0.2, using: &a)
    let second = trainTestSplit(data, testFraction: 0.2, using: &b)
    #expect(first.testIndices == second.testIndices && first.train == second.train)
    #expect(first.testIndices.count == 20 && first.trainIndices.count == 81)
    #expect(Set(first.testIndices).isDisjoint(with: first.trainIndices))
    #expect(Set(first.testIndices + first.trainIndices) == Set(0..<101))
    for (r, i) in first.testIndices.enumerated() { #expect(first.test.row(r) == data.row(i)) }
    for (r, i) in first.trainIndices.enumerated() { #expect(first.train.row(r) == data.row(i)) }
    var c = Xoshiro256(seed: 43)
    #expect(trainTestSplit(data, testFraction: 0.2, using: &c).testIndices != first.testIndices)
    var d = Xoshiro256(seed: 44)
    #expect(trainTestSplit(data, testFraction: 0, using: &d).test.rows == 0)
  }

  @Test func splitChoosesEveryRowWithEqualProbability() {
    // Each of 10 rows lands in a 3-row test set with probability 3/10.
    var rng = Xoshiro256(seed: 45)
    let data = Matrix<Double>(rows: 10, columns: 1)
    var counts = [Int](repeating: 0, count: 10)
    let trials = 4000
    for _ in 0..<trials {
      for i in trainTestSplit(data, testFraction: 0.3, using: &rng).testIndices { counts[i] += 1 }
    }
    for i in 0..<10 { expectFrequency(counts[i], of: trials, 0.3, "row \(i)") }
  }

  func standardizer<S: BLASScalar>(_: S.Type) throws {
    var rng = Xoshiro256(seed: 46)
    var data = Matrix<S>.randomNormal(rows: 500, columns: 3, mean: 0, standardDeviation: 1, using: &rng)
    data.scaleColumns(by: [2, 0.01, 300])
    data.addToEachRow([5, -3, 1000])
    let scaler = try Standardizer(fitting: data)
    let z = scaler.transformed(data)
    let moments = (0..<3).map { SampleMoments(z.column($0)) }
    let tolerance = Double(roundingTolerance(S.self, terms: 500, factor: 64))
    for m in moments {
      #expect(abs(m.mean) < tolerance)
      #expect(abs(m.variance * 499 / 500 - 1) < tolerance)
    }
    // The inverse restores the data to the rounding of z and of the result:
    // |x − x̂| ≤ σ|z|·u + ulp(x)/2 + (Double rounding), within 4 (ulp(|x|) + ulp(|x − μ|)).
    let back = scaler.inverseTransformed(z)
    for (k, (x, y)) in zip(data.elements, back.elements).enumerated() {
      let deviation = x - S(scaler.means[k % 3])
      #expect(abs(x - y) <= 4 * (x.magnitude.ulp + deviation.magnitude.ulp), "\(x) came back as \(y)")
    }
    #expect(
      abs(scaler.logAbsDeterminant + scaler.standardDeviations.map { Foundation.log($0) }.reduce(0, +))
        < 1e-12)
  }

  @Test func standardizerFloat() throws { try standardizer(Float.self) }
  @Test func standardizerDouble() throws { try standardizer(Double.self) }

  @Test func standardizerEdgeCasesAndSerialisation() throws {
    let data = Matrix<Double>([[1, 2], [1.5, 4], [0.5, 6]])
    let scaler = try Standardizer(fitting: data)
    #expect(scaler.means == [1, 4])
    #expect(abs(scaler.standardDeviations[0] - (1.0 / 6).squareRoot()) < 1e-15)
    #expect(abs(scaler.standardDeviations[1] - (8.0 / 3).squareRoot()) < 1e-15)
    #expect(throws: DataError.tooFewRows(source: "data", needed: 2, actual: 1)) {
      try Standardizer(fitting: Matrix<Float>([[1, 2]]))
    }
    #expect(throws: DataError.self) {
      try Standardizer(fitting: Matrix<Double>([[1, 2], [.nan, 3]]), source: "x.csv")
    }
    let json = try JSONEncoder().encode(scaler)
    #expect(try JSONDecoder().decode(Standardizer.self, from: json) == scaler)
    let rebuilt = Standardizer(means: scaler.means, standardDeviations: scaler.standardDeviations)
    #expect(rebuilt.transformed(data) == scaler.transformed(data))
  }

  @Test func nonFiniteEntriesAreFoundAndReported() throws {
    var m = Matrix<Float>(rows: 5, columns: 3, repeating: 1)
    #expect(m.nonFiniteReport() == nil)
    #expect(throws: Never.self) { try checkFinite(m, source: "ok.npy") }
    m[2, 1] = .nan
    m[4, 0] = -.infinity
    let report = try #require(m.nonFiniteReport())
    #expect(report.firstRow == 2 && report.firstColumn == 1 && report.count == 2 && report.firstValue.isNaN)
    let error = try #require(throws: DataError.self) { try checkFinite(m, source: "data.csv") }
    #expect(error.description.hasPrefix("data.csv: row 3, column 2 is nan (2 non-finite entries in all)"))
  }
}
