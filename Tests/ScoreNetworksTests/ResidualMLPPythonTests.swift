import Foundation
import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// Whether `python3` with `numpy` is installed.
let pythonHasNumpy = runPython("import numpy") != nil

/// Reads a safetensors file with numpy alone (8-byte header length, JSON header, raw data),
/// evaluates the residual MLP on it from its definition, and prints the output as exact
/// hexadecimal strings, with the tensors' names and shapes, as JSON.
let pythonResidualMLP = """
  import json, struct, sys, numpy as np
  path, xs, ts, cs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
  raw = open(path, "rb").read()
  n = struct.unpack("<Q", raw[:8])[0]
  header = json.loads(raw[8:8 + n])
  meta = header.pop("__metadata__", {})
  kinds = {"F32": np.float32, "F64": np.float64}
  t = {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                        dtype=kinds[v["dtype"]]).reshape(v["shape"]).astype(np.float64)
       for k, v in header.items()}
  config = json.loads(meta["score_sde.resmlp.configuration"])
  act = {"silu": lambda z: z / (1 + np.exp(-z)), "tanh": np.tanh}[config["activation"]]
  x, tt, c = np.array(xs), np.array(ts), np.array(cs).reshape(len(xs), -1)
  W = t["time.frequencies"]
  angle = tt[:, None] * W[None, :] * 2 * np.pi
  e = np.concatenate([np.sin(angle), np.cos(angle), c], 1)
  lin = lambda name, v: v @ t[name + ".weight"].T + t[name + ".bias"]
  def ln(h):
      m = h.mean(1, keepdims=True)
      return (h - m) / np.sqrt(((h - m) ** 2).mean(1, keepdims=True) + 1e-5)
  m = act(lin("embedding", e))
  h = lin("input", x)
  H = h.shape[1]
  for b in range(config["blocks"]):
      f = lin(f"blocks.{b}.film", m)
      v = ln(h) * (1 + f[:, :H]) + f[:, H:]
      h = h + lin(f"blocks.{b}.linear2", act(lin(f"blocks.{b}.linear1", act(v))))
  out = lin("output", ln(h))
  print(json.dumps({"shapes": {k: list(v.shape) for k, v in t.items()}, "architecture":
      meta["score_sde.network.architecture"], "output": [float(a).hex() for a in out.ravel()]}))
  """

@Test(.enabled(if: pythonHasNumpy, "python3 with numpy is not installed"))
func numpyEvaluatesSwiftResidualMLPFiles() throws {
  for activation in [Activation.silu, .tanh] {
    var rng = Xoshiro256(seed: 107)
    let configuration = ResidualMLPConfiguration(
      inputDimension: 2, conditionDimension: 1, timeEmbedding: .gaussianFourier(frequencies: 4, scale: 2),
      width: 8, blocks: 2, activation: activation)
    let model = ResidualMLP<Double>(configuration: configuration, using: &rng)
    let url = temporaryFile("resmlp-to-numpy.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try model.save(to: url)
    let x: [[Double]] = [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]]
    let t: [Double] = [0.05, 0.5, 0.99]
    let c: [[Double]] = [[1], [0], [-0.5]]
    let swiftOutput = model(Matrix(x), times: .perRow(t), condition: Matrix(c)).elements
    let json = try #require(runPython(pythonResidualMLP, [url.path, "\(x)", "\(t)", "\(c)"]))
    let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(result["architecture"] as? String == "resmlp")
    let shapes = try #require(result["shapes"] as? [String: [Int]])
    for entry in model.namedTensors().entries {
      #expect(shapes[entry.name] == entry.shape, "\(entry.name)")
    }
    #expect(shapes.count == model.namedTensors().count)
    let pythonOutput = try #require((result["output"] as? [String])?.compactMap { Double($0) })
    #expect(pythonOutput.count == swiftOutput.count)
    for (a, b) in zip(pythonOutput, swiftOutput) {
      #expect(abs(a - b) < 1e-12 * max(1, abs(a)), "numpy \(a), swift \(b) (\(activation))")
    }
  }
}
