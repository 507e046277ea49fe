// Tutorial 7, "Your own data": a NumPy `.npy` file in, samples out as `.npy`, and the trained
// weights to PyTorch through safetensors.
import Foundation
import ScoreSDE
import Testing

/// The tutorial's files, in a fresh temporary folder.
func tutorialFolder(_ name: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// A `.npy` written as NumPy writes it is read exactly; training on it and sampling gives samples
/// with the data's mean (within 0.3 per coordinate); the samples' `.npy` reads back bit for bit;
/// and the weights file holds exactly the tensors of the reference PyTorch `Net`, under the
/// names and shapes the tutorial's mapping gives.
@Test func ownDataInSamplesAndWeightsOut() throws {
  let folder = try tutorialFolder("own-data")
  defer { try? FileManager.default.removeItem(at: folder) }
  // What `np.save("events.npy", events.astype(np.float32))` writes: 2000 events, 2 columns.
  var rng = Xoshiro256(seed: 9)
  var events = Matrix<Float>.randomNormal(rows: 2000, columns: 2, using: &rng)
  events.scaleRows(by: [Float](repeating: 0.5, count: 2000))
  events.addToEachRow([3, -1])
  try NumPyFile.write(events, to: folder.appendingPathComponent("events.npy"))

  // snippet: own-data-read
  let data = try NumPyFile.read(from: folder.appendingPathComponent("events.npy"), as: Double.self)
  // Rows are events, columns are features: standardised in Double, then stored as Float.
  let source = try DatasetSource<Float>(standardizing: data, source: "events.npy")
  // end-snippet
  #expect(data.elements == events.elements.map { Double($0) })
  #expect(source.appliedStandardizer == (try Standardizer(fitting: data)))

  // snippet: own-data-train
  var trainer = try Trainer(
    process: VPSDE<Float>(),
    architecture: MLPConfiguration(inputDimension: data.columns, width: 32, depth: 2),
    source: source,
    configuration: TrainingConfiguration(
      seed: 1, batchSize: 128, steps: 400, learningRate: 3e-3, emaDecay: 0.99))
  try trainer.train()
  let model = try trainer.trainedModel(data: "events.npy")
  // end-snippet

  // snippet: own-data-sample
  let sampler = Sampler(
    process: model.sde, score: model.scoreModel(), options: SamplingOptions(kind: .dpmSolver(steps: 20)))
  var samples = try sampler.sample(count: 1000, dimension: data.columns).samples
  model.toDataScale(&samples)
  try NumPyFile.write(samples, to: folder.appendingPathComponent("samples.npy"))  // np.load reads it
  print("sample means \(samples.columnMeans()), data means \(data.columnMeans())")
  // end-snippet
  #expect(try NumPyFile.read(from: folder.appendingPathComponent("samples.npy"), as: Float.self) == samples)
  for (sampled, true_) in zip(samples.columnMeans(), data.columnMeans()) {
    #expect(abs(Double(sampled) - true_) < 0.3, "sample mean \(sampled), data mean \(true_)")
  }

  // snippet: own-data-weights
  let weights = folder.appendingPathComponent("score.safetensors")
  try trainer.averagedNetwork.save(to: weights)  // F32 tensors with PyTorch's names and layouts
  let (tensors, _) = try SafeTensors.read(from: weights, as: Float.self)
  for tensor in tensors.entries { print(tensor.name, tensor.shape) }
  // end-snippet

  // The mapping to the reference `Net(d=2, H=32, L=2, nf=16)` of shared/bench/torch_ref.py:
  // mlp.{2l} ↔ layers.l (l = 0 … L), W ↔ embedding.frequencies.
  let expected: [String: [Int]] = [
    "layers.0.weight": [32, 2 + 32], "layers.0.bias": [32],
    "layers.1.weight": [32, 32], "layers.1.bias": [32],
    "layers.2.weight": [2, 32], "layers.2.bias": [2],
    "embedding.frequencies": [16],
  ]
  #expect(Dictionary(uniqueKeysWithValues: tensors.entries.map { ($0.name, $0.shape) }) == expected)
}

/// Runs `python3 -c script arguments…`; `nil` when Python fails or is missing.
func runPython(_ script: String, _ arguments: [String] = []) -> String? {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
  let output = Pipe()
  process.standardOutput = output
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return nil }
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

/// The tutorial's Python file, Documentation/ScoreSDE.docc/Resources/load_weights.py: its
/// `load` renames the tensors to the reference `Net`'s state_dict keys, and the reference
/// forward pass (numpy, as `Net.forward`: x ‖ sin ‖ cos of 2πtW → SiLU layers `mlp.{2l}` →
/// linear) on those keys gives the Swift network's output.
@Test(
  .enabled(
    if: runPython("import safetensors.numpy, numpy") != nil,
    "python3 with safetensors and numpy is not installed (pip install safetensors numpy)"))
func tutorialPythonLoaderMapsWeightsOntoTheReferenceNet() throws {
  let folder = try tutorialFolder("load-weights")
  defer { try? FileManager.default.removeItem(at: folder) }
  var rng = Xoshiro256(seed: 10)
  let network = MLP<Float>(
    configuration: MLPConfiguration(inputDimension: 2, width: 16, depth: 2), using: &rng)
  let url = folder.appendingPathComponent("score.safetensors")
  try network.save(to: url)
  let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Documentation/ScoreSDE.docc/Resources").standardizedFileURL
  let x: [[Float]] = [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]]
  let t: [Float] = [0.05, 0.5, 0.99]
  let script = """
    import json, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from load_weights import load
    state, config = load(sys.argv[2])
    x, t = np.array(json.loads(sys.argv[3])), np.array(json.loads(sys.argv[4]))
    proj = t[:, None] * state["W"][None, :] * 2 * np.pi
    h = np.concatenate([x, np.sin(proj), np.cos(proj)], 1)
    L = config["depth"]
    for l in range(L + 1):
        h = h @ state[f"mlp.{2 * l}.weight"].T + state[f"mlp.{2 * l}.bias"]
        if l < L:
            h = h / (1 + np.exp(-h))
    print(json.dumps({"names": sorted(state), "output": h.ravel().tolist()}))
    """
  let output = try #require(
    runPython(script, [resources.path, url.path, "\(x)", "\(t)"]), "load_weights.py failed on \(url.path)")
  struct Reply: Decodable {
    let names: [String]
    let output: [Double]
  }
  let reply = try JSONDecoder().decode(Reply.self, from: Data(output.utf8))
  #expect(
    reply.names == [
      "W", "mlp.0.bias", "mlp.0.weight", "mlp.2.bias", "mlp.2.weight", "mlp.4.bias", "mlp.4.weight",
    ])
  let swift = network(Matrix(x), times: .perRow(t)).elements.map(Double.init)
  #expect(reply.output.count == swift.count)
  for (python, ours) in zip(reply.output, swift) {
    #expect(abs(python - ours) <= 1e-4 * max(1, abs(ours)), "numpy \(python), Swift \(ours)")
  }
}
