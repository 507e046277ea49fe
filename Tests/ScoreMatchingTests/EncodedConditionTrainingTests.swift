import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// The trainer trains an encoded network's hash tables like any weight (Adam and the average),
/// and the model file keeps the encoding: the loaded model's scores are bit-identical, with
/// condition dropout's mask column passed through.
@Test(arguments: [
  ParameterEncoding.fourier(features: 4, scale: 1),
  .hashGrid(
    levels: 3, tableSize: 64, featuresPerLevel: 2, coarsestResolution: 2, finestResolution: 8),
])
func encodedNetworksTrainAndRoundTripThroughTheModelFile(encoding: ParameterEncoding) throws {
  let family = BlobRingFamily()
  let source = DistributionSource<BlobRingJoint, Double>(family.joint)
  let standardizer = try source.fitStandardizer(count: 2000, seed: 1)
  let lower = (0..<4).map {
    (family.parameterRanges[$0].lowerBound - standardizer.means[2 + $0])
      / standardizer.standardDeviations[2 + $0]
  }
  let upper = (0..<4).map {
    (family.parameterRanges[$0].upperBound - standardizer.means[2 + $0])
      / standardizer.standardDeviations[2 + $0]
  }
  let e = ParameterEncodingConfiguration(
    encoding: encoding, lowerBounds: lower, upperBounds: upper, passthroughColumns: 1)
  let architecture = EncodedConditionConfiguration(
    base: MLPConfiguration(inputDimension: 2, conditionDimension: e.outputColumns, width: 16, depth: 2),
    encoding: e)
  var trainer = try Trainer(
    process: VPSDE<Double>(), network: EncodedConditionNetwork<MLP<Double>>.self, architecture: architecture,
    source: source,
    configuration: TrainingConfiguration(
      seed: 4, batchSize: 32, steps: 6, emaDecay: 0.5, conditionDropout: 0.2),
    standardizer: standardizer)
  let initial = trainer.network.parameters.tables
  let frequencies = trainer.network.encoder.frequencies
  try trainer.train()
  if case .hashGrid = encoding {
    #expect(trainer.network.parameters.tables != initial, "Adam moved the tables")
    #expect(
      trainer.averagedNetwork.parameters.tables != trainer.network.parameters.tables, "the average lags")
  }
  #expect(trainer.network.encoder.frequencies == frequencies, "Fourier frequencies are fixed")
  let model = try trainer.trainedModel(data: "blob-ring", date: Date(timeIntervalSince1970: 0))
  let url = temporaryURL("encoded-model.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  #expect(try ModelFile.architecture(of: url) == "encoded-mlp")
  let loaded = try TrainedModel<EncodedConditionNetwork<MLP<Double>>>.load(from: url)
  #expect(loaded.network.configuration == architecture)
  #expect(loaded.network.namedTensors() == model.network.namedTensors())
  #expect(loaded.conditionEncoding == ConditionEncoding(dimension: 4, hasMaskColumn: true))
  var rng = Xoshiro256(seed: 5)
  let x = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
  let theta = [2.2, 0.2, 1.5, 0.3]
  let given = loaded.scoreModel(conditionInDataUnits: theta).score(x, at: 0.4)
  #expect(given == model.scoreModel(conditionInDataUnits: theta).score(x, at: 0.4))
  #expect(loaded.scoreModel().score(x, at: 0.4) == model.scoreModel().score(x, at: 0.4), "the ∅ branch")
  #expect(given != loaded.scoreModel().score(x, at: 0.4))
  // A plain MLP reader refuses the file, naming what it holds.
  #expect(throws: ModelFileError.self) { _ = try TrainedModel<MLP<Double>>.load(from: url) }
}
