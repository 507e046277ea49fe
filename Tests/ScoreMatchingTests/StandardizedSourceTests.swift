import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import TestSupport
import Testing

/// `n` rows of `offset + scale·N(0, 1)` in `Double`, one column per (offset, scale) pair.
func offsetData(rows n: Int, offsets: [Double], scales: [Double], seed: UInt64) -> Matrix<Double> {
  var rng = Xoshiro256(seed: seed)
  var x = Matrix<Double>.randomNormal(rows: n, columns: offsets.count, using: &rng)
  x.scaleColumns(by: scales)
  x.addToEachRow(offsets)
  return x
}

/// Issue 14: a ``DatasetSource`` that standardises `Double` data before it becomes `Float`, and a
/// ``Trainer`` that trains on it without standardising again and records its standardisation.
@Suite struct StandardizedSourceTests {
  /// 1e9 + N(0, 1) and −3e6 + 0.01·N(0, 1) from `Double`: the `Float` rows the trainer feeds the
  /// network have mean 0 and standard deviation 1 (within 5 standard errors of a 2000-row
  /// batch) and thousands of distinct values; the trained model records μ ≈ (1e9, −3e6) and
  /// σ ≈ (1, 0.01). A `Float` copy of the same data is constant and now refused.
  @Test func aLargeOffsetTrainsOnUnitRowsAndIsRecorded() throws {
    let n = 4000
    let data = offsetData(rows: n, offsets: [1e9, -3e6], scales: [1, 0.01], seed: 150)
    let source = try DatasetSource<Float>(standardizing: data, source: "offset.npy")
    let applied = try #require(source.appliedStandardizer)
    #expect(abs(applied.means[0] - 1e9) < 5 / Double(n).squareRoot())
    #expect(abs(applied.means[1] + 3e6) < 0.05 / Double(n).squareRoot())
    #expect(abs(applied.standardDeviations[0] - 1) < 5 / (2 * Double(n)).squareRoot())
    #expect(abs(applied.standardDeviations[1] / 0.01 - 1) < 5 / (2 * Double(n)).squareRoot())

    var trainer = try Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(), source: source,
      configuration: TrainingConfiguration(seed: 151, batchSize: 2000, steps: 4))
    #expect(trainer.standardizer == nil && trainer.effectiveStandardizer == applied)
    try trainer.step()
    let x0 = trainer.lastData
    for j in 0..<2 {
      let moments = SampleMoments(x0.column(j))
      #expect(abs(moments.mean) < 5 / 2000.0.squareRoot(), "column \(j)")
      #expect(abs(moments.variance.squareRoot() - 1) < 5 / 4000.0.squareRoot(), "column \(j)")
      #expect(Set(x0.column(j)).count > 1000, "column \(j)")
    }
    try trainer.train()
    let model = try trainer.trainedModel(data: "offset.npy")
    #expect(model.standardizer == applied && model.conditionStandardizer == nil)

    let floatCopy = Matrix<Float>(rows: n, columns: 2, elements: data.elements.map { Float($0) })
    #expect(throws: DataError.constantColumn(source: "offset.npy", column: 0, value: 1e9)) {
      try DatasetSource(floatCopy, source: "offset.npy").fitStandardizer()
    }
  }

  /// A source that carries its standardisation and a `standardizer:` besides would standardise
  /// twice: refused.
  @Test func aSecondStandardisationIsRefused() throws {
    let data = offsetData(rows: 50, offsets: [5, 6], scales: [1, 2], seed: 152)
    let source = try DatasetSource<Double>(standardizing: data)
    let error = try #require(throws: TrainingError.self) {
      try Trainer(
        process: VPSDE<Double>(), architecture: smallNetwork(), source: source,
        standardizer: try Standardizer(fitting: data))
    }
    guard case .invalidConfiguration(let reason) = error else {
      Issue.record("expected invalidConfiguration, got \(error)")
      return
    }
    #expect(reason.contains("standardised already"))
  }

  /// A checkpoint of a pre-standardised run resumes on the same rows, and refuses a source whose
  /// rows were standardised otherwise (which would silently train on other data).
  @Test func aCheckpointResumesOnlyOnTheSameStandardisation() throws {
    let folder = try temporaryDirectory("standardized-checkpoint")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("run.safetensors")
    let data = offsetData(rows: 200, offsets: [1e9, 3], scales: [1, 2], seed: 154)
    let source = try DatasetSource<Float>(standardizing: data, source: "a.npy")
    var trainer = try Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(), source: source,
      configuration: TrainingConfiguration(seed: 155, batchSize: 16, steps: 4))
    try trainer.step()
    try trainer.saveCheckpoint(to: url)
    _ = try Trainer(resumingFrom: url, process: VPSDE<Float>(), source: source)

    let shifted = offsetData(rows: 200, offsets: [2e9, 3], scales: [1, 2], seed: 154)
    let other = try DatasetSource<Float>(standardizing: shifted, source: "b.npy")
    let error = try #require(throws: TrainingError.self) {
      try Trainer(resumingFrom: url, process: VPSDE<Float>(), source: other)
    }
    guard case .incompatibleCheckpoint(_, let reason) = error else {
      Issue.record("expected incompatibleCheckpoint, got \(error)")
      return
    }
    #expect(reason.contains("standardised with"), "\(reason)")
  }

  /// Conditions are standardised with the data, split into the model's two standardisers; a
  /// constant condition column is refused like a constant data column, by 1-based number.
  @Test func conditionsAreStandardisedAndSplit() throws {
    var data = ringData(rows: 120, seed: 153)
    data.addToEachRow([0, 0, 1e8])
    let source = try DatasetSource<Float>(standardizing: data, conditioningColumns: 1, source: "rings.csv")
    let full = try #require(source.appliedStandardizer)
    #expect(full == (try Standardizer(fitting: data)))
    var trainer = try Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(condition: 1), source: source,
      configuration: TrainingConfiguration(seed: 154, batchSize: 30, steps: 2))
    try trainer.train()
    let model = try trainer.trainedModel()
    #expect(
      model.standardizer
        == Standardizer(
          means: Array(full.means[..<2]), standardDeviations: Array(full.standardDeviations[..<2])))
    #expect(
      model.conditionStandardizer
        == Standardizer(means: [full.means[2]], standardDeviations: [full.standardDeviations[2]]))
    #expect(abs(model.conditionStandardizer!.means[0] - 1e8 - 2) < 0.2)

    var constant = data
    for i in 0..<constant.rows { constant[i, 2] = 4 }
    #expect(throws: DataError.constantColumn(source: "rings.csv", column: 2, value: 4)) {
      try DatasetSource<Float>(standardizing: constant, conditioningColumns: 1, source: "rings.csv")
    }
  }

  /// Resuming from a checkpoint with the same source is bit-identical, and the resumed trainer's
  /// model records the source's standardisation (the checkpoint holds no standardiser of its own).
  @Test func resumingWithAStandardisingSourceIsBitIdentical() throws {
    let data = offsetData(rows: 90, offsets: [1e9, 1e-40], scales: [1, 1e-45], seed: 155)
    let source = try DatasetSource<Float>(standardizing: data, order: .epochShuffle)
    let configuration = TrainingConfiguration(seed: 156, batchSize: 20, steps: 8)
    try checkResume(
      process: VPSDE<Float>(), architecture: smallNetwork(), source: source, configuration: configuration,
      total: 8, split: 3)
    let url = temporaryURL("standardised-resume.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    var trainer = try Trainer(
      process: VPSDE<Float>(), architecture: smallNetwork(), source: source, configuration: configuration)
    try trainer.train(until: 3, checkpoint: CheckpointPolicy(url: url, interval: 3))
    let resumed = try Trainer(resumingFrom: url, process: VPSDE<Float>(), source: source)
    #expect(try resumed.trainedModel().standardizer == source.appliedStandardizer)
    #expect(abs(source.appliedStandardizer!.standardDeviations[1] / 1e-45 - 1) < 0.5)
  }

  /// Errors name the source given to the data set, not a default.
  @Test func errorsNameTheSource() {
    #expect(throws: DataError.tooFewRows(source: "one.csv", needed: 2, actual: 1)) {
      try DatasetSource(Matrix<Float>([[1, 2]]), source: "one.csv").fitStandardizer()
    }
    #expect(throws: DataError.tooFewRows(source: "one.csv", needed: 2, actual: 1)) {
      try DatasetSource<Float>(standardizing: Matrix<Double>([[1, 2]]), source: "one.csv")
    }
    let nan = #expect(throws: DataError.self) {
      try DatasetSource<Float>(standardizing: Matrix<Double>([[1, 2], [.nan, 3]]), source: "nan.npy")
    }
    #expect(nan?.description.hasPrefix("nan.npy: row 2, column 1 is nan") == true)
    #expect(throws: DataError.wrongColumnCount(source: "c.npy", expected: 2, actual: 1)) {
      try DatasetSource<Float>(
        standardizing: Matrix<Double>([[1], [2]]), conditioningColumns: 1, source: "c.npy")
    }
  }
}
