import Foundation
import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Test func residualMLPForwardMatchesEvaluateAndCall() {
  for testCase in [ResidualMLPCase.small(condition: 2), .small(activation: .gelu, sharedTime: true)] {
    let (model, x, times, condition) = testCase.instance(seed: 91, rows: 7)
    var workspace = model.makeWorkspace(rows: 7)
    var forward = Matrix<Double>(rows: 7, columns: 3)
    var evaluated = Matrix<Double>(rows: 7, columns: 3, repeating: .nan)
    model.forward(x, times: times, condition: condition, into: &forward, workspace: &workspace)
    #expect(workspace.holdsForwardPass)
    #expect(workspace.batchSize == 7)
    model.evaluate(x, times: times, condition: condition, into: &evaluated, workspace: &workspace)
    #expect(forward == evaluated)
    #expect(model(x, times: times, condition: condition) == forward)
    #expect(forward.elements.allSatisfy { $0.isFinite })
    #expect(forward.frobeniusNorm() > 0)
  }
}

@Test func residualMLPSharedTimeEqualsRepeatedTime() {
  let (model, x, _, condition) = ResidualMLPCase.small(condition: 2).instance(seed: 92, rows: 6)
  let shared = model(x, times: .shared(0.37), condition: condition)
  let repeated = model(x, times: .perRow(Array(repeating: 0.37, count: 6)), condition: condition)
  #expect(shared == repeated)
  // The time and the condition do change the output.
  #expect(shared != model(x, times: .shared(0.62), condition: condition))
  #expect(shared != model(x, times: .shared(0.37), condition: condition.map { $0 * 2 }))

  // Unconditional: one conditioning row serves the batch, and gives the same output up to
  // rounding (a one-row product may round differently from a many-row one).
  let (unconditional, y, _, _) = ResidualMLPCase.small(activation: .gelu, blocks: 3).instance(
    seed: 92, rows: 6)
  let once = unconditional(y, times: .shared(0.37))
  let everyRow = unconditional(y, times: .perRow(Array(repeating: 0.37, count: 6)))
  #expect(relativeDistance(once, everyRow) < 1e-14)
  // Row by row, in one workspace, as in the batch.
  var workspace = unconditional.makeWorkspace(rows: 6)
  var row = Matrix<Double>(rows: 1, columns: 3)
  for i in 0..<6 {
    unconditional.forward(y.rows(i..<(i + 1)), times: .shared(0.37), into: &row, workspace: &workspace)
    #expect(relativeDistance(row, once.rows(i..<(i + 1))) < 1e-14, "row \(i)")
  }
}

@Test func residualMLPMatchesAHandWrittenForwardPass() {
  // One row through the definition, entry by entry, with no BLAS.
  let (model, x, times, condition) = ResidualMLPCase.small(activation: .tanh, condition: 2).instance(
    seed: 93, rows: 2)
  let p = model.parameters
  let c = model.configuration
  let (d, h) = (c.inputDimension, c.width)
  guard case .perRow(let t) = times, let condition, case .gaussianFourier(let embedding) = model.timeEmbedding
  else {
    Issue.record("unexpected case")
    return
  }
  let sigma = c.activation
  func affine(_ layer: Dense<Double>, _ v: [Double]) -> [Double] {
    (0..<layer.outputDimension).map { o in
      (0..<layer.inputDimension).reduce(layer.bias[0, o]) { $0 + layer.weight[o, $1] * v[$1] }
    }
  }
  func normalize(_ v: [Double]) -> [Double] {
    let mean = v.reduce(0, +) / Double(v.count)
    let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
    return v.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
  }
  let output = model(x, times: times, condition: condition)
  for i in 0..<x.rows {
    let w = embedding.frequencies.elements
    let angles = w.map { frequency in
      let u = t[i] * frequency
      return (u + u) * Double.pi
    }
    let gamma = angles.map { Foundation.sin($0) } + angles.map { Foundation.cos($0) }
    let m = affine(p.embedding, gamma + condition.row(i)).map { sigma($0) }
    var stream = affine(p.input, x.row(i))
    for block in p.blocks {
      let film = affine(block.film, m)
      let u = normalize(stream)
      let v = (0..<h).map { u[$0] * (1 + film[$0]) + film[h + $0] }
      let z = affine(block.linear1, v.map { sigma($0) }).map { sigma($0) }
      let update = affine(block.linear2, z)
      stream = (0..<h).map { stream[$0] + update[$0] }
    }
    let expected = affine(p.output, normalize(stream))
    for j in 0..<d {
      #expect(abs(output[i, j] - expected[j]) < 1e-12 * (1 + abs(expected[j])), "row \(i) column \(j)")
    }
  }
}

@Test func residualMLPInitialisationIsReproducible() {
  let configuration = ResidualMLPConfiguration(inputDimension: 4, conditionDimension: 1, width: 8, blocks: 2)
  var a = Xoshiro256(seed: 94)
  var b = Xoshiro256(seed: 94)
  var other = Xoshiro256(seed: 95)
  let first = ResidualMLP<Double>(configuration: configuration, using: &a)
  let second = ResidualMLP<Double>(configuration: configuration, using: &b)
  let third = ResidualMLP<Double>(configuration: configuration, using: &other)
  #expect(first.namedTensors() == second.namedTensors())
  #expect(first.namedTensors() != third.namedTensors())
  // PyTorch's default bounds, U(±1/√fan_in).
  let p = first.parameters
  let bounds: [(Dense<Double>, Double)] = [
    (p.input, 1 / 2.0), (p.embedding, 1 / 33.0.squareRoot()), (p.blocks[1].film, 1 / 8.0.squareRoot()),
    (p.blocks[0].linear2, 1 / 8.0.squareRoot()), (p.output, 1 / 8.0.squareRoot()),
  ]
  for (layer, bound) in bounds {
    #expect(layer.weight.maxAbs() <= bound && layer.bias.maxAbs() <= bound)
    #expect(layer.weight.maxAbs() > bound / 2)
  }
}

@Test func residualMLPTensorNamesAndShapes() {
  let configuration = ResidualMLPConfiguration(
    inputDimension: 3, conditionDimension: 2, timeEmbedding: .gaussianFourier(frequencies: 5, scale: 1),
    width: 8, blocks: 2)
  var rng = Xoshiro256(seed: 96)
  let model = ResidualMLP<Float>(configuration: configuration, using: &rng)
  let tensors = model.namedTensors()
  let expected = ResidualMLP<Float>.expectedTensorShapes(for: configuration)!
  #expect(tensors.names == expected.map(\.name))
  #expect(tensors.entries.map(\.shape) == expected.map(\.shape))
  #expect(
    tensors.names == [
      "input.weight", "input.bias", "embedding.weight", "embedding.bias",
      "blocks.0.film.weight", "blocks.0.film.bias", "blocks.0.linear1.weight", "blocks.0.linear1.bias",
      "blocks.0.linear2.weight", "blocks.0.linear2.bias",
      "blocks.1.film.weight", "blocks.1.film.bias", "blocks.1.linear1.weight", "blocks.1.linear1.bias",
      "blocks.1.linear2.weight", "blocks.1.linear2.bias",
      "output.weight", "output.bias", "time.frequencies",
    ])
  #expect(tensors["embedding.weight"]?.shape == [8, 12])
  #expect(tensors["blocks.1.film.weight"]?.shape == [16, 8])
  #expect(tensors["output.weight"]?.shape == [3, 8])
  let (d, h, e, b) = (3, 8, 12, 2)
  #expect(
    model.parameterCount == (h * d + h) + (h * e + h) + b * (2 * h * h + 2 * h + 2 * (h * h + h)) + d * h + d)
  #expect(ResidualMLP<Float>.architectureName == "resmlp")
  #expect(model.inputDimension == 3 && model.conditionDimension == 2)
}

@Test func residualMLPConfigurationValidation() {
  let valid = ResidualMLPConfiguration(inputDimension: 2)
  #expect(ResidualMLP<Float>.validationFailure(of: valid) == nil)
  #expect(
    valid.width == 128 && valid.blocks == 3 && valid.activation == .silu && valid.conditionDimension == 0)
  #expect(valid.timeEmbedding == .gaussianFourier(frequencies: 16, scale: 16))
  var invalid: [ResidualMLPConfiguration] = []
  for change in [
    { (c: inout ResidualMLPConfiguration) in c.inputDimension = 0 },
    { $0.conditionDimension = -1 }, { $0.width = 0 }, { $0.width = (1 << 20) + 1 }, { $0.blocks = 0 },
    { $0.blocks = (1 << 10) + 1 },
    { $0.timeEmbedding = .gaussianFourier(frequencies: 0, scale: 1) },
    { $0.timeEmbedding = .sinusoidal(dimension: 5) },
  ] as [(inout ResidualMLPConfiguration) -> Void] {
    var c = valid
    change(&c)
    invalid.append(c)
  }
  for c in invalid {
    #expect(ResidualMLP<Float>.validationFailure(of: c) != nil, "\(c)")
    #expect(ResidualMLP<Float>.expectedTensorShapes(for: c) == nil, "\(c)")
  }
}

@Test func residualMLPWorkspaceIsReusedAcrossBatchSizes() {
  let (model, x, _, condition) = ResidualMLPCase.small(condition: 2).instance(seed: 97, rows: 16)
  var workspace = model.makeWorkspace(rows: 16)
  var gradients = model.makeGradients()
  var out = Matrix<Double>(rows: 16, columns: 3)
  var inputGradient = Matrix<Double>(rows: 16, columns: 3)
  func step(_ rows: Int) {
    let xs = x.rows(0..<rows)
    let cs = condition!.rows(0..<rows)
    out.resize(rows: rows, columns: 3)
    inputGradient.resize(rows: rows, columns: 3)
    model.forward(xs, times: .shared(0.3), condition: cs, into: &out, workspace: &workspace)
    model.backward(outputGradient: out, workspace: &workspace, into: &gradients)
    model.inputGradient(outputGradient: out, workspace: &workspace, into: &inputGradient)
  }
  step(16)
  let before = workspace.bufferAddresses()
  #expect(Set(before.compactMap { $0 }).count == before.count, "every buffer is distinct")
  for rows in [16, 8, 1, 12, 16] {
    step(rows)
    #expect(workspace.batchSize == rows)
    #expect(workspace.bufferAddresses() == before, "\(rows) rows")
  }
  // An unconditional network alternating one time for all rows (one conditioning row) and
  // one time per row keeps its buffers too.
  let (unconditional, y, _, _) = ResidualMLPCase.small().instance(seed: 97, rows: 16)
  var other = unconditional.makeWorkspace(rows: 16)
  var otherGradients = unconditional.makeGradients()
  func otherStep(_ rows: Int, shared: Bool) {
    let ys = y.rows(0..<rows)
    out.resize(rows: rows, columns: 3)
    inputGradient.resize(rows: rows, columns: 3)
    let times: Times<Double> = shared ? .shared(0.3) : .perRow(Array(repeating: 0.3, count: rows))
    unconditional.forward(ys, times: times, into: &out, workspace: &other)
    unconditional.backward(outputGradient: out, workspace: &other, into: &otherGradients)
    unconditional.inputGradient(outputGradient: out, workspace: &other, into: &inputGradient)
  }
  otherStep(16, shared: false)
  let otherBefore = other.bufferAddresses()
  for (rows, shared) in [(16, true), (16, false), (3, true), (9, false), (1, true), (16, true)] {
    otherStep(rows, shared: shared)
    #expect(other.bufferAddresses() == otherBefore, "\(rows) rows, shared \(shared)")
  }

  // A smaller batch gives the same rows as a fresh workspace.
  var fresh = model.makeWorkspace(rows: 5)
  var expected = Matrix<Double>(rows: 5, columns: 3)
  model.forward(
    x.rows(0..<5), times: .shared(0.3), condition: condition!.rows(0..<5), into: &expected, workspace: &fresh)
  step(5)
  #expect(out == expected)
}

/// A training step of a conditional residual MLP in `Float`, as the trainer does it.
struct ResidualTrainingLoop {
  var model: ResidualMLP<Float>
  var workspace: ResidualMLPWorkspace<Float>
  var gradients: ResidualMLPParameters<Float>
  var adam = Adam<Float>(learningRate: 3e-3)
  let x: Matrix<Float>
  let target: Matrix<Float>
  let times: [Float]
  let condition: Matrix<Float>
  var out: Matrix<Float>
  var outGradient: Matrix<Float>
  var inputGradient: Matrix<Float>

  init(rows: Int) {
    var rng = Xoshiro256(seed: 98)
    model = ResidualMLP(
      configuration: .init(inputDimension: 3, conditionDimension: 2, width: 32, blocks: 2), using: &rng)
    workspace = model.makeWorkspace(rows: rows)
    gradients = model.makeGradients()
    x = .randomNormal(rows: rows, columns: 3, using: &rng)
    target = .randomNormal(rows: rows, columns: 3, using: &rng)
    times = (0..<rows).map { _ in Float.random(in: 0.001..<1, using: &rng) }
    condition = .randomNormal(rows: rows, columns: 2, using: &rng)
    out = Matrix(rows: rows, columns: 3)
    outGradient = Matrix(rows: rows, columns: 3)
    inputGradient = Matrix(rows: rows, columns: 3)
  }

  /// One step; returns the loss before it, the mean squared error.
  @discardableResult
  mutating func step() -> Float {
    model.forward(x, times: .perRow(times), condition: condition, into: &out, workspace: &workspace)
    let scale = 2 / Float(out.count)
    var loss: Float = 0
    outGradient.withUnsafeMutableBufferPointer { g in
      out.withUnsafeBufferPointer { o in
        target.withUnsafeBufferPointer { t in
          for i in g.indices {
            g[i] = scale * (o[i] - t[i])
            loss += (o[i] - t[i]) * (o[i] - t[i])
          }
        }
      }
    }
    model.backward(outputGradient: outGradient, workspace: &workspace, into: &gradients)
    model.inputGradient(outputGradient: outGradient, workspace: &workspace, into: &inputGradient)
    gradients.clipGlobalNorm(to: 1)
    adam.update(&model.parameters, along: gradients)
    return loss / Float(out.count)
  }
}

@Test func residualMLPTrainsInFloat() {
  var loop = ResidualTrainingLoop(rows: 32)
  let first = loop.step()
  var last = first
  for _ in 0..<200 { last = loop.step() }
  #expect(first.isFinite && last.isFinite)
  #expect(last < 0.5 * first, "loss \(first) → \(last)")
  #expect(loop.inputGradient.elements.allSatisfy { $0.isFinite })
}

@Test func residualMLPTrainingStepAllocatesNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var loop = ResidualTrainingLoop(rows: 24)
    loop.step()
    loop.step()
    let n = AllocationCounter.count {
      for _ in 0..<3 { loop.step() }
    }
    _exit(Int32(min(n, 100)))
  }
}

@Test func residualMLPFloatAgreesWithDouble() throws {
  // The same network in both precisions (through a file, which converts), on the same batch.
  let (model, x, times, condition) = ResidualMLPCase.small(activation: .gelu, blocks: 3, condition: 2)
    .instance(seed: 99, rows: 6)
  let url = temporaryFile("resmlp-precision.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  let single = try ResidualMLP<Float>.load(from: url)
  func float(_ m: Matrix<Double>) -> Matrix<Float> {
    Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { Float($0) })
  }
  guard case .perRow(let t) = times else { return }
  let xs = float(x)
  let cs = condition.map(float)
  let ts = Times<Float>.perRow(t.map { Float($0) })
  var rng = Xoshiro256(seed: 100)
  let r = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)

  var workspace = model.makeWorkspace(rows: 6)
  var out = Matrix<Double>(rows: 6, columns: 3)
  var gradients = model.makeGradients()
  model.forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  model.backward(outputGradient: r, workspace: &workspace, into: &gradients)
  var singleWorkspace = single.makeWorkspace(rows: 6)
  var singleOut = Matrix<Float>(rows: 6, columns: 3)
  var singleGradients = single.makeGradients()
  single.forward(xs, times: ts, condition: cs, into: &singleOut, workspace: &singleWorkspace)
  single.backward(outputGradient: float(r), workspace: &singleWorkspace, into: &singleGradients)

  func double(_ m: Matrix<Float>) -> Matrix<Double> {
    Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { Double($0) })
  }
  #expect(relativeDistance(double(singleOut), out) < 1e-5)
  for k in 0..<gradients.tensorCount {
    let error = relativeDistance(double(singleGradients.tensor(at: k)), gradients.tensor(at: k))
    #expect(error < 1e-4, "\(gradients.tensorName(at: k)): Float vs Double relative error \(error)")
  }
}

func residualRoundTrip<S: BLASScalar>(_: S.Type, embedding: TimeEmbeddingKind) throws {
  let configuration = ResidualMLPConfiguration(
    inputDimension: 3, conditionDimension: 2, timeEmbedding: embedding, width: 7, blocks: 2,
    activation: .gelu)
  var rng = Xoshiro256(seed: 101)
  let model = ResidualMLP<S>(configuration: configuration, using: &rng)
  let x = Matrix<S>.randomNormal(rows: 4, columns: 3, using: &rng)
  let c = Matrix<S>.randomNormal(rows: 4, columns: 2, using: &rng)
  let times = Times<S>.perRow([0.1, 0.5, 0.7, 0.95])
  let url = temporaryFile("resmlp-roundtrip.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url, extraMetadata: ["step": "3"])
  let loaded = try ResidualMLP<S>.load(from: url)
  #expect(loaded.configuration == configuration)
  #expect(loaded.namedTensors() == model.namedTensors())
  #expect(loaded(x, times: times, condition: c) == model(x, times: times, condition: c))
  let (_, metadata) = try SafeTensors.read(from: url, as: S.self)
  #expect(metadata["step"] == "3")
  #expect(metadata[ResidualMLP<S>.architectureMetadataKey] == "resmlp")
  #expect(metadata[ResidualMLP<S>.configurationMetadataKey] != nil)

  // Into an existing network of the same configuration.
  var other = ResidualMLP<S>(configuration: configuration, using: &rng)
  #expect(other(x, times: times, condition: c) != model(x, times: times, condition: c))
  try other.load(from: model.namedTensors())
  #expect(other(x, times: times, condition: c) == model(x, times: times, condition: c))
}

@Test func residualMLPSaveAndLoadAreBitExact() throws {
  try residualRoundTrip(Float.self, embedding: .gaussianFourier(frequencies: 4, scale: 8))
  try residualRoundTrip(Double.self, embedding: .gaussianFourier(frequencies: 4, scale: 8))
  try residualRoundTrip(Float.self, embedding: .sinusoidal(dimension: 8))
}

@Test func residualMLPRefusesOtherFiles() throws {
  var rng = Xoshiro256(seed: 102)
  let mlp = MLP<Float>(configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 2), using: &rng)
  let mlpFile = temporaryFile("mlp.safetensors")
  defer { try? FileManager.default.removeItem(at: mlpFile) }
  try mlp.save(to: mlpFile)
  #expect {
    try ResidualMLP<Float>.load(from: mlpFile)
  } throws: { error in
    guard case .invalidMetadata(let key, let reason) = error as? SafeTensorsError else { return false }
    return key == ResidualMLP<Float>.architectureMetadataKey && reason.contains("'mlp'")
      && reason.contains("'resmlp'")
  }

  let configuration = ResidualMLPConfiguration(inputDimension: 2, width: 8, blocks: 2)
  let network = ResidualMLP<Float>(configuration: configuration, using: &rng)
  let file = temporaryFile("resmlp.safetensors")
  defer { try? FileManager.default.removeItem(at: file) }
  try network.save(to: file)
  // …and the other way round.
  #expect {
    try MLP<Float>.load(from: file)
  } throws: { error in
    guard case .invalidMetadata(let key, let reason) = error as? SafeTensorsError else { return false }
    return key == MLP<Float>.architectureMetadataKey && reason.contains("'resmlp'")
  }

  // A configuration that lies about the sizes is refused before anything is allocated.
  let tensors = network.namedTensors()
  func tampered(_ change: (inout ResidualMLPConfiguration) -> Void) throws -> URL {
    var lie = configuration
    change(&lie)
    let url = temporaryFile("tampered.safetensors")
    var metadata = network.metadata
    metadata[ResidualMLP<Float>.configurationMetadataKey] = String(
      decoding: try JSONEncoder().encode(lie), as: UTF8.self)
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    return url
  }
  let huge = try tampered { $0.width = 1 << 20 }
  defer { try? FileManager.default.removeItem(at: huge) }
  #expect(
    throws: SafeTensorsError.shapeMismatch(name: "input.weight", expected: [1 << 20, 2], found: [8, 2])
  ) {
    try ResidualMLP<Float>.load(from: huge)
  }
  let deeper = try tampered { $0.blocks = 3 }
  defer { try? FileManager.default.removeItem(at: deeper) }
  #expect(throws: SafeTensorsError.missingTensor(name: "blocks.2.film.weight")) {
    try ResidualMLP<Float>.load(from: deeper)
  }
  let shallower = try tampered { $0.blocks = 1 }
  defer { try? FileManager.default.removeItem(at: shallower) }
  #expect {
    try ResidualMLP<Float>.load(from: shallower)
  } throws: { error in
    guard case .unexpectedTensor(let name) = error as? SafeTensorsError else { return false }
    return name.hasPrefix("blocks.1.")
  }
  // More than 2¹⁰ blocks: refused from the metadata, before any tensor name is built.
  #expect(ResidualMLPConfiguration.maximumBlocks == 1 << 10)
  var deepest = configuration
  deepest.blocks = ResidualMLPConfiguration.maximumBlocks
  #expect(deepest.validationFailure == nil)
  let tooDeep = try tampered { $0.blocks = (1 << 10) + 1 }
  defer { try? FileManager.default.removeItem(at: tooDeep) }
  let start = ContinuousClock.now
  #expect {
    try ResidualMLP<Float>.load(from: tooDeep)
  } throws: { error in
    guard case .invalidMetadata(let key, let reason) = error as? SafeTensorsError else { return false }
    return key == ResidualMLP<Float>.configurationMetadataKey && reason.contains("blocks")
  }
  #expect(ContinuousClock.now - start < .seconds(1))
  let invalid = try tampered { $0.width = 0 }
  defer { try? FileManager.default.removeItem(at: invalid) }
  #expect {
    try ResidualMLP<Float>.load(from: invalid)
  } throws: { error in
    guard case .invalidMetadata(let key, _) = error as? SafeTensorsError else { return false }
    return key == ResidualMLP<Float>.configurationMetadataKey
  }

  // Loading tensors: an extra, a missing or a misshapen one leaves the network unchanged.
  var copy = network
  var extra = tensors
  extra.append(name: "blocks.9.film.bias", shape: [1], values: Matrix([[1]]))
  #expect(throws: SafeTensorsError.unexpectedTensor(name: "blocks.9.film.bias")) {
    try copy.load(from: extra)
  }
  var partial = NamedTensors<Float>()
  for t in tensors.entries where t.name != "time.frequencies" { partial.append(t) }
  #expect(throws: SafeTensorsError.missingTensor(name: "time.frequencies")) { try copy.load(from: partial) }
  #expect(copy.namedTensors() == tensors)
}

@Test func residualMLPPreconditions() async {
  await #expect(processExitsWith: .failure) {
    let (model, _, times, _) = ResidualMLPCase.small().instance(seed: 103)
    var workspace = model.makeWorkspace(rows: 5)
    var out = Matrix<Double>(rows: 5, columns: 3)
    model.forward(Matrix(rows: 5, columns: 2), times: times, into: &out, workspace: &workspace)
  }
  await #expect(processExitsWith: .failure) {
    let (model, x, times, _) = ResidualMLPCase.small(condition: 2).instance(seed: 103)
    var workspace = model.makeWorkspace(rows: 5)
    var out = Matrix<Double>(rows: 5, columns: 3)
    model.forward(x, times: times, condition: nil, into: &out, workspace: &workspace)
  }
  await #expect(processExitsWith: .failure) {
    let (model, x, _, _) = ResidualMLPCase.small().instance(seed: 103)
    var workspace = model.makeWorkspace(rows: 5)
    var out = Matrix<Double>(rows: 5, columns: 3)
    model.forward(x, times: .perRow([0.5]), into: &out, workspace: &workspace)
  }
  await #expect(processExitsWith: .failure) {
    let (model, x, _, _) = ResidualMLPCase.small().instance(seed: 103)
    var workspace = model.makeWorkspace(rows: 5)
    var gradients = model.makeGradients()
    model.backward(outputGradient: x, workspace: &workspace, into: &gradients)
  }
  await #expect(processExitsWith: .failure) {
    var rng = Xoshiro256(seed: 104)
    _ = ResidualMLP<Float>(configuration: .init(inputDimension: 2, blocks: 0), using: &rng)
  }
}

@Test func residualMLPSamplingAndJacobiansAllocateNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var rng = Xoshiro256(seed: 105)
    let model = ResidualMLP<Float>(
      configuration: .init(inputDimension: 3, width: 16, blocks: 2, activation: .gelu), using: &rng)
    let x = Matrix<Float>.randomNormal(rows: 10, columns: 3, using: &rng)
    let probes = Matrix<Float>.randomNormal(rows: 20, columns: 3, using: &rng)
    let times = [Float](repeating: 0.25, count: 10)
    var workspace = model.makeWorkspace(rows: 10)
    var exact = model.makeJacobianWorkspace(rows: 10, probesPerRow: 3)
    var pairs = model.makeJacobianWorkspace(rows: 10, probesPerRow: 2)
    var output = Matrix<Float>(rows: 10, columns: 3)
    var products = Matrix<Float>(rows: 20, columns: 3)
    var divergence = [Float](repeating: 0, count: 10)
    func evaluate() {
      model.evaluate(x, times: .shared(0.5), condition: nil, into: &output, workspace: &workspace)
      model.evaluate(x, times: .perRow(times), condition: nil, into: &output, workspace: &workspace)
      model.divergence(
        x, times: .shared(0.5), condition: nil, output: &output, into: &divergence, workspace: &exact)
      model.vectorJacobianProducts(
        x, times: .perRow(times), condition: nil, probes: probes, into: &products, output: &output,
        workspace: &pairs)
    }
    evaluate()
    let n = AllocationCounter.count {
      for _ in 0..<3 { evaluate() }
    }
    _exit(Int32(min(n, 100)))
  }
}

@Test func residualMLPHandlesAnEmptyBatch() {
  let (model, _, _, _) = ResidualMLPCase.small(condition: 2).instance(seed: 106)
  var workspace = model.makeWorkspace(rows: 4)
  var out = Matrix<Double>(rows: 0, columns: 3)
  var gradients = model.makeGradients()
  gradients.assign(model.parameters)
  var inputGradient = Matrix<Double>(rows: 0, columns: 3)
  let empty = Matrix<Double>(rows: 0, columns: 3)
  model.forward(
    empty, times: .perRow([]), condition: Matrix(rows: 0, columns: 2), into: &out, workspace: &workspace)
  model.backward(outputGradient: empty, workspace: &workspace, into: &gradients)
  model.inputGradient(outputGradient: empty, workspace: &workspace, into: &inputGradient)
  #expect(gradients.squaredNorm() == 0)
  let (unconditional, _, _, _) = ResidualMLPCase.small().instance(seed: 106)
  var other = unconditional.makeWorkspace(rows: 0)
  unconditional.forward(empty, times: .shared(0.5), into: &out, workspace: &other)
  #expect(out.count == 0)
}
