import Foundation
import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// A fresh path in the temporary directory.
func temporaryFile(_ name: String) -> URL {
  FileManager.default.temporaryDirectory.appendingPathComponent("score-networks-\(UUID().uuidString)-\(name)")
}

func roundTrip<S: BLASScalar>(_: S.Type) throws {
  let (_, x, times, condition) = MLPCase.small(condition: 2, layerNorm: true).instance(seed: 41)
  var rng = Xoshiro256(seed: 42)
  let configuration = MLPConfiguration(
    inputDimension: 3, conditionDimension: 2, width: 7, depth: 3, activation: .gelu, residual: true,
    layerNorm: true)
  var model = MLP<S>(configuration: configuration, using: &rng)
  model.parameters.norms[1].weight.fillNormal(mean: 1, standardDeviation: 0.2, using: &rng)
  let xs = Matrix<S>(rows: x.rows, columns: x.columns, elements: x.elements.map { S($0) })
  let cs = condition.map {
    Matrix<S>(rows: $0.rows, columns: $0.columns, elements: $0.elements.map { S($0) })
  }
  guard case .perRow(let t) = times else { return }
  let ts = Times<S>.perRow(t.map { S($0) })
  let url = temporaryFile("roundtrip.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url, extraMetadata: ["step": "17"])
  let loaded = try MLP<S>.load(from: url)
  #expect(loaded.configuration == configuration)
  #expect(loaded(xs, times: ts, condition: cs) == model(xs, times: ts, condition: cs))
  #expect(loaded.namedTensors() == model.namedTensors())
  let (_, metadata) = try SafeTensors.read(from: url, as: S.self)
  #expect(metadata["step"] == "17")
  #expect(metadata["format"] == "pt")

  // Into an existing model of the same architecture.
  var other = MLP<S>(configuration: configuration, using: &rng)
  #expect(other(xs, times: ts, condition: cs) != model(xs, times: ts, condition: cs))
  try other.loadParameters(from: url)
  #expect(other(xs, times: ts, condition: cs) == model(xs, times: ts, condition: cs))
}

@Test func saveAndLoadAreBitExactFloat() throws { try roundTrip(Float.self) }
@Test func saveAndLoadAreBitExactDouble() throws { try roundTrip(Double.self) }

@Test func fileLayoutFollowsTheFormat() throws {
  var tensors = NamedTensors<Float>()
  tensors.append(name: "a", shape: [2, 3], values: Matrix([[1, 2, 3], [4, 5, 6]]))
  tensors.append(name: "b", shape: [1], values: Matrix([[-0.5]]))
  let data = SafeTensors.encode(tensors, metadata: ["k": "v"])
  let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  #expect((8 + headerLength) % 8 == 0)
  #expect(data.count == 8 + headerLength + 7 * 4)
  let header =
    try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
  let a = header?["a"] as? [String: Any]
  #expect(a?["dtype"] as? String == "F32")
  #expect(a?["shape"] as? [Int] == [2, 3])
  #expect(a?["data_offsets"] as? [Int] == [0, 24])
  #expect((header?["b"] as? [String: Any])?["data_offsets"] as? [Int] == [24, 28])
  // The metadata and, always, the data section's CRC-32 (1.0, 2.0, … -0.5 as little-endian F32).
  let dataSection = data.subdata(in: (8 + headerLength)..<data.count)
  #expect(
    header?["__metadata__"] as? [String: String]
      == ["k": "v", "score_sde.crc32": String(format: "%08x", CRC32.checksum(of: dataSection))])
  // Little-endian IEEE 754: 1.0f is 00 00 80 3F.
  #expect(Array(data[(8 + headerLength)..<(12 + headerLength)]) == [0, 0, 0x80, 0x3F])
  let (decoded, metadata) = try SafeTensors.decode(data, as: Float.self)
  #expect(decoded == tensors)
  #expect(metadata == ["k": "v"])
  // F32 read as Double widens exactly; F64 read as Float rounds to nearest.
  #expect(try SafeTensors.decode(data, as: Double.self).tensors["b"]?.values[0, 0] == -0.5)
  var wide = NamedTensors<Double>()
  wide.append(name: "c", shape: [], values: Matrix([[0.1]]))
  #expect(
    try SafeTensors.decode(SafeTensors.encode(wide), as: Float.self).tensors["c"]?.values[0, 0] == Float(0.1))
}

/// A file with `header` as its JSON header (padded) and `dataBytes` bytes of data.
func rawFile(header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> Data {
  var json = Data(header.utf8)
  while json.count % 8 != 0 { json.append(0x20) }
  var data = Data()
  withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { data.append(contentsOf: $0) }
  data.append(json)
  data.append(Data(repeating: 0, count: dataBytes))
  return data
}

func decodingError(_ data: Data) -> SafeTensorsError? {
  do {
    _ = try SafeTensors.decode(data, as: Float.self)
    return nil
  } catch {
    return error
  }
}

@Test func malformedFilesThrowTypedErrors() {
  let good = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
  #expect(decodingError(rawFile(header: good, dataBytes: 8)) == nil)
  #expect(decodingError(Data([1, 2, 3])) == .truncated(byteCount: 3))
  // An absurd header length is rejected before anything is allocated for it.
  #expect(
    decodingError(rawFile(header: good, dataBytes: 8, declaredLength: .max))
      == .headerTooLarge(length: .max, available: 64))
  #expect(
    decodingError(rawFile(header: good, dataBytes: 8, declaredLength: 1000))
      == .headerTooLarge(length: 1000, available: 64))
  // A file cut inside its data.
  #expect(
    decodingError(rawFile(header: good, dataBytes: 8).dropLast(3))
      == .offsetsOutOfRange(name: "w", offsets: [0, 8], dataSize: 5))
  // Trailing bytes after the last tensor.
  if case .noncontiguousData(let name, _) = decodingError(rawFile(header: good, dataBytes: 12)) {
    #expect(name == "w")
  } else {
    Issue.record("unused trailing bytes must be reported")
  }
  if case .malformedHeader = decodingError(rawFile(header: "[1, 2]", dataBytes: 0)) {
  } else {
    Issue.record("a header that is not an object must be reported")
  }
  if case .malformedHeader = decodingError(rawFile(header: #"{"w": {"dtype": "F32"}}"#, dataBytes: 0)) {
  } else {
    Issue.record("an entry without shape must be reported")
  }
  if case .malformedHeader = decodingError(
    rawFile(header: #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, dataBytes: 8))
  {
  } else {
    Issue.record("a fractional dimension must be reported")
  }
  #expect(
    decodingError(rawFile(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4))
      == .unsupportedDType(name: "w", dtype: "F16"))
  let huge = Int.max / 2 + 1
  #expect(
    decodingError(
      rawFile(header: #"{"w":{"dtype":"F32","shape":[\#(huge),4],"data_offsets":[0,8]}}"#, dataBytes: 8))
      == .invalidShape(name: "w", shape: [huge, 4]))
  #expect(
    decodingError(rawFile(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8))
      == .invalidShape(name: "w", shape: [-2]))
  // The element count fits but its byte count does not.
  let quarter = Int.max / 4 + 1
  #expect(
    decodingError(
      rawFile(header: #"{"w":{"dtype":"F32","shape":[\#(quarter)],"data_offsets":[0,8]}}"#, dataBytes: 8))
      == .sizeMismatch(name: "w", shape: [quarter], dtype: "F32", byteCount: 8))
  #expect(
    decodingError(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}}"#, dataBytes: 8))
      == .offsetsOutOfRange(name: "w", offsets: [0, 800], dataSize: 8))
  #expect(
    decodingError(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 8))
      == .offsetsOutOfRange(name: "w", offsets: [8, 0], dataSize: 8))
  #expect(
    decodingError(rawFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8))
      == .sizeMismatch(name: "w", shape: [3], dtype: "F32", byteCount: 8))
  let overlapping =
    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
  if case .noncontiguousData = decodingError(rawFile(header: overlapping, dataBytes: 8)) {
  } else {
    Issue.record("overlapping tensors must be reported")
  }
  let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
  if case .noncontiguousData(let name, _) = decodingError(rawFile(header: gap, dataBytes: 8)) {
    #expect(name == "a")
  } else {
    Issue.record("a gap must be reported")
  }
}

@Test func loadingAnotherArchitectureNamesTheTensor() throws {
  var rng = Xoshiro256(seed: 43)
  let model = MLP<Float>(configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 2), using: &rng)
  let url = temporaryFile("arch.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)

  var wider = MLP<Float>(configuration: MLPConfiguration(inputDimension: 2, width: 32, depth: 2), using: &rng)
  let before = wider.namedTensors()
  #expect(
    throws: SafeTensorsError.shapeMismatch(name: "layers.0.weight", expected: [32, 34], found: [16, 34])
  ) {
    try wider.loadParameters(from: url)
  }
  #expect(wider.namedTensors() == before)
  var deeper = MLP<Float>(
    configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 3), using: &rng)
  // The file's layers.2 is its output layer.
  #expect(
    throws: SafeTensorsError.shapeMismatch(name: "layers.2.weight", expected: [16, 16], found: [2, 16])
  ) {
    try deeper.loadParameters(from: url)
  }
  var shallower = MLP<Float>(
    configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 1), using: &rng)
  #expect(throws: SafeTensorsError.unexpectedTensor(name: "layers.2.weight")) {
    try shallower.loadParameters(from: url)
  }
  var partial = NamedTensors<Float>()
  for t in model.namedTensors().entries where t.name != "layers.1.bias" { partial.append(t) }
  var copy = model
  #expect(throws: SafeTensorsError.missingTensor(name: "layers.1.bias")) { try copy.load(from: partial) }
  // Same shapes, another activation: only the stored configuration tells.
  var tanh = MLP<Float>(
    configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 2, activation: .tanh), using: &rng)
  #expect {
    try tanh.loadParameters(from: url)
  } throws: { error in
    guard case .invalidMetadata(let key, _) = error as? SafeTensorsError else { return false }
    return key == MLP<Float>.configurationMetadataKey
  }
  // A file without configuration cannot be loaded as a model; a missing file is unreadable.
  let bare = temporaryFile("bare.safetensors")
  defer { try? FileManager.default.removeItem(at: bare) }
  try SafeTensors.write(model.namedTensors(), to: bare)
  #expect(throws: SafeTensorsError.self) { try MLP<Float>.load(from: bare) }
  #expect {
    try MLP<Float>.load(from: temporaryFile("absent.safetensors"))
  } throws: { error in
    if case .unreadable = error as? SafeTensorsError { return true }
    return false
  }
}

@Test func failedWritesLeaveNothingBehind() {
  let directory = temporaryFile("missing-directory")
  let url = directory.appendingPathComponent("model.safetensors")
  var tensors = NamedTensors<Double>()
  tensors.append(name: "x", shape: [1], values: Matrix([[1]]))
  #expect {
    try SafeTensors.write(tensors, to: url)
  } throws: { error in
    if case .unwritable = error as? SafeTensorsError { return true }
    return false
  }
  #expect(!FileManager.default.fileExists(atPath: url.path))
}

/// A file that claims more than 2¹⁰ hidden layers is refused from its metadata, before the
/// tensor names of millions of layers are built.
@Test func aFileClaimingTooManyLayersIsRefusedQuickly() throws {
  var rng = Xoshiro256(seed: 44)
  let configuration = MLPConfiguration(inputDimension: 2, width: 8, depth: 2)
  let model = MLP<Float>(configuration: configuration, using: &rng)
  var deepest = configuration
  deepest.depth = MLPConfiguration.maximumDepth
  #expect(MLPConfiguration.maximumDepth == 1 << 10)
  #expect(MLP<Float>.validationFailure(of: deepest) == nil)
  for depth in [(1 << 10) + 1, 1 << 20] {
    var lie = configuration
    lie.depth = depth
    #expect(MLP<Float>.validationFailure(of: lie) != nil)
    #expect(MLP<Float>.expectedTensorShapes(for: lie)?.count == nil)
    var metadata = model.metadata
    metadata[MLP<Float>.configurationMetadataKey] = String(
      decoding: try JSONEncoder().encode(lie), as: UTF8.self)
    let url = temporaryFile("deep.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.write(model.namedTensors(), metadata: metadata, to: url)
    let start = ContinuousClock.now
    #expect {
      try MLP<Float>.load(from: url)
    } throws: { error in
      guard case .invalidMetadata(let key, let reason) = error as? SafeTensorsError else { return false }
      return key == MLP<Float>.configurationMetadataKey && reason.contains("depth")
    }
    let elapsed = ContinuousClock.now - start
    #expect(elapsed < .seconds(1), "depth \(depth): refused after \(elapsed)")
  }
}

/// Both networks keep their Fourier frequencies as a tensor of their own name (`embedding.` in an
/// MLP, `time.` in a residual MLP): loading another network's tensors takes its frequencies too,
/// so the outputs then agree to the bit; a missing or misshapen frequency tensor throws and
/// changes nothing; the sinusoidal embedding has no tensor to carry.
@Test func fourierFrequenciesTravelWithTheTensors() throws {
  func check<N: ScoreNetwork>(_ configuration: N.Configuration, _: N.Type, frequencies name: String) throws
  where N.Scalar == Double {
    var rng = Xoshiro256(seed: 5)
    let source = N(configuration: configuration, using: &rng)
    var target = N(configuration: configuration, using: &rng)
    let x = Matrix<Double>(rows: 3, columns: 2, elements: [0.1, -0.4, 1.2, 0.3, -2, 0.7])
    #expect(target(x, times: .shared(0.3)) != source(x, times: .shared(0.3)))
    let tensors = source.namedTensors()
    #expect(tensors[name]?.shape == [8])
    let before = target.namedTensors()
    var missing = NamedTensors<Double>()
    for t in tensors.entries where t.name != name { missing.append(t) }
    #expect(throws: SafeTensorsError.missingTensor(name: name)) { try target.load(from: missing) }
    var misshapen = missing
    misshapen.append(name: name, shape: [4], values: Matrix(rows: 1, columns: 4))
    #expect(throws: SafeTensorsError.shapeMismatch(name: name, expected: [8], found: [4])) {
      try target.load(from: misshapen)
    }
    #expect(target.namedTensors() == before)
    try target.load(from: tensors)
    #expect(target.namedTensors() == tensors)
    #expect(target(x, times: .shared(0.3)) == source(x, times: .shared(0.3)))
  }
  let fourier = TimeEmbeddingKind.gaussianFourier(frequencies: 8, scale: 4)
  try check(
    MLPConfiguration(inputDimension: 2, timeEmbedding: fourier, width: 8, depth: 2), MLP<Double>.self,
    frequencies: "embedding.frequencies")
  try check(
    ResidualMLPConfiguration(inputDimension: 2, timeEmbedding: fourier, width: 8, blocks: 2),
    ResidualMLP<Double>.self, frequencies: "time.frequencies")
  var rng = Xoshiro256(seed: 6)
  let sinusoidal = MLP<Double>(
    configuration: MLPConfiguration(inputDimension: 2, timeEmbedding: .sinusoidal(dimension: 8), width: 8),
    using: &rng)
  #expect(sinusoidal.namedTensors().names == sinusoidal.parameters.namedTensors().names)
}
