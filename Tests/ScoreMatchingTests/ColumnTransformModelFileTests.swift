import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import Testing

/// A model's column transforms and data range survive the file; the model maps data through
/// `T` then the standardisation and back; its per-point correction adds `Σ log Tⱼ′`; a file whose
/// quantile knots do not increase is refused, naming the key.
@Test func columnTransformsAndDataRangeRoundTripThroughTheModelFile() throws {
  var rng = Xoshiro256(seed: 75)
  var model = TrainedModel(
    network: MLP<Double>(configuration: smallNetwork(), using: &rng),
    process: SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 10)), parameterization: .score,
    standardizer: Standardizer(means: [1, -2], standardDeviations: [0.5, 4]),
    training: TrainingSummary(steps: 0, seed: 0))
  let transforms = ColumnTransforms([
    .log(offset: 1), .quantile(QuantileMap(knots: [-3, 0, 2, 9], scores: [-1.5, -0.2, 0.4, 1.3])),
  ])
  model.columnTransforms = transforms
  model.dataRange = DataRange(lower: [-2, -1.5], upper: [2.5, 3])
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("columns-\(UUID()).safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  let loaded = try TrainedModel<MLP<Double>>.load(from: url)
  #expect(loaded.columnTransforms == transforms && loaded.dataRange == model.dataRange)

  let x = Matrix<Double>([[0.5, 1], [3, -7], [10, 20]])
  var z = x
  loaded.toModelScale(&z)
  for i in 0..<3 {
    #expect(abs(z[i, 0] - (Double.log(x[i, 0] + 1) - 1) / 0.5) < 1e-14)
    let map = QuantileMap(knots: [-3, 0, 2, 9], scores: [-1.5, -0.2, 0.4, 1.3])
    #expect(abs(z[i, 1] - (map.value(x[i, 1]) + 2) / 4) < 1e-14)
  }
  var back = z
  loaded.toDataUnits(&back)
  for (a, b) in zip(back.elements, x.elements) { #expect(abs(a - b) < 1e-12 * max(1, abs(b))) }
  let corrections = loaded.logDensityCorrections(at: x)
  let jacobians = transforms.logAbsJacobians(of: x)
  for i in 0..<3 { #expect(abs(corrections[i] - (jacobians[i] - Double.log(0.5 * 4))) < 1e-14) }
  // Row 1: −log 4 for the log, and the quantile map's tail slope 2.8/12 at −7.
  #expect(abs(jacobians[1] - (-Double.log(4) + Double.log(2.8 / 12))) < 1e-14)

  // Knots that do not increase: refused on load, naming the key.
  var metadata = model.network.metadata.merging(model.metadata) { a, _ in a }
  metadata["score_sde.model.column_transforms"] =
    #"{"transforms":[{"identity":{}},{"quantile":{"_0":{"knots":[0,0],"scores":[0,1]}}}]}"#
  try SafeTensors.write(model.network.namedTensors(), metadata: metadata, to: url)
  do {
    _ = try TrainedModel<MLP<Double>>.load(from: url)
    Issue.record("decreasing knots were accepted")
  } catch {
    guard case .invalidMetadata(_, let key, let reason) = error else {
      Issue.record("\(error)")
      return
    }
    #expect(key == "score_sde.model.column_transforms" && reason.contains("column 2"), "\(reason)")
  }
}
