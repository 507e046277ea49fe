import Foundation
import ScoreSDE
import TestSupport
import Testing

/// Hostile model files: every class of damage gives a ``ModelFileError``, never a trap.
@Suite struct HostileModelFileTests {
  /// Writes `data` to a fresh file and loads it as a model.
  func load(_ data: Data) throws -> Result<TrainedModel<MLP<Double>>, ModelFileError> {
    let directory = try temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try data.write(to: url)
    return Result { () throws(ModelFileError) in try TrainedModel<MLP<Double>>.load(from: url) }
  }

  /// The bytes of the shared model's file with `edit` applied to its tensors and metadata.
  func modelFile(
    editing edit: (inout NamedTensors<Double>, inout [String: String]) -> Void = { _, _ in }
  ) throws -> Data {
    let directory = try temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try sharedModel.save(to: url)
    var (tensors, metadata) = try SafeTensors.read(from: url, as: Double.self)
    edit(&tensors, &metadata)
    return SafeTensors.encode(tensors, metadata: metadata)
  }

  @Test func aValidFileLoads() throws {
    let model = try load(try modelFile()).get()
    #expect(model.network.parameters.tensorCount == sharedModel.network.parameters.tensorCount)
  }

  @Test func truncatedFiles() throws {
    let data = try modelFile()
    for cut in [0, 7, 100, data.count / 2, data.count - 1] {
      guard case .failure(.file) = try load(data.prefix(cut)) else {
        Issue.record("a model file cut at byte \(cut) of \(data.count) loaded")
        continue
      }
    }
  }

  @Test func wrongMagic() throws {
    guard case .failure(.file) = try load(Data(NumPyFile.encode(Matrix<Double>([[1, 2]])))) else {
      Issue.record("a .npy file loaded as a model")
      return
    }
    // A valid safetensors file that is not a model: no network architecture in its metadata.
    var t = NamedTensors<Double>()
    t.append(name: "w", shape: [1], values: Matrix([[1]]))
    guard case .failure(.file(_, .invalidMetadata)) = try load(SafeTensors.encode(t)) else {
      Issue.record("a safetensors file without model metadata: \(try load(SafeTensors.encode(t)))")
      return
    }
    // A network file without the model's own metadata.
    let network = try modelFile { _, metadata in
      metadata = metadata.filter { !$0.key.hasPrefix("score_sde.model.") }
    }
    guard case .failure(.missingMetadata) = try load(network) else {
      Issue.record("a bare network file loaded as a model")
      return
    }
  }

  /// Metadata that claims a shape the tensors do not have, or absurd sizes.
  @Test func absurdShapes() throws {
    let wrongWidth = try modelFile { tensors, metadata in
      var other = NamedTensors<Double>()
      for t in tensors.entries {
        other.append(
          name: t.name, shape: [1, t.values.count],
          values: Matrix(
            rows: 1, columns: t.values.count, elements: t.values.withUnsafeBufferPointer { Array($0) }))
      }
      tensors = other
    }
    guard case .failure = try load(wrongWidth) else {
      Issue.record("reshaped tensors loaded")
      return
    }
    let standardizer = try modelFile { _, metadata in
      metadata["score_sde.model.standardizer"] = "{\"means\": [0, 0, 0], \"standardDeviations\": [1, 1, 1]}"
    }
    #expect(throws: ModelFileError.self) { try load(standardizer).get() }
  }

  @Test func nonUTF8Metadata() throws {
    var data = try modelFile()
    // Corrupt one byte of the JSON header into an invalid UTF-8 lead byte.
    let headerLength = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16
    let position = 8 + headerLength / 2
    data[position] = 0xFF
    guard case .failure(.file) = try load(data) else {
      Issue.record("a header with invalid UTF-8 loaded")
      return
    }
  }

  /// A model whose weights hold NaN or ∞ can only produce NaN scores: the loader refuses it,
  /// naming the tensor.
  @Test(arguments: [Double.nan, .infinity])
  func nonFiniteWeightsAreRefused(value: Double) throws {
    let data = try modelFile { tensors, _ in
      var other = NamedTensors<Double>()
      for (k, t) in tensors.entries.enumerated() {
        var values = t.values
        if k == 1 { values.withUnsafeMutableBufferPointer { $0[0] = value } }
        other.append(name: t.name, shape: t.shape, values: values)
      }
      tensors = other
    }
    let name = sharedModel.network.parameters.tensorName(at: 1)
    guard case .failure(.nonFiniteParameters(_, let tensor, let index, let count)) = try load(data) else {
      Issue.record("a model with a \(value) weight: \(try load(data))")
      return
    }
    #expect(tensor == name && index == 0 && count == 1)
  }
}
