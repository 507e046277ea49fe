import Datasets
import Foundation
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The four corners of [0, 2]² have μ = (1, 1) and MLE Σ = I, so log N at the centre is −log 2π
/// and one unit off it −log 2π − ½; a correlated set is checked against the 2 × 2 inverse
/// written out by hand.
@Test func gaussianBaselineIsTheMaximumLikelihoodGaussianWithItsExactLogDensity() throws {
  let corners = Matrix<Double>([[0, 0], [2, 0], [0, 2], [2, 2]])
  let baseline = try GaussianBaseline(fitting: corners)
  #expect(baseline.means == [1, 1])
  #expect(baseline.covariance == [1, 0, 0, 1])
  let log2pi = Double.log(2 * Double.pi)
  expectClose(
    baseline.logDensities(Matrix([[1, 1], [2, 1], [3, 3]])), [-log2pi, -log2pi - 0.5, -log2pi - 4], 1e-14,
    "corners")

  // Rows (0, 0), (1, 2), (2, 1), (3, 5): μ = (1.5, 2), Σ = [[1.25, 1.75], [1.75, 3.5]].
  let rows = Matrix<Float>([[0, 0], [1, 2], [2, 1], [3, 5]])
  let fitted = try GaussianBaseline(fitting: rows)
  expectClose(fitted.covariance, [1.25, 1.75, 1.75, 3.5], 1e-14, "Σ")
  let det = 1.25 * 3.5 - 1.75 * 1.75
  let x = (0.5, -1.0)
  let (u, v) = (x.0 - 1.5, x.1 - 2)
  let quadratic = (3.5 * u * u - 2 * 1.75 * u * v + 1.25 * v * v) / det
  let expected = -log2pi - 0.5 * Double.log(det) - 0.5 * quadratic
  expectClose(fitted.logDensities(Matrix<Double>([[x.0, x.1]])), [expected], 1e-13, "correlated")
  #expect(fitted.validationFailure == nil)
}

/// Fewer rows than columns + 1, or collinear columns, have no full-covariance Gaussian: the
/// error names the data and says why.
@Test func gaussianBaselineRefusesASingularCovariance() {
  #expect(throws: DataError.singularCovariance(source: "t.csv", rows: 3, columns: 3)) {
    try GaussianBaseline(fitting: Matrix<Double>([[0, 1, 2], [1, 0, 3], [4, 4, 4]]), source: "t.csv")
  }
  #expect(throws: DataError.singularCovariance(source: "t.csv", rows: 4, columns: 2)) {
    try GaussianBaseline(fitting: Matrix<Double>([[0, 0], [1, 2], [2, 4], [3, 6]]), source: "t.csv")
  }
  #expect(
    DataError.singularCovariance(source: "t.csv", rows: 3, columns: 3).description
      == "t.csv: the covariance of its 3 rows × 3 columns is singular (a full-covariance Gaussian needs more "
      + "rows than columns)")
  #expect(throws: DataError.tooFewRows(source: "t.csv", needed: 2, actual: 1)) {
    try GaussianBaseline(fitting: Matrix<Double>([[0, 0]]), source: "t.csv")
  }
}

/// A tiny memorised set: a kernel density with bandwidth 0.05 on 30 training rows of N(0, I₂)
/// is the density of a model that has memorised them — superb on its training rows, hopeless on
/// 30 fresh ones. Both warnings fire. The true density N(0, I) on the same points sets off
/// neither the memorisation warning nor (by construction here) a worse-than-baseline one when
/// it beats the baseline.
@Test func memorisationAndWorseThanBaselineAreWarnedOnATinyMemorisedSet() throws {
  var rng = Xoshiro256(seed: 2016)
  let train = Matrix<Double>.randomNormal(rows: 30, columns: 2, using: &rng)
  let heldOut = Matrix<Double>.randomNormal(rows: 30, columns: 2, using: &rng)
  let baseline = try GaussianBaseline(fitting: train)
  let h = 0.05
  func kdeNLL(_ x: Matrix<Double>) -> [Double] {
    (0..<x.rows).map { i in
      let logs = (0..<train.rows).map { j -> Double in
        let q = (0..<2).reduce(0.0) { $0 + (x[i, $1] - train[j, $1]) * (x[i, $1] - train[j, $1]) }
        return -q / (2 * h * h) - Double.log(2 * Double.pi * h * h)
      }
      let top = logs.max()!
      return -(top + Double.log(logs.reduce(0) { $0 + Double.exp($1 - top) } / Double(train.rows)))
    }
  }
  func trueNLL(_ x: Matrix<Double>) -> [Double] {
    (0..<x.rows).map { i in Double.log(2 * Double.pi) + 0.5 * (x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1]) }
  }
  func baselineNLL(_ x: Matrix<Double>) -> [Double] { baseline.logDensities(x).map { -$0 } }

  let memorised = BaselineComparison(
    dimension: 2, heldOut: (kdeNLL(heldOut), baselineNLL(heldOut)),
    training: (kdeNLL(train), baselineNLL(train)))
  #expect(memorised.trainingModel!.mean < memorised.trainingBaseline!.mean - 2)
  #expect(memorised.model.mean > memorised.baseline.mean + 30)
  #expect(memorised.isWorseThanBaseline && memorised.isMemorising)
  #expect(memorised.warnings.count == 2)
  #expect(
    memorised.warnings[0].hasPrefix("the model's held-out NLL is worse than a full-covariance Gaussian's"))
  #expect(memorised.warnings[1].hasPrefix("the model has memorised its training rows"))

  let honest = BaselineComparison(
    dimension: 2, heldOut: (trueNLL(heldOut), baselineNLL(heldOut)),
    training: (trueNLL(train), baselineNLL(train)))
  #expect(!honest.isMemorising, "gap \(honest.gapBeyondBaseline!) ± \(honest.gapStandardError!)")
  #expect(honest.isWorseThanBaseline == (honest.excess.mean > 0))
  #expect(honest.warnings.count == (honest.isWorseThanBaseline ? 1 : 0))

  // A model better than the baseline by 0.1 nats everywhere gives no warning at all.
  let better = BaselineComparison(
    dimension: 2, heldOut: (baselineNLL(heldOut).map { $0 - 0.1 }, baselineNLL(heldOut)),
    training: (baselineNLL(train).map { $0 - 0.1 }, baselineNLL(train)))
  #expect(better.warnings.isEmpty)
  expectClose([better.excess.mean, better.gapBeyondBaseline!], [-0.1, 0], 1e-12, "paired differences")
}

/// Each `a[i]` within `tolerance · max(1, |b[i]|)` of `b[i]`.
private func expectClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ label: String) {
  #expect(a.count == b.count, "\(label): \(a.count) values vs \(b.count)")
  for (x, y) in zip(a, b) { #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(label): \(a) vs \(b)") }
}
