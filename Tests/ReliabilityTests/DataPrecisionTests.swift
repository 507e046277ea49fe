import Foundation
import ScoreSDE
import TestSupport
import Testing

/// Issue 14, from file to samples: data of a large offset and of a tiny scale in a float64 `.npy`
/// trains in `Float` without losing its spread, the model file carries μ and σ fitted in
/// `Double`, and samples mapped back to `Double` data units keep their resolution. A constant
/// column, or a `Float` copy that made a column constant, is refused by name.
@Suite struct DataPrecisionTests {
  /// Column 0 is 1e9 + N(0, 1), column 1 is 1e-50·N(0, 1), 2000 rows.
  static func offsetAndTinyData() -> Matrix<Double> {
    var rng = Xoshiro256(seed: 160)
    var x = Matrix<Double>.randomNormal(rows: 2000, columns: 2, using: &rng)
    x.scaleColumns(by: [1, 1e-50])
    x.addToEachRow([1e9, 0])
    return x
  }

  @Test func anOffsetAndATinyScaleSurviveTrainingAndSampling() throws {
    let folder = try temporaryDirectory("data-precision")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("events.npy")
    try NumPyFile.write(Self.offsetAndTinyData(), to: file)

    let data = try NumPyFile.read(from: file, as: Double.self)
    let source = try DatasetSource<Float>(standardizing: data, source: "events.npy")
    var trainer = try Trainer(
      process: VPSDE<Float>(), architecture: smallArchitecture(), source: source,
      configuration: TrainingConfiguration(seed: 161, batchSize: 64, steps: 30, learningRate: 3e-3))
    try trainer.train()
    let url = folder.appendingPathComponent("model.safetensors")
    try trainer.trainedModel(data: "events.npy").save(to: url)
    let model = try TrainedModel<MLP<Float>>.load(from: url)

    // μ and σ within 5 standard errors of the truth (n = 2000).
    let scaler = try #require(model.standardizer)
    let n = 2000.0
    #expect(abs(scaler.means[0] - 1e9) < 5 / n.squareRoot())
    #expect(abs(scaler.standardDeviations[0] - 1) < 5 / (2 * n).squareRoot())
    #expect(abs(scaler.means[1]) < 5e-50 / n.squareRoot())
    #expect(abs(scaler.standardDeviations[1] / 1e-50 - 1) < 5 / (2 * n).squareRoot())

    let sampler = Sampler(
      process: model.sde, score: model.scoreModel(), options: SamplingOptions(kind: .dpmSolver(steps: 5)))
    let samples = try sampler.sample(count: 200, dimension: 2).samples
    // Mapped back in Double: μ + σz to rounding, 1e9 + z not in Float's steps of 64, and
    // 1e-50·z not 0. (30 steps train no good model; only the units are checked.)
    let x = scaler.inverseTransformed(samples, as: Double.self)
    #expect(Set(x.column(0)).count > 150)
    for i in 0..<200 {
      let (mu, sigma) = (scaler.means, scaler.standardDeviations)
      #expect(abs(x[i, 0] - (mu[0] + sigma[0] * Double(samples[i, 0]))) < 1e-6)
      #expect(abs(x[i, 1] - (mu[1] + sigma[1] * Double(samples[i, 1]))) < 1e-15 * sigma[1])
      #expect(samples[i, 1] == 0 || x[i, 1] != 0)
    }
  }

  /// A `Float` copy of the offset data has a constant first column: refused by name, where it
  /// used to train on σ = 1 silently.
  @Test func aFloatCopyOfOffsetDataIsRefused() throws {
    let folder = try temporaryDirectory("data-precision")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("events.npy")
    try NumPyFile.write(Self.offsetAndTinyData(), to: file)
    let floats = try NumPyFile.read(from: file, as: Float.self)
    let error = try #require(throws: DataError.self) {
      try DatasetSource(floats, source: "events.npy").fitStandardizer()
    }
    #expect(error.description.hasPrefix("events.npy: column 1 is constant (every row is 1000000000.0)"))
  }

  /// A constant column of a CSV file is refused, naming the file and the 1-based column.
  @Test func aConstantCSVColumnIsRefused() throws {
    let bytes = Array("a,b,c\n1,7,3\n2,7,5\n4,7,1\n".utf8)
    let table: CSVTable<Double> = try CSVFile.parse(bytes, file: "runs.csv")
    let error = try #require(throws: DataError.self) {
      try DatasetSource<Float>(standardizing: table.values, conditioningColumns: 1, source: "runs.csv")
    }
    #expect(error == .constantColumn(source: "runs.csv", column: 1, value: 7))
    #expect(error.description.hasPrefix("runs.csv: column 2 is constant (every row is 7.0)"))
  }
}
