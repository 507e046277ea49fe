import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// Issue 19: training from a memory-mapped `.npy` file. The mapped source draws the rows an
/// in-memory ``DatasetSource`` (with replacement) draws, standardised to the same `Float` bits,
/// so a ``Trainer`` makes the same weights bit for bit; held-out rows are skipped by index and
/// never drawn; its one-pass standardiser agrees with the in-memory fit.
@Suite struct MappedDataSourceTests {
  /// `n` rows of (1e6 + N(0, 1), 3 + 2·N(0, 1), 0.5·N(0, 1)) in `Double`.
  func data(rows n: Int, seed: UInt64) -> Matrix<Double> {
    offsetData(rows: n, offsets: [1e6, 3, 0], scales: [1, 2, 0.5], seed: seed)
  }

  /// Writes `x` as `.npy` (in `S`) into a fresh folder and maps it.
  func mapped<S: BLASScalar>(_ x: Matrix<S>, in folder: URL) throws -> MappedNumPyFile {
    let url = folder.appendingPathComponent("data.npy")
    try NumPyFile.write(x, to: url)
    return try MappedNumPyFile(url: url)
  }

  /// Trains `steps` steps on `source` and returns every tensor of the network and of its average.
  func trainedTensors<Source: TrainingDataSource<Float>>(_ source: Source, steps: Int, seed: UInt64) throws
    -> [Matrix<Float>]
  {
    var trainer = try Trainer(
      process: VPSDE<Float>(),
      architecture: smallNetwork(dimension: source.dataColumns, condition: source.conditioningColumns),
      source: source, configuration: TrainingConfiguration(seed: seed, batchSize: 64, steps: steps))
    try trainer.train()
    return tensors(trainer.network.parameters) + tensors(trainer.averagedParameters) + [trainer.lastData]
  }

  /// Float64 and float32 files, with and without held-out rows and a condition column moved to the
  /// end: the mapped source and an in-memory `DatasetSource` of the training rows, standardised
  /// with the same μ and σ, give identical weights after 25 steps.
  @Test(arguments: [false, true], [false, true])
  func theSameWeightsAsInMemory(float32: Bool, heldOut: Bool) throws {
    let folder = try temporaryDirectory("mapped-weights")
    defer { try? FileManager.default.removeItem(at: folder) }
    let x = data(rows: 700, seed: 194)
    // What the file holds, as Double: a float32 file's values are the Float roundings.
    let stored =
      float32
      ? Matrix<Double>(rows: x.rows, columns: x.columns, elements: x.elements.map { Double(Float($0)) }) : x
    let file =
      float32
      ? try mapped(
        Matrix<Float>(rows: x.rows, columns: x.columns, elements: x.elements.map { Float($0) }), in: folder)
      : try mapped(x, in: folder)
    let held = heldOut ? [0, 1, 57, 58, 59, 300, 698, 699] : []
    // File column 0 is a condition: the rows are (column 1, column 2, column 0).
    let order = [1, 2, 0]
    let source = try MappedDataSource<Float>(
      file, conditioningColumns: 1, columnOrder: order, heldOutRows: held.reversed(), source: "data.npy")
    #expect(source.heldOutRows == held && source.trainingRows == 700 - held.count)

    let kept = (0..<700).filter { !held.contains($0) }
    var rows = Matrix<Double>(rows: kept.count, columns: 3)
    for (k, i) in kept.enumerated() { for (j, c) in order.enumerated() { rows[k, j] = stored[i, c] } }
    let expected = try Standardizer(fitting: rows)
    for j in 0..<3 {
      #expect(abs(source.standardizer.standardDeviations[j] / expected.standardDeviations[j] - 1) < 1e-13)
      #expect(
        abs(source.standardizer.means[j] - expected.means[j])
          <= 1e-13 * expected.standardDeviations[j] + 4 * expected.means[j].ulp)
    }
    let memory = try DatasetSource<Float>(
      source.standardizer.transformed(rows, as: Float.self), conditioningColumns: 1, order: .withReplacement)
    let a = try trainedTensors(source, steps: 25, seed: 195)
    let b = try trainedTensors(memory, steps: 25, seed: 195)
    #expect(a.count == b.count)
    for (k, (p, q)) in zip(a, b).enumerated() {
      #expect(p.elements.map(\.bitPattern) == q.elements.map(\.bitPattern), "tensor \(k)")
    }
    let c = try trainedTensors(source, steps: 25, seed: 196)
    #expect(c.last != a.last, "another seed draws other rows")
  }

  /// Training row r is file row r plus the held-out rows before it, and the batches of many steps
  /// hold every training row and no held-out one.
  @Test func heldOutRowsAreNeverDrawn() throws {
    let folder = try temporaryDirectory("mapped-held-out")
    defer { try? FileManager.default.removeItem(at: folder) }
    let n = 200
    // Column 0 is the row number, so a drawn row says which it is.
    var x = data(rows: n, seed: 197)
    for i in 0..<n { x[i, 0] = Double(i) }
    let file = try mapped(x, in: folder)
    let held = [0, 3, 4, 5, 100, 101, 199]
    var source = try MappedDataSource<Double>(file, heldOutRows: held)
    let kept = (0..<n).filter { !held.contains($0) }
    #expect((0..<kept.count).map { source.fileRow(ofTrainingRow: $0) } == kept)
    var seen = Set<Int>()
    var batch = Matrix<Double>(rows: 64, columns: 3)
    for step in 0..<40 {
      var rng = Xoshiro256(seed: 198, stream: UInt64(step))
      source.fill(&batch, step: step, seed: 198, using: &rng)
      let units = source.standardizer.inverseTransformed(batch)
      for i in 0..<batch.rows {
        let row = Int(units[i, 0].rounded())
        #expect(abs(units[i, 0] - Double(row)) < 1e-9)
        #expect(units[i, 1] == x[row, 1] || abs(units[i, 1] / x[row, 1] - 1) < 1e-14)
        seen.insert(row)
      }
    }
    #expect(seen == Set(kept))
  }

  /// Too few training rows, and a constant column named in the row's column order.
  @Test func refusals() throws {
    let folder = try temporaryDirectory("mapped-refusals")
    defer { try? FileManager.default.removeItem(at: folder) }
    var x = data(rows: 10, seed: 199)
    for i in 0..<10 { x[i, 2] = 4 }
    let file = try mapped(x, in: folder)
    #expect(throws: DataError.tooFewRows(source: "data.npy", needed: 2, actual: 1)) {
      try MappedDataSource<Float>(file, heldOutRows: Array(1..<10), source: "data.npy")
    }
    #expect(throws: DataError.constantColumn(source: "data.npy", column: 0, value: 4)) {
      try MappedDataSource<Float>(file, columnOrder: [2, 0, 1], source: "data.npy")
    }
  }
}
