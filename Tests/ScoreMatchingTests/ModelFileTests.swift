import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// A conditional model (standardised data, condition dropout) after a few steps.
func conditionalModel() throws -> (
  trainer: Trainer<MLP<Double>, SubVPSDE<Double>, DatasetSource<Double>>, model: TrainedModel<MLP<Double>>
) {
  let data = ringData(rows: 120, seed: 71)
  let source = try DatasetSource(data, conditioningColumns: 1)
  var trainer = try Trainer(
    process: SubVPSDE<Double>(), architecture: smallNetwork(condition: 2), source: source,
    configuration: TrainingConfiguration(
      seed: 72, batchSize: 30, steps: 5, loss: DenoisingOptions(parameterization: .data),
      conditionDropout: 0.1),
    standardizer: try source.fitStandardizer())
  try trainer.train()
  return (trainer, try trainer.trainedModel(data: "rings", date: Date(timeIntervalSince1970: 0)))
}

/// Everything survives the file: weights, process, parameterisation, encoding, both
/// standardisers, the summary; scores are bit-identical with a condition and without.
@Test func conditionalModelFilesRoundTrip() throws {
  let (trainer, model) = try conditionalModel()
  let url = temporaryURL("conditional.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  let loaded = try TrainedModel<MLP<Double>>.load(from: url)
  #expect(loaded.network.namedTensors() == model.network.namedTensors())
  #expect(tensors(loaded.network.parameters) == tensors(trainer.averagedParameters), "the EMA weights")
  #expect(loaded.process == SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20))))
  #expect(loaded.parameterization == .data)
  #expect(loaded.conditionEncoding == ConditionEncoding(dimension: 1, hasMaskColumn: true))
  let full = trainer.standardizer!
  #expect(
    loaded.standardizer
      == Standardizer(
        means: Array(full.means[..<2]), standardDeviations: Array(full.standardDeviations[..<2])))
  #expect(
    loaded.conditionStandardizer
      == Standardizer(means: [full.means[2]], standardDeviations: [full.standardDeviations[2]]))
  #expect(loaded.training == model.training && loaded.training.date == "1970-01-01T00:00:00Z")
  #expect(loaded.training.configuration == trainer.configuration && loaded.training.data == "rings")

  var rng = Xoshiro256(seed: 73)
  let x = Matrix<Double>.randomNormal(rows: 6, columns: 2, using: &rng)
  let radius = 2.2
  let c = (radius - full.means[2]) / full.standardDeviations[2]
  #expect(loaded.networkCondition([radius]) == [c])
  let given = loaded.scoreModel(conditionInDataUnits: [radius]).score(x, at: 0.3)
  #expect(given == model.scoreModel(condition: .fixed([c])).score(x, at: 0.3))
  #expect(given == trainer.scoreModel.conditioned(on: [c]).score(x, at: 0.3))
  #expect(loaded.scoreModel().score(x, at: 0.3) == trainer.scoreModel.score(x, at: 0.3), "the ∅ branch")
  #expect(given != loaded.scoreModel().score(x, at: 0.3))

  var y = x
  loaded.toDataScale(&y)
  #expect(
    y
      == full.inverseTransformed(Matrix(rows: 6, columns: 3, elements: (0..<6).flatMap { x.row($0) + [0] }))
      .columns(0..<2))
  loaded.toModelScale(&y)
  #expect(maxAbsDifference(y, x) < 1e-14)
  #expect(
    abs(loaded.logDensityCorrection + Double.log(full.standardDeviations[0] * full.standardDeviations[1]))
      < 1e-14)
}

extension Matrix {
  /// The columns in `range`, as a new matrix.
  func columns(_ range: Range<Int>) -> Matrix {
    Matrix(rows: rows, columns: range.count, elements: (0..<rows).flatMap { Array(row($0)[range]) })
  }
}

/// A file written in `Float` loads as `Double` (rounding nothing, as Float → Double is exact).
@Test func floatModelFilesLoadInDouble() throws {
  var rng = Xoshiro256(seed: 74)
  let network = MLP<Float>(configuration: smallNetwork(), using: &rng)
  let model = TrainedModel(
    network: network, process: SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 10)), parameterization: .score,
    training: TrainingSummary(steps: 0, seed: 0, date: "now"))
  let url = temporaryURL("float.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  let asDouble = try TrainedModel<MLP<Double>>.load(from: url)
  #expect(
    asDouble.network.parameters.tensor(at: 0).elements
      == network.parameters.tensor(at: 0).elements.map { Double($0) })
  #expect(asDouble.process == model.process && asDouble.parameterization == .score)
}

/// Malformed files, files without ScoreSDE metadata, files whose tensors do not fit the stated
/// architecture, and nonsensical metadata each give a typed error naming the problem.
@Test func badModelFilesGiveTypedErrors() throws {
  let (_, model) = try conditionalModel()
  let url = temporaryURL("bad.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  func loadError() -> ModelFileError? {
    do {
      _ = try TrainedModel<MLP<Double>>.load(from: url)
      return nil
    } catch { return error }
  }

  try Data([1, 2, 3]).write(to: url)
  guard case .file(_, .truncated) = loadError() else {
    Issue.record("a 3-byte file was accepted")
    return
  }
  try model.network.save(to: url)
  #expect(loadError() == .missingMetadata(path: url.path, key: "score_sde.model.format"))

  // Another architecture in the metadata than in the tensors.
  var metadata = model.network.metadata.merging(model.metadata) { a, _ in a }
  var wider = model.network.configuration
  wider.width += 1
  metadata[MLP<Double>.configurationMetadataKey] = String(
    decoding: try JSONEncoder().encode(wider), as: UTF8.self)
  try SafeTensors.write(model.network.namedTensors(), metadata: metadata, to: url)
  guard case .file(_, .shapeMismatch(let name, _, _)) = loadError() else {
    Issue.record("tensors of another architecture were accepted: \(String(describing: loadError()))")
    return
  }
  #expect(name == "layers.0.weight")

  func corrupt(_ key: String, _ value: String) throws -> ModelFileError? {
    var m = model.network.metadata.merging(model.metadata) { a, _ in a }
    m[key] = value
    try SafeTensors.write(model.network.namedTensors(), metadata: m, to: url)
    return loadError()
  }
  guard
    case .invalidMetadata(_, "score_sde.model.parameterization", _) = try corrupt(
      "score_sde.model.parameterization", "velocity")
  else {
    Issue.record("an unknown parameterisation was accepted")
    return
  }
  guard
    case .invalidMetadata(_, "score_sde.model.condition_encoding", _) = try corrupt(
      "score_sde.model.condition_encoding", #"{"dimension":1,"hasMaskColumn":false}"#)
  else {
    Issue.record("an encoding that does not fit the network was accepted")
    return
  }
  guard
    case .invalidMetadata(_, "score_sde.model.process", let reason) = try corrupt(
      "score_sde.model.process", #"{"endTime":1,"kind":{"ve":{"sigmaMin":5,"sigmaMax":1}}}"#)
  else {
    Issue.record("an invalid process was accepted")
    return
  }
  #expect(reason.contains("the VE SDE needs 0 < sigmaMin < sigmaMax"))
  guard
    case .invalidMetadata(_, "score_sde.model.standardizer", _) = try corrupt(
      "score_sde.model.standardizer", #"{"means":[0],"standardDeviations":[1]}"#)
  else {
    Issue.record("a standardizer of the wrong size was accepted")
    return
  }
  guard case .invalidMetadata(_, "score_sde.model.format", _) = try corrupt("score_sde.model.format", "2")
  else {
    Issue.record("an unknown format was accepted")
    return
  }
}

/// A trainer for a process without a description cannot export a model file.
@Test func customProcessesCannotBeExported() throws {
  let source = try DatasetSource(Matrix<Double>(rows: 10, columns: 2, repeating: 0.5))
  let trainer = try Trainer(process: BisectedVP(), architecture: smallNetwork(), source: source)
  #expect(throws: ModelFileError.self) { _ = try trainer.trainedModel() }
}

/// A run of `conditionalModel()`'s configuration, exported with `environment` for
/// `SOURCE_DATE_EPOCH`.
func conditionalModel(environment: [String: String]) throws -> TrainedModel<MLP<Double>> {
  try conditionalModel().trainer.trainedModel(data: "rings", environment: environment)
}

/// Model files are reproducible bit for bit: two runs with the same seed, data and steps write
/// identical bytes, with no date unless `SOURCE_DATE_EPOCH` (or the caller) gives one.
@Test func identicalRunsWriteIdenticalModelFiles() throws {
  for environment in [[:], [TrainingSummary.sourceDateEpochVariable: "1700000000"]] {
    let urls = [temporaryURL("first.safetensors"), temporaryURL("second.safetensors")]
    defer { for url in urls { try? FileManager.default.removeItem(at: url) } }
    for url in urls { try conditionalModel(environment: environment).save(to: url) }
    let (first, second) = (try Data(contentsOf: urls[0]), try Data(contentsOf: urls[1]))
    #expect(first == second, "environment \(environment)")
    let loaded = try TrainedModel<MLP<Double>>.load(from: urls[0])
    #expect(loaded.training.date == (environment.isEmpty ? nil : "2023-11-14T22:13:20Z"))
    let json = try #require(try SafeTensors.metadata(from: urls[0])["score_sde.model.training"])
    #expect(json.contains("\"date\"") == !environment.isEmpty)
  }
}

/// An explicit date wins over `SOURCE_DATE_EPOCH`; a malformed `SOURCE_DATE_EPOCH` is an error
/// when it would be used, and ignored when a date is given.
@Test func theDateComesFromTheCallerOrSourceDateEpoch() throws {
  let trainer = try conditionalModel().trainer
  let epoch = [TrainingSummary.sourceDateEpochVariable: "86400"]
  #expect(try trainer.trainedModel(environment: epoch).training.date == "1970-01-02T00:00:00Z")
  #expect(
    try trainer.trainedModel(date: Date(timeIntervalSince1970: 0), environment: epoch).training.date
      == "1970-01-01T00:00:00Z")
  let malformed = [TrainingSummary.sourceDateEpochVariable: "yesterday"]
  #expect(throws: ModelFileError.invalidSourceDateEpoch(value: "yesterday")) {
    try trainer.trainedModel(environment: malformed)
  }
  #expect(throws: Never.self) { try trainer.trainedModel(date: Date(), environment: malformed) }
  #expect("\(ModelFileError.invalidSourceDateEpoch(value: "yesterday"))".contains("SOURCE_DATE_EPOCH"))
}

/// `SOURCE_DATE_EPOCH` is what `date +%s` prints: whole seconds, ASCII digits, optionally
/// negative; unset or empty means no date.
@Test(
  arguments: [
    ("0", 0), ("86400", 86400), ("1700000000", 1_700_000_000), ("-86400", -86400),
    ("253402300799", 253_402_300_799),
  ] as [(String, Int64)])
func sourceDateEpochAcceptsWholeSeconds(value: String, seconds: Int64) throws {
  let date = try TrainingSummary.sourceDateEpoch(in: [TrainingSummary.sourceDateEpochVariable: value])
  #expect(date == Date(timeIntervalSince1970: TimeInterval(seconds)))
}

@Test(arguments: [
  "abc", "1.5", " 1", "1 ", "+1", "0x10", "1e9", "-", "--1", "١٢", "253402300800", "99999999999999",
])
func sourceDateEpochRefusesAnythingElse(value: String) {
  #expect(throws: ModelFileError.invalidSourceDateEpoch(value: value)) {
    try TrainingSummary.sourceDateEpoch(in: [TrainingSummary.sourceDateEpochVariable: value])
  }
}

@Test func noSourceDateEpochMeansNoDate() throws {
  #expect(try TrainingSummary.sourceDateEpoch(in: [:]) == nil)
  #expect(try TrainingSummary.sourceDateEpoch(in: [TrainingSummary.sourceDateEpochVariable: ""]) == nil)
  #expect(TrainingSummary.dateString(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14T22:13:20Z")
}

/// Summaries of older files, which always have a date, still decode; new ones may have none.
@Test func summariesDecodeWithAndWithoutADate() throws {
  let old = #"{"date":"2024-05-01T12:00:00Z","finalLoss":0.5,"seed":3,"steps":10}"#
  let new = #"{"finalLoss":0.5,"seed":3,"steps":10}"#
  let decoder = JSONDecoder()
  #expect(
    try decoder.decode(TrainingSummary.self, from: Data(old.utf8))
      == TrainingSummary(steps: 10, seed: 3, finalLoss: 0.5, date: "2024-05-01T12:00:00Z"))
  #expect(
    try decoder.decode(TrainingSummary.self, from: Data(new.utf8))
      == TrainingSummary(steps: 10, seed: 3, finalLoss: 0.5))
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  #expect(
    String(decoding: try encoder.encode(TrainingSummary(steps: 10, seed: 3, finalLoss: 0.5)), as: UTF8.self)
      == new)
}
