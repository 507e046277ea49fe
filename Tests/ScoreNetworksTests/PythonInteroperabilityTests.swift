import Foundation
import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// Runs `python3 -c script arguments…` and returns its standard output, or `nil` if it fails.
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
  guard process.terminationStatus == 0 else { return nil }
  return String(decoding: data, as: UTF8.self)
}

/// Whether `python3` with the `safetensors` and `numpy` packages is installed.
let pythonHasSafetensors = runPython("import safetensors.numpy, numpy") != nil

/// Loads a file with `safetensors.numpy`, evaluates the reference network on it with numpy
/// (x ‖ sin ‖ cos of 2πtW → SiLU layers → linear), and prints the tensors and the output as JSON,
/// numbers as exact hexadecimal strings (`float.hex()`), so that no decimal parsing intervenes.
let pythonReader = """
  import json, sys, numpy as np
  from safetensors import safe_open
  from safetensors.numpy import load_file
  path, xs, ts = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
  t = load_file(path)
  with safe_open(path, framework="np") as f:
      meta = f.metadata()
  x, tt = np.array(xs, dtype=np.float64), np.array(ts, dtype=np.float64)
  W = t["embedding.frequencies"].astype(np.float64)
  proj = tt[:, None] * W[None, :] * 2 * np.pi
  h = np.concatenate([x, np.sin(proj), np.cos(proj)], 1)
  depth = len([k for k in t if k.endswith(".weight")]) - 1
  for l in range(depth + 1):
      h = h @ t[f"layers.{l}.weight"].astype(np.float64).T + t[f"layers.{l}.bias"]
      if l < depth:
          h = h / (1 + np.exp(-h))
  print(json.dumps({"tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
      "values": [float(a).hex() for a in v.astype(np.float64).ravel()]} for k, v in t.items()},
      "metadata": meta, "output": [float(a).hex() for a in h.ravel()]}))
  """

@Test(
  .enabled(
    if: pythonHasSafetensors, "python3 with safetensors and numpy is not installed (pip install safetensors)")
)
func pythonReadsSwiftFiles() throws {
  for double in [false, true] {
    var rng = Xoshiro256(seed: 51)
    let configuration = MLPConfiguration(inputDimension: 2, width: 8, depth: 2)
    let url = temporaryFile("to-python.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let x: [[Double]] = [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]]
    let t: [Double] = [0.05, 0.5, 0.99]
    let swiftOutput: [Double]
    let tensors: NamedTensors<Double>
    if double {
      let model = MLP<Double>(configuration: configuration, using: &rng)
      try model.save(to: url)
      swiftOutput = model(Matrix(x), times: .perRow(t)).elements
      tensors = model.namedTensors()
    } else {
      let model = MLP<Float>(configuration: configuration, using: &rng)
      try model.save(to: url)
      swiftOutput = model(Matrix(x.map { $0.map(Float.init) }), times: .perRow(t.map(Float.init))).elements
        .map(Double.init)
      let (read, _) = try SafeTensors.read(from: url, as: Double.self)
      tensors = read
    }
    let json = try #require(runPython(pythonReader, [url.path, "\(x)", "\(t)"]))
    let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let pythonTensors = try #require(result["tensors"] as? [String: [String: Any]])
    #expect(Set(pythonTensors.keys) == Set(tensors.names))
    for entry in tensors.entries {
      let p = try #require(pythonTensors[entry.name])
      #expect(p["dtype"] as? String == (double ? "float64" : "float32"), "\(entry.name)")
      #expect(p["shape"] as? [Int] == entry.shape, "\(entry.name)")
      let values = (p["values"] as? [String])?.map { Double($0) }
      #expect(values == entry.values.elements, "\(entry.name): values differ")
    }
    let metadata = try #require(result["metadata"] as? [String: String])
    #expect(metadata["format"] == "pt")
    #expect(metadata[MLP<Double>.configurationMetadataKey] != nil)
    // numpy's evaluation of the [out, in] weights gives Swift's output: no transposition anywhere.
    let pythonOutput = try #require((result["output"] as? [String])?.compactMap { Double($0) })
    #expect(pythonOutput.count == swiftOutput.count)
    let tolerance = double ? 1e-13 : 1e-5
    for (a, b) in zip(pythonOutput, swiftOutput) {
      #expect(abs(a - b) < tolerance * max(1, abs(a)), "python \(a), swift \(b) (double: \(double))")
    }
  }
}

@Test(
  .enabled(
    if: pythonHasSafetensors, "python3 with safetensors and numpy is not installed (pip install safetensors)")
)
func swiftReadsPythonFiles() throws {
  let url = temporaryFile("from-python.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let script = """
    import sys, numpy as np
    from safetensors.numpy import save_file
    save_file({"a": (np.arange(6, dtype=np.float32) / np.float32(7)).reshape(2, 3),
               "b": np.array([0.1, -2.5e-300, 3.0, np.pi], dtype=np.float64),
               "s": np.array(1.5, dtype=np.float32)}, sys.argv[1], metadata={"origin": "numpy"})
    """
  try #require(runPython(script, [url.path]) != nil)
  let (floats, metadata) = try SafeTensors.read(from: url, as: Float.self)
  #expect(metadata == ["origin": "numpy"])
  let a = try #require(floats["a"])
  #expect(a.shape == [2, 3])
  #expect(a.values == Matrix(rows: 2, columns: 3, elements: (0..<6).map { Float($0) / 7 }))
  #expect(floats["s"]?.shape == [])
  #expect(floats["s"]?.values.elements == [1.5])
  let (doubles, _) = try SafeTensors.read(from: url, as: Double.self)
  #expect(doubles["b"]?.shape == [4])
  #expect(doubles["b"]?.values.elements == [0.1, -2.5e-300, 3.0, Double.pi])
}
