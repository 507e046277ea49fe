import LinearAlgebra
import TestSupport
import Testing

func checkNormalMoments<S: BLASScalar>(_: S.Type) {
  var rng = Xoshiro256(seed: 2024)
  let n = 1_000_000
  let m = Matrix<S>.randomNormal(rows: n / 2, columns: 2, using: &rng)
  let moments = SampleMoments(m.elements)
  // Standard errors for normal data: mean 1/√n, variance √(2/n), skewness √(6/n), kurtosis √(24/n).
  let rootN = Double(n).squareRoot()
  #expect(abs(moments.mean) < 5 / rootN)
  #expect(abs(moments.variance - 1) < 5 * 2.0.squareRoot() / rootN)
  #expect(abs(moments.skewness) < 5 * 6.0.squareRoot() / rootN)
  #expect(abs(moments.kurtosis - 3) < 5 * 24.0.squareRoot() / rootN)
  // Tails: P(|z| > 3) = 0.0026998.
  let tail = Double(m.elements.filter { abs($0) > 3 }.count) / Double(n)
  #expect(abs(tail - 0.0026998) < 5 * (0.0027 / Double(n)).squareRoot())
}

@Test func normalMomentsFloat() { checkNormalMoments(Float.self) }
@Test func normalMomentsDouble() { checkNormalMoments(Double.self) }

@Test func uniformMoments() {
  var rng = Xoshiro256(seed: 9)
  let m = Matrix<Double>.randomUniform(rows: 1000, columns: 200, lower: -1, upper: 3, using: &rng)
  let moments = SampleMoments(m.elements)
  // Uniform on [−1, 3): mean 1, variance 16/12, kurtosis 1.8.
  #expect(abs(moments.mean - 1) < 5 * (16.0 / 12 / 200_000).squareRoot())
  #expect(abs(moments.variance - 16.0 / 12) < 0.01)
  #expect(abs(moments.kurtosis - 1.8) < 0.01)
  #expect(m.elements.allSatisfy { $0 >= -1 && $0 < 3 })
  var f = Xoshiro256(seed: 1)
  for _ in 0..<100_000 {
    let u = Float.randomOpenUnit(using: &f)
    #expect(u > 0 && u <= 1)
  }
}

@Test func sameSeedGivesIdenticalStreams() {
  var a = Xoshiro256(seed: 42)
  var b = Xoshiro256(seed: 42)
  let x = Matrix<Double>.randomNormal(rows: 100, columns: 3, using: &a)
  let y = Matrix<Double>.randomNormal(rows: 100, columns: 3, using: &b)
  #expect(x == y)
  var c = Xoshiro256(seed: 43)
  #expect(Matrix<Double>.randomNormal(rows: 100, columns: 3, using: &c) != x)
  var s0 = Xoshiro256(seed: 42, stream: 0)
  var s1 = Xoshiro256(seed: 42, stream: 1)
  #expect(s0.next() != s1.next())
}

@Test func knownOutputPinsTheAlgorithm() {
  // The first outputs for seed 0, computed by an independent Python transcription of
  // SplitMix64 seeding + xoshiro256++ (Blackman & Vigna's reference algorithm). A change of
  // generator would silently change every seeded result, so it must fail here first.
  var rng = Xoshiro256(seed: 0)
  #expect(
    (0..<3).map { _ in rng.next() } == [
      17_540_135_199_234_648_822, 16_924_680_965_334_774_829, 6_576_274_942_750_347_322,
    ])
}

@Test func rowStreamsAreIndependentOfBatching() {
  // Ten rows in one batch versus batches of 3, 3 and 4: identical noise, row by row.
  var whole = RowStreams(seed: 7, count: 10)
  var all = Matrix<Float>(rows: 10, columns: 5)
  whole.fillNormal(&all)
  var pieces: [[Float]] = []
  for range in [0..<3, 3..<6, 6..<10] {
    var s = RowStreams(seed: 7, rows: range)
    var m = Matrix<Float>(rows: range.count, columns: 5)
    s.fillNormal(&m)
    pieces.append(m.elements)
  }
  #expect(pieces.flatMap { $0 } == all.elements)
  // The next draw continues each row's own stream.
  var next = Matrix<Float>(rows: 10, columns: 5)
  whole.fillNormal(&next)
  #expect(next != all)
  var u = Matrix<Double>(rows: 10, columns: 2)
  whole.fillUniform(&u, lower: 2, upper: 3)
  #expect(u.elements.allSatisfy { $0 >= 2 && $0 < 3 })
}

@Test func blasThreadCountCanBeSet() {
  let original = BLAS.threadCount
  BLAS.threadCount = 1
  #expect(BLAS.threadCount == 1)
  BLAS.threadCount = original
  #expect(BLAS.threadCount == original)
  #expect(!BLAS.configuration.isEmpty)
}
