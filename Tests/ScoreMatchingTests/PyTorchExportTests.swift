import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// The exported Python module (``PyTorchExport``) against ScoreSDE itself, through Python.
///
/// Everything is compared in Double: the models are `Double` networks saved as F64 (or `Float`
/// files read as Double on both sides), NumPy and PyTorch run in float64. The two sides then
/// compute the same formulas with different summation orders and libm / polynomial `exp`, each
/// operation within a few ulps (~1e-16 relative); through these small networks and the score
/// conversion (`1/σ²` at the smallest times) the differences stay below ~1e-12 of the largest
/// entry, so the tolerance 1e-9 of `1 + max|entry|` (far tighter than Float's 1e-6) leaves a
/// margin of 10³ and still fails for any wrong formula (a wrong sign, coefficient, ε or feature
/// order changes entries at the 1e-3 level or more).
@Suite("PyTorch export")
struct PyTorchExportTests {
  /// One exported model: an architecture, a time embedding, conditions or not, a process and a
  /// parameterisation (the cases cover every process family and every parameterisation).
  struct Case: Sendable, CustomStringConvertible {
    var residual: Bool
    var sinusoidal: Bool
    var conditions: Int
    var mask: Bool
    var process: SDEDescription
    var parameterization: Parameterization
    var activation: Activation

    var description: String {
      "\(residual ? "resmlp" : "mlp") \(sinusoidal ? "sinusoidal" : "fourier") k=\(conditions)"
        + "\(mask ? "+mask" : "") \(process.name) \(parameterization.fileName) \(activation)"
    }
  }

  static let cases: [Case] = [
    Case(
      residual: false, sinusoidal: false, conditions: 0, mask: false,
      process: SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))), parameterization: .noise,
      activation: .silu),
    Case(
      residual: false, sinusoidal: true, conditions: 2, mask: true,
      process: SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 5)), parameterization: .score, activation: .gelu),
    Case(
      residual: false, sinusoidal: false, conditions: 1, mask: false,
      process: SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20))), parameterization: .data,
      activation: .softplus),
    Case(
      residual: false, sinusoidal: true, conditions: 0, mask: false,
      process: SDEDescription(.vp(schedule: .cosine(offset: 0.008, maximumBeta: 20))),
      parameterization: .edm(dataStandardDeviation: 0.5), activation: .tanh),
    Case(
      residual: true, sinusoidal: false, conditions: 0, mask: false,
      process: SDEDescription(.ornsteinUhlenbeck(theta: 1.5, mean: 0.3, sigma: 1.2)),
      parameterization: .noise, activation: .silu),
    Case(
      residual: true, sinusoidal: true, conditions: 2, mask: true,
      process: SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))), parameterization: .edm(),
      activation: .relu),
    Case(
      residual: true, sinusoidal: false, conditions: 1, mask: true,
      process: SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 5)), parameterization: .data, activation: .gelu),
    Case(
      residual: true, sinusoidal: true, conditions: 0, mask: false,
      process: SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20))),
      parameterization: .score, activation: .softplus),
  ]

  // MARK: - NumPy (no torch needed)

  @Test(
    "NumPy forward, score, loss and marginals equal ScoreSDE's; weights written back load exactly",
    .enabled(if: ExportPython.hasNumpy, ExportPython.missing("numpy")), arguments: cases)
  func numpyRoundTrip(_ c: Case) throws {
    let folder = try temporaryDirectory("pytorch-export")
    defer { try? FileManager.default.removeItem(at: folder) }
    if c.residual {
      try Self.checkNumpy(Self.model(ResidualMLP<Double>.self, c), c, in: folder)
    } else {
      try Self.checkNumpy(Self.model(MLP<Double>.self, c), c, in: folder)
    }
  }

  /// Exports `model`, evaluates it in NumPy and compares; then writes perturbed weights from
  /// Python and loads them back.
  static func checkNumpy<Network: PyTorchExportableNetwork>(
    _ model: TrainedModel<Network>, _ c: Case, in folder: URL
  ) throws where Network.Scalar == Double {
    let inputs = Inputs(model, c)
    try export(model, to: folder)
    let output = try ExportPython.run(numpyScript, [folder.path, inputs.json])
    let result = try decodeHexJSON(output)
    try inputs.compare(result, with: model, label: "\(c)")
    // Perturbed weights written by Python: tensor i of the file gets + 10⁻³·(i + 1), exactly.
    let perturbed = try TrainedModel<Network>.load(
      from: folder.appendingPathComponent("perturbed.safetensors"))
    let original = model.network.namedTensors()
    let loaded = perturbed.network.namedTensors()
    #expect(loaded.names == original.names)
    for (i, entry) in original.entries.enumerated() {
      let expected = entry.values.elements.map { $0 + 1e-3 * Double(i + 1) }
      #expect(loaded[entry.name]?.values.elements == expected, "\(entry.name) (\(c))")
    }
    #expect(perturbed.metadata == model.metadata)
    let x = Matrix(inputs.x)
    let swift = perturbed.network(x, times: .perRow(inputs.t), condition: inputs.networkCondition)
    expectPythonClose(try #require(result["perturbed_forward"]), swift.elements, "perturbed forward (\(c))")
    // Unchanged weights written by Python are the very bytes ScoreSDE wrote.
    let same = try Data(contentsOf: folder.appendingPathComponent("same.safetensors"))
    #expect(same == model.fileContents, "Python's writer reproduces ScoreSDE's file (\(c))")
  }

  @Test(
    "A Float model file: NumPy reads F32, writes F32 back, ScoreSDE reads it",
    .enabled(if: ExportPython.hasNumpy, ExportPython.missing("numpy")))
  func floatFileRoundTrip() throws {
    let folder = try temporaryDirectory("pytorch-export-f32")
    defer { try? FileManager.default.removeItem(at: folder) }
    let c = Self.cases[2]
    var rng = Xoshiro256(seed: 5)
    let network = MLP<Float>(
      configuration: MLPConfiguration(
        inputDimension: 2, conditionDimension: 1, width: 8, depth: 2, activation: .softplus),
      using: &rng)
    let model = TrainedModel(
      network: network, process: c.process, parameterization: c.parameterization,
      conditionEncoding: ConditionEncoding(dimension: 1, hasMaskColumn: false),
      training: TrainingSummary(steps: 1, seed: 5))
    try Self.export(model, to: folder)
    // The same file read as Double: exactly the Float weights, so the comparison is in Double.
    let asDouble = try TrainedModel<MLP<Double>>.load(
      from: folder.appendingPathComponent(PyTorchExport.weightsFileName))
    let inputs = Inputs(asDouble, c)
    let result = try decodeHexJSON(try ExportPython.run(numpyScript, [folder.path, inputs.json]))
    try inputs.compare(result, with: asDouble, label: "float file")
    let perturbed = try TrainedModel<MLP<Float>>.load(
      from: folder.appendingPathComponent("perturbed.safetensors"))
    for (i, entry) in model.network.namedTensors().entries.enumerated() {
      let expected = entry.values.elements.map { Float(Double($0) + 1e-3 * Double(i + 1)) }
      #expect(perturbed.network.namedTensors()[entry.name]?.values.elements == expected, "\(entry.name)")
    }
    let same = try Data(contentsOf: folder.appendingPathComponent("same.safetensors"))
    #expect(same == model.fileContents)
  }

  @Test(
    "The Python side refuses what ScoreSDE would refuse, and leaves no file behind",
    .enabled(if: ExportPython.hasNumpy, ExportPython.missing("numpy")))
  func pythonRefusals() throws {
    let folder = try temporaryDirectory("pytorch-export-refusals")
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = Self.model(MLP<Double>.self, Self.cases[1])
    try Self.export(model, to: folder)
    let output = try ExportPython.run(refusalScript, [folder.path])
    let result = try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String]])
    let messages = try #require(result["messages"])
    let expected = [
      "is missing", "not in the model file's layout", "has shape", "NaN or infinity", "CRC-32", "directory",
      "has no metadata 'score_sde.model.process'",
    ]
    #expect(messages.count == expected.count)
    for (message, fragment) in zip(messages, expected) {
      #expect(message.contains(fragment), "expected '\(fragment)' in: \(message)")
    }
    #expect(
      result["files"]
        == ["corrupt.safetensors", "network.safetensors", "model.safetensors", "scoresde_model.py"]
        .sorted())
  }

  @Test("Only MLP and ResidualMLP export; the weights file name must be plain")
  func refusals() throws {
    var rng = Xoshiro256(seed: 1)
    let model = TrainedModel(
      network: MLP<Float>(
        configuration: MLPConfiguration(inputDimension: 2, width: 4, depth: 1), using: &rng),
      process: SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 5)), parameterization: .noise,
      training: TrainingSummary(steps: 1, seed: 1))
    for bad in ["", "../m.safetensors", "m\".safetensors", ".hidden", "a b"] {
      #expect(throws: PyTorchExportError.invalidFileName(bad)) {
        try PyTorchExport.moduleSource(for: model, weightsFileName: bad)
      }
    }
    let source = try PyTorchExport.moduleSource(for: model, weightsFileName: "net-2.safetensors")
    #expect(source.contains("\"net-2.safetensors\""))
    #expect(source.contains("- parameterisation: noise: the network predicts the noise z"))
    #expect(!source.contains("@@"))
  }

  // MARK: - PyTorch

  /// One Python process for every torch check (importing torch takes seconds).
  @Test(
    "The torch module equals ScoreSDE (float64) for every case; torch-edited and torch-trained weights load back",
    .enabled(if: ExportPython.hasTorch, ExportPython.missing("torch")))
  func torchRoundTripAndTraining() throws {
    let root = try temporaryDirectory("pytorch-export-torch")
    defer { try? FileManager.default.removeItem(at: root) }
    var jobs: [[String: String]] = []
    var checks: [(URL, [String: [Double]]) throws -> Void] = []
    for (index, c) in Self.cases.enumerated() {
      let folder = root.appendingPathComponent("case\(index)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
      if c.residual {
        let model = Self.model(ResidualMLP<Double>.self, c)
        try Self.export(model, to: folder)
        checks.append { try Self.checkTorch(model, c, in: $0, result: $1) }
        jobs.append(["folder": folder.path, "inputs": Inputs(model, c).json])
      } else {
        let model = Self.model(MLP<Double>.self, c)
        try Self.export(model, to: folder)
        checks.append { try Self.checkTorch(model, c, in: $0, result: $1) }
        jobs.append(["folder": folder.path, "inputs": Inputs(model, c).json])
      }
    }
    // A Float model trained further with train().
    let trainingFolder = root.appendingPathComponent("training")
    try FileManager.default.createDirectory(at: trainingFolder, withIntermediateDirectories: false)
    var rng = Xoshiro256(seed: 3)
    let network = MLP<Float>(
      configuration: MLPConfiguration(inputDimension: 2, width: 32, depth: 2), using: &rng)
    let model = TrainedModel(
      network: network, process: SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))),
      parameterization: .noise, standardizer: Standardizer(means: [1, -2], standardDeviations: [0.5, 2]),
      training: TrainingSummary(steps: 0, seed: 3))
    try Self.export(model, to: trainingFolder)
    let arguments = String(
      decoding: try JSONSerialization.data(withJSONObject: ["cases": jobs, "training": trainingFolder.path]),
      as: UTF8.self)
    let output = try ExportPython.run(torchScript, [arguments])
    let results = try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    let cases = try #require(results["cases"] as? [[String: [String]]])
    try #require(cases.count == checks.count)
    for (index, check) in checks.enumerated() {
      try check(
        root.appendingPathComponent("case\(index)"), cases[index].mapValues { $0.map { Double($0)! } })
    }
    // train(): 300 steps on a Gaussian in data units; the held-out loss with common random numbers.
    let losses = try #require((results["losses"] as? [String])?.map { Double($0)! })
    #expect(losses.count == 2)
    #expect(losses[1] < 0.8 * losses[0], "held-out DSM loss before and after 300 steps: \(losses)")
    let trained = try TrainedModel<MLP<Float>>.load(
      from: trainingFolder.appendingPathComponent("trained.safetensors"))
    #expect(trained.metadata == model.metadata)
    let (before, after) = (network.namedTensors(), trained.network.namedTensors())
    #expect(after["embedding.frequencies"]?.values == before["embedding.frequencies"]?.values)
    #expect(after["layers.0.weight"]?.values != before["layers.0.weight"]?.values)
  }

  static func checkTorch<Network: PyTorchExportableNetwork>(
    _ model: TrainedModel<Network>, _ c: Case, in folder: URL, result: [String: [Double]]
  ) throws where Network.Scalar == Double {
    let inputs = Inputs(model, c)
    try inputs.compare(result, with: model, label: "torch \(c)")
    let names = model.network.namedTensors().names
    let trainable = try #require(result["trainable"]).map { $0 != 0 }
    #expect(trainable.count == names.count)
    // Every trainable tensor got + 0.01·(i + 1) in torch; the Fourier frequencies are a buffer.
    let url = folder.appendingPathComponent("perturbed.safetensors")
    let edited = try TrainedModel<Network>.load(from: url)
    for (i, entry) in model.network.namedTensors().entries.enumerated() {
      let expected = entry.values.elements.map { trainable[i] ? $0 + 0.01 * Double(i + 1) : $0 }
      #expect(edited.network.namedTensors()[entry.name]?.values.elements == expected, "\(entry.name)")
      #expect(trainable[i] == !entry.name.hasSuffix("frequencies"), "\(entry.name)")
    }
    #expect(edited.metadata == model.metadata)
    let (_, metadata) = try SafeTensors.read(from: url, as: Double.self)
    #expect(metadata["score_sde.pytorch.note"] == "edited")
    let swift = edited.network(Matrix(inputs.x), times: .perRow(inputs.t), condition: inputs.networkCondition)
    expectPythonClose(
      try #require(result["perturbed_forward"]), swift.elements, "torch-edited forward (\(c))")
  }
}

// MARK: - Building and comparing

/// The networks the export knows, built from a test case.
protocol PyTorchExportableNetwork: ScoreNetwork {
  static func make(_ c: PyTorchExportTests.Case, using rng: inout Xoshiro256) -> Self
}

extension MLP: PyTorchExportableNetwork {
  static func make(_ c: PyTorchExportTests.Case, using rng: inout Xoshiro256) -> MLP<Scalar> {
    let embedding: TimeEmbeddingKind =
      c.sinusoidal ? .sinusoidal(dimension: 8) : .gaussianFourier(frequencies: 4, scale: 2)
    let configuration = MLPConfiguration(
      inputDimension: 2, conditionDimension: c.conditions + (c.mask ? 1 : 0), timeEmbedding: embedding,
      width: 8, depth: 3, activation: c.activation, residual: c.sinusoidal, layerNorm: c.conditions > 0)
    var network = MLP<Scalar>(configuration: configuration, using: &rng)
    // LayerNorm parameters away from (1, 0), so that a swapped γ and β would show.
    for l in network.parameters.norms.indices {
      for j in 0..<8 {
        network.parameters.norms[l].weight[0, j] = Scalar(1 + 0.1 * Double(j))
        network.parameters.norms[l].bias[0, j] = Scalar(0.05 * Double(j - l))
      }
    }
    return network
  }
}

extension ResidualMLP: PyTorchExportableNetwork {
  static func make(_ c: PyTorchExportTests.Case, using rng: inout Xoshiro256) -> ResidualMLP<Scalar> {
    let embedding: TimeEmbeddingKind =
      c.sinusoidal ? .sinusoidal(dimension: 8) : .gaussianFourier(frequencies: 4, scale: 2)
    return ResidualMLP<Scalar>(
      configuration: ResidualMLPConfiguration(
        inputDimension: 2, conditionDimension: c.conditions + (c.mask ? 1 : 0), timeEmbedding: embedding,
        width: 8, blocks: 2, activation: c.activation),
      using: &rng)
  }
}

extension PyTorchExportTests {
  static func model<Network: PyTorchExportableNetwork>(_: Network.Type, _ c: Case) -> TrainedModel<Network> {
    var rng = Xoshiro256(seed: 2024)
    let k = c.conditions
    return TrainedModel(
      network: Network.make(c, using: &rng), process: c.process, parameterization: c.parameterization,
      conditionEncoding: ConditionEncoding(dimension: k, hasMaskColumn: c.mask),
      standardizer: Standardizer(means: [0.5, -1], standardDeviations: [2, 0.25]),
      conditionStandardizer: k > 0
        ? Standardizer(
          means: Array(repeating: 3, count: k), standardDeviations: Array(repeating: 1.5, count: k))
        : nil,
      training: TrainingSummary(steps: 7, seed: 11, data: "test"))
  }

  /// Writes the module and the model file into `folder`, as `score-sde export` does.
  static func export<Network: ScoreNetwork>(_ model: TrainedModel<Network>, to folder: URL) throws {
    let source = try PyTorchExport.moduleSource(for: model)
    try source.write(
      to: folder.appendingPathComponent(PyTorchExport.moduleFileName), atomically: true, encoding: .utf8)
    try model.save(to: folder.appendingPathComponent(PyTorchExport.weightsFileName))
  }

  /// The points, times, noise and conditions both sides evaluate, and ScoreSDE's answers.
  struct Inputs {
    var x: [[Double]] = [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1], [0.05, 1.4]]
    var t: [Double] = [0.02, 0.3, 0.71, 1]
    var z: [[Double]] = [[0.4, -0.9], [-1.3, 0.2], [0.8, 1.1], [-0.2, -0.6]]
    var conditions: [[Double]]?
    var encoded: [[Double]]?
    let process: SDEDescription

    init<Network: ScoreNetwork>(_ model: TrainedModel<Network>, _ c: Case) {
      process = model.process
      let k = model.conditionEncoding.dimension
      guard k > 0 else { return }
      conditions = (0..<4).map { i in (0..<k).map { j in 0.5 * Double(i) - 0.3 * Double(j) } }
      encoded = conditions!.map { $0 + (model.conditionEncoding.hasMaskColumn ? [1] : []) }
    }

    var networkCondition: Matrix<Double>? { encoded.map { Matrix($0) } }

    var json: String {
      let object: [String: Any] = ["x": x, "t": t, "z": z, "c": encoded.map { $0 as Any } ?? NSNull()]
      return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// Compares Python's forward pass, score, loss and marginals with ScoreSDE's.
    func compare<Network: ScoreNetwork>(
      _ result: [String: [Double]], with model: TrainedModel<Network>, label: String
    ) throws where Network.Scalar == Double {
      let network = model.network
      let forward = network(Matrix(x), times: .perRow(t), condition: networkCondition)
      expectPythonClose(try #require(result["forward"]), forward.elements, "forward (\(label))")
      // The score, one row at a time (a score model takes one time per call).
      var score: [Double] = []
      for i in x.indices {
        let condition: ScoreCondition<Double> =
          conditions.map { .perRow(Matrix([$0[i]])) } ?? .unconditional
        var out = Matrix<Double>(rows: 1, columns: 2)
        model.scoreModel(condition: condition).score(Matrix([x[i]]), at: t[i], into: &out)
        score += out.elements
      }
      expectPythonClose(try #require(result["score"]), score, "score (\(label))")
      // The DSM loss at these times and this noise.
      let dsm = DenoisingScoreMatching(
        process: model.sde, options: DenoisingOptions(parameterization: model.parameterization))
      var batch = DenoisingBatch<Double>()
      dsm.prepare(Matrix(x), at: t, noise: Matrix(z), into: &batch)
      let output = network(
        batch.networkInput, times: .perRow(batch.networkTimes), condition: networkCondition)
      let loss = dsm.loss(output: output, batch: batch)
      expectPythonClose(try #require(result["loss"]), [loss], "DSM loss (\(label))")
      var marginals: [Double] = []
      for s in t {
        let (a, sd) = model.sde.marginal(at: s)
        marginals += [a, sd, model.sde.marginalShift(at: s)]
      }
      expectPythonClose(try #require(result["marginal"]), marginals, "marginal (\(label))")
    }
  }
}

/// `|a − b| ≤ 1e-9·(1 + max|b|)` entry by entry (see the suite's discussion of the tolerance).
func expectPythonClose(_ python: [Double], _ swift: [Double], _ label: String) {
  #expect(python.count == swift.count, "\(label): \(python.count) vs \(swift.count) values")
  let scale = 1 + (swift.map(abs).max() ?? 0)
  let worst = zip(python, swift).map { abs($0 - $1) }.max() ?? 0
  #expect(worst <= 1e-9 * scale, "\(label): largest difference \(worst) for entries up to \(scale - 1)")
}

/// Python's JSON output: every value a list of exact hexadecimal floats (`float.hex()`).
func decodeHexJSON(_ text: String) throws -> [String: [Double]] {
  let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String]])
  return object.mapValues { $0.map { Double($0)! } }
}

// MARK: - Python

/// The Python interpreter: `$SCORE_SDE_PYTHON` if set (for example a virtual environment with
/// torch), else `python3` on the `PATH`.
enum ExportPython {
  static let executable = ProcessInfo.processInfo.environment["SCORE_SDE_PYTHON"] ?? "python3"

  /// Whether the interpreter has numpy.
  static let hasNumpy = (try? run("import numpy")) != nil
  /// Whether the interpreter has torch and numpy.
  static let hasTorch = (try? run("import numpy, torch")) != nil

  /// Why a test is skipped.
  static func missing(_ package: String) -> Comment {
    "\(executable) has no \(package) (set SCORE_SDE_PYTHON to an interpreter that has it)"
  }

  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  /// Runs `python -c script arguments…`; its standard output, or an error with its standard error.
  static func run(_ script: String, _ arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable, "-c", script] + arguments
    let (output, errors) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw Failure(description: "python failed: " + String(decoding: message, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self)
  }
}

/// Shared by the scripts: imports the module from the folder, reads the inputs, and prints
/// results as hexadecimal floats.
private let prelude = """
  import json, sys
  import numpy as np
  sys.path.insert(0, sys.argv[1])
  import scoresde_model as m
  folder, inputs = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
  path = folder + "/model.safetensors"
  hexes = lambda a: [float(v).hex() for v in np.asarray(a, dtype=np.float64).ravel()]
  """

/// NumPy: forward, score, loss, marginals; perturbed and unchanged weights written back.
private let numpyScript =
  prelude + "\n" + """
    tensors, info = m.load_numpy(path)
    x, t, z = (np.array(inputs[k]) for k in ("x", "t", "z"))
    c = None if inputs["c"] is None else np.array(inputs["c"])
    a, s, shift = info.marginal(t)
    out = {"forward": m.forward_numpy(tensors, info, x, t, c),
           "score": m.score_numpy(tensors, info, x, t, c),
           "loss": [m.dsm_loss_numpy(tensors, info, x, t, z, c)],
           "marginal": np.stack([a, s, shift], 1)}
    m.save(dict(tensors), folder + "/same.safetensors", like=path)
    raw, _ = m.read_safetensors(path)
    perturbed = {k: v.astype(np.float64) + 1e-3 * (i + 1) for i, (k, v) in enumerate(raw.items())}
    m.save(perturbed, folder + "/perturbed.safetensors", like=path)
    p64 = m.load_numpy(folder + "/perturbed.safetensors")[0]
    out["perturbed_forward"] = m.forward_numpy(p64, info, x, t, c)
    print(json.dumps({k: hexes(v) for k, v in out.items()}))
    """

/// PyTorch in float64, for each case: the module's forward, score and loss; every trainable
/// tensor edited in torch and saved with `like=`. Then 300 steps of `train` (float32) on a
/// Gaussian in data units, with the held-out DSM loss (common random numbers) before and after.
private let torchScript = """
  import json, sys
  import numpy as np
  import torch
  jobs = json.loads(sys.argv[1])
  hexes = lambda a: [float(v).hex() for v in np.asarray(a, dtype=np.float64).ravel()]
  results = []
  for job in jobs["cases"]:
      sys.path.insert(0, job["folder"])
      sys.modules.pop("scoresde_model", None)
      import scoresde_model as m
      sys.path.pop(0)
      folder, inputs = job["folder"], json.loads(job["inputs"])
      path = folder + "/model.safetensors"
      net = m.load(path, dtype=torch.float64)
      info = net.info
      x, t, z = (torch.tensor(inputs[k], dtype=torch.float64) for k in ("x", "t", "z"))
      c = None if inputs["c"] is None else torch.tensor(inputs["c"], dtype=torch.float64)
      a, s, shift = info.marginal(t)
      with torch.no_grad():
          out = {"forward": net(x, t, c).numpy(), "score": m.score(net, x, t, c).numpy(),
                 "loss": [m._dsm_loss(net, info, x, t, z, c).item()],
                 "marginal": torch.stack([a, s, shift], 1).numpy()}
          names = [name for name, _, _ in info.layout]
          parameters = dict(net.named_parameters())
          for i, name in enumerate(names):
              if name in parameters:
                  parameters[name].add_(0.01 * (i + 1))
      out["trainable"] = [1.0 if name in parameters else 0.0 for name in names]
      note = {"score_sde.pytorch.note": "edited"}
      m.save(net, folder + "/perturbed.safetensors", like=path, extra_metadata=note)
      with torch.no_grad():
          out["perturbed_forward"] = net(x, t, c).numpy()
      results.append({k: hexes(v) for k, v in out.items()})
  folder = jobs["training"]
  sys.path.insert(0, folder)
  sys.modules.pop("scoresde_model", None)
  import scoresde_model as m
  path = folder + "/model.safetensors"
  torch.manual_seed(0)
  net = m.load(path)
  info = net.info
  data = np.random.default_rng(0).normal([1.0, -2.0], [0.5, 2.0], size=(4096, 2))
  held = torch.tensor(info.to_model_units(data[:512]), dtype=torch.float32)
  def held_out(model):
      g = torch.Generator().manual_seed(1)
      with torch.no_grad():
          return sum(m.dsm_loss(model, held, generator=g, info=info).item() for _ in range(20)) / 20
  before = held_out(net)
  average = m.train(net, data, steps=300, batch_size=256, learning_rate=3e-3, ema_decay=0.99, seed=0)
  m.save(average, folder + "/trained.safetensors", like=path)
  print(json.dumps({"cases": results, "losses": hexes([before, held_out(average)])}))
  """

/// Each refused operation's message, then the folder's files (no half-written output).
private let refusalScript =
  prelude + "\n" + """
    import os
    tensors, info = m.load_numpy(path)
    messages = []
    def refused(action):
        try:
            action()
            messages.append("accepted")
        except (ValueError, OSError) as error:
            messages.append(str(error))
    first = next(iter(tensors))
    out = folder + "/written.safetensors"
    missing = dict(tensors)
    missing.pop(first)
    refused(lambda: m.save(missing, out, like=path))
    refused(lambda: m.save(dict(tensors, extra=np.zeros(2)), out, like=path))
    refused(lambda: m.save(dict(tensors, **{first: tensors[first].ravel()[:-1]}), out, like=path))
    poisoned = tensors[first].copy()
    poisoned.flat[3] = np.nan
    refused(lambda: m.save(dict(tensors, **{first: poisoned}), out, like=path))
    raw = bytearray(open(path, "rb").read())
    raw[-3] ^= 0x10
    open(folder + "/corrupt.safetensors", "wb").write(raw)
    refused(lambda: m.load_numpy(folder + "/corrupt.safetensors"))
    refused(lambda: m.save(dict(tensors), folder, like=path))
    # A network file without the model's metadata (not written by score-sde train).
    _, metadata = m.read_safetensors(path)
    bare = {k: v for k, v in metadata.items() if not k.startswith("score_sde.model.")}
    m.write_safetensors(folder + "/network.safetensors", m.read_safetensors(path)[0], bare)
    refused(lambda: m.load_numpy(folder + "/network.safetensors"))
    print(json.dumps({"messages": messages, "files": sorted(os.listdir(folder))}))
    """
