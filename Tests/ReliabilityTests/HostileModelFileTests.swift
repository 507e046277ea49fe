import Foundation
import ScoreSDE
import TestSupport
import Testing

/// Hostile model files: every class of damage gives a ``ModelFileError``, never a trap.
@Suite struct HostileModelFileTests {
  /// Writes `data` to a fresh file and loads it as a model.
  func load(_ data: Data) throws -> Result<TrainedModel<MLP<Double>>, ModelFileError> {
    try load(data, as: MLP<Double>.self)
  }

  /// Writes `data` to a fresh file and loads it as a model of `Network`.
  func load<Network: ScoreNetwork>(
    _ data: Data, as _: Network.Type
  ) throws -> Result<TrainedModel<Network>, ModelFileError> {
    let directory = try temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try data.write(to: url)
    return Result { () throws(ModelFileError) in try TrainedModel<Network>.load(from: url) }
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

  /// Every tensor of the file is checked, not only the layers' weights: a NaN in the Fourier
  /// frequencies of the time embedding (a fixed buffer, not a parameter) would otherwise pass
  /// and give "Step 0: the state contains NaN" at the first sampling step.
  @Test func everyTensorIsCheckedForNonFiniteValues() throws {
    let names = sharedModel.network.namedTensors().names
    #expect(names.contains("embedding.frequencies"))
    for name in names {
      for value in [Double.nan, .infinity, -.infinity] {
        var last = 0
        let data = try modelFile { tensors, _ in
          tensors = tensors.mapping(name) { values in
            last = values.count - 1
            values.withUnsafeMutableBufferPointer { $0[last] = value }
          }
        }
        guard case .failure(let error) = try load(data),
          case .nonFiniteParameters(_, name, last, 1) = error
        else {
          Issue.record("\(value) in \(name): \(try load(data))")
          continue
        }
        #expect(error.description.contains("model.safetensors") && error.description.contains(name))
      }
    }
  }

  /// A `Double` file's entry beyond `Float`'s range is ∞ once read as `Float`: refused.
  @Test func valuesThatOverflowTheModelsPrecisionAreRefused() throws {
    let data = try modelFile { tensors, _ in
      tensors = tensors.mapping("embedding.frequencies") { values in
        values.withUnsafeMutableBufferPointer { $0[0] = 1e300 }
      }
    }
    #expect(throws: Never.self) { try load(data).get() }
    guard
      case .failure(.nonFiniteParameters(_, "embedding.frequencies", 0, 1)) = try load(
        data, as: MLP<Float>.self)
    else {
      Issue.record("10³⁰⁰ read as Float: \(try load(data, as: MLP<Float>.self))")
      return
    }
  }

  /// A residual MLP's Fourier frequencies (`time.frequencies`) are checked too.
  @Test func residualNetworkBuffersAreChecked() throws {
    var rng = Xoshiro256(seed: 91)
    let network = ResidualMLP<Double>(
      configuration: ResidualMLPConfiguration(inputDimension: 2, width: 8, blocks: 1), using: &rng)
    let model = TrainedModel(
      network: network, process: SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))),
      parameterization: .noise, training: TrainingSummary(steps: 0, seed: 0))
    var tensors = network.namedTensors().mapping("time.frequencies") { values in
      values.withUnsafeMutableBufferPointer { $0[1] = .nan }
    }
    let data = SafeTensors.encode(tensors, metadata: network.metadata.merging(model.metadata) { a, _ in a })
    guard
      case .failure(.nonFiniteParameters(_, "time.frequencies", 1, 1)) = try load(
        data, as: ResidualMLP<Double>.self)
    else {
      Issue.record("a NaN frequency: \(try load(data, as: ResidualMLP<Double>.self))")
      return
    }
    tensors = network.namedTensors()
    #expect(throws: Never.self) {
      try load(
        SafeTensors.encode(tensors, metadata: network.metadata.merging(model.metadata) { a, _ in a }),
        as: ResidualMLP<Double>.self
      ).get()
    }
  }

  /// One flipped bit anywhere in the tensor data is caught by the checksum, and the error names
  /// the file.
  @Test func aFlippedBitInAWeightIsRefused() throws {
    let directory = try temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("flipped.safetensors")
    try sharedModel.save(to: url)
    var data = try Data(contentsOf: url)
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    // The lowest mantissa bit of the first weight: the value changes by one ulp, nothing else.
    data[8 + headerLength] ^= 1
    try data.write(to: url)
    #expect {
      try TrainedModel<MLP<Double>>.load(from: url)
    } throws: { error in
      guard case .file(let path, .checksumMismatch) = error as? ModelFileError else { return false }
      let text = "\(error)"
      return path == url.path && text.contains(url.path) && text.contains("corrupted")
    }
  }

  /// Metadata numbers that are out of range, or that make no sense, are refused with an error
  /// naming the file and the key; none of them traps (Standardizer's initializer would, but the
  /// decoder does not go through it).
  @Test(arguments: HostileMetadata.allCases)
  func nonsensicalMetadataIsRefused(_ hostile: HostileMetadata) throws {
    let (key, value) = try hostile.entry
    let data = try modelFile { _, metadata in metadata[key] = value }
    let result =
      hostile.inFloat
      ? try load(data, as: MLP<Float>.self).map { _ in () } : try load(data).map { _ in () }
    guard case .failure(let error) = result, case .invalidMetadata(_, key, let reason) = error else {
      Issue.record("\(hostile): \(result)")
      return
    }
    #expect(error.description.contains("model.safetensors") && error.description.contains(key))
    #expect(reason.contains(hostile.reason), "\(hostile): \(reason)")
  }

  /// What ``TrainedModel/load(from:)`` would refuse is not written: non-finite weights, or a
  /// summary that JSON cannot hold (this trapped in the encoder before).
  @Test func saveRefusesWhatLoadWouldRefuse() throws {
    let directory = try temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("refused.safetensors")
    var model = sharedModel
    model.network.parameters.layers[0].weight.withUnsafeMutableBufferPointer { $0[2] = .nan }
    #expect(
      throws: ModelFileError.nonFiniteParameters(
        path: url.path, tensor: "layers.0.weight", index: 2, count: 1)
    ) {
      try model.save(to: url)
    }
    model = sharedModel
    model.training.finalLoss = .infinity
    #expect {
      try model.save(to: url)
    } throws: { error in
      guard case .invalidMetadata(_, "score_sde.model.training", let reason) = error as? ModelFileError else {
        return false
      }
      return reason.contains("finalLoss")
    }
    model = sharedModel
    model.training.configuration?.gradientClipNorm = .infinity
    #expect(throws: ModelFileError.self) { try model.save(to: url) }
    #expect(!FileManager.default.fileExists(atPath: url.path))
  }
}

/// Metadata entries that must not load, one per gap a validator closes.
enum HostileMetadata: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case zeroStandardDeviation, negativeStandardDeviation, standardDeviationWithInfiniteReciprocal
  case infiniteLiteral, processOverflowingFloat, processUnderflowingFloat
  case negativeSteps, negativeLoss, invalidConfiguration, negativeConditionDimension
  case networkScaleOverflowingFloat

  var testDescription: String { rawValue }

  /// Whether the file is loaded as `Float` (the value is fine in `Double`).
  var inFloat: Bool {
    switch self {
    case .processOverflowingFloat, .processUnderflowingFloat, .networkScaleOverflowingFloat:
      return true
    default: return false
    }
  }

  /// The key and its hostile value.
  var entry: (key: String, value: String) {
    get throws {
      let standardizer = "score_sde.model.standardizer"
      let process = "score_sde.model.process"
      let training = "score_sde.model.training"
      func summary(_ edit: (inout TrainingSummary) -> Void) throws -> String {
        var s = sharedModel.training
        edit(&s)
        return String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
      }
      switch self {
      case .zeroStandardDeviation: return (standardizer, #"{"means":[0,0],"standardDeviations":[1,0]}"#)
      case .negativeStandardDeviation: return (standardizer, #"{"means":[0,0],"standardDeviations":[-1,1]}"#)
      case .standardDeviationWithInfiniteReciprocal:
        // Standardisation runs in Double even for a Float model (σ = 1e-50 is fine), but 1/σ
        // overflows Double for a subnormal σ.
        return (standardizer, #"{"means":[0,0],"standardDeviations":[1,1e-320]}"#)
      case .infiniteLiteral: return (standardizer, #"{"means":[1e999,0],"standardDeviations":[1,1]}"#)
      case .processOverflowingFloat:
        return (process, #"{"endTime":1,"kind":{"ve":{"sigmaMax":1e300,"sigmaMin":0.01}}}"#)
      case .processUnderflowingFloat:
        return (process, #"{"endTime":1,"kind":{"ornsteinUhlenbeck":{"mean":0,"sigma":1,"theta":1e-60}}}"#)
      case .negativeSteps: return (training, try summary { $0.steps = -1 })
      case .negativeLoss: return (training, try summary { $0.finalLoss = -1 })
      case .invalidConfiguration: return (training, try summary { $0.configuration?.learningRate = -1 })
      case .negativeConditionDimension:
        return ("score_sde.model.condition_encoding", #"{"dimension":-1,"hasMaskColumn":false}"#)
      case .networkScaleOverflowingFloat:
        var configuration = sharedModel.network.configuration
        configuration.timeEmbedding = .gaussianFourier(frequencies: 4, scale: 1e300)
        return (
          MLP<Double>.configurationMetadataKey,
          String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        )
      }
    }
  }

  /// A word the error's reason must contain.
  var reason: String {
    switch self {
    case .zeroStandardDeviation: return "standardDeviations[1]"
    case .negativeStandardDeviation: return "standardDeviations[0]"
    case .standardDeviationWithInfiniteReciprocal: return "standardDeviations[1]"
    case .infiniteLiteral: return "JSON"
    case .processOverflowingFloat: return "kind.ve.sigmaMax"
    case .processUnderflowingFloat: return "Float"
    case .negativeSteps: return "steps"
    case .negativeLoss: return "finalLoss"
    case .invalidConfiguration: return "learningRate"
    case .negativeConditionDimension: return "conditions"
    case .networkScaleOverflowingFloat: return "scale"
    }
  }
}

extension NamedTensors {
  /// A copy with the values of the tensor `name` edited by `edit`.
  func mapping(_ name: String, _ edit: (inout Matrix<Scalar>) -> Void) -> NamedTensors {
    var copy = NamedTensors()
    for t in entries {
      var values = t.values
      if t.name == name { edit(&values) }
      copy.append(name: t.name, shape: t.shape, values: values)
    }
    return copy
  }
}
