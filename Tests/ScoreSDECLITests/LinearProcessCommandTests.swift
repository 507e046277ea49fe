import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `train --sde cld` and `--sde linear --drift F.npy --noise L.npy`: the model file records the
/// process, `nll` reports CLD's bound as a bound, and bad matrices are one-line errors that write
/// nothing.
@Suite(.serialized) struct LinearProcessCommandTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  func write(_ rows: [[Double]], _ name: String) throws {
    try NumPyFile.write(Matrix(rows), to: folder.appendingPathComponent(name))
  }

  @Test func aCLDModelTrainsAndItsNLLIsABound() throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", "cld.safetensors", "--sde", "cld", "--steps", "10", "--width",
        "8",
        "--depth", "2", "--batch", "32",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("cld.safetensors"))
    #expect(model.process.name == "cld" && model.dimension == 2 && model.stateDimension == 4)
    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "cld.safetensors", "--data", "moons", "--count", "4", "--steps", "3"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    #expect(evaluated.standardOutput.contains("mean NLL ≤"), "\(evaluated.standardOutput)")
    #expect(evaluated.standardOutput.contains("upper bound"))
    // Commands written for scalar kernels refuse it in one line.
    let density = try CommandLineTool.run(
      ["density", "--model", "cld.safetensors", "--grid", "-1:1:3,-1:1:3", "--out", "d.npy", "--steps", "2"],
      in: folder)
    #expect(
      density.status != 0 && density.standardError.contains("scalar-kernel"), "\(density.standardError)")
    let export = try CommandLineTool.run(["export", "--pytorch", "cld.safetensors", "py"], in: folder)
    #expect(export.status != 0 && export.standardError.contains("matrix kernel"), "\(export.standardError)")
  }

  /// A small data file gets a validation split, so `train` measures held-out NLLs as it goes and
  /// after it: on CLD it skips the running NLL (the state is not the data) and labels the final
  /// report's model numbers as bounds; on a linear process it computes them exactly. (Both once
  /// stopped with a precondition failure building a scalar process for the running NLL.)
  @Test func smallDataFilesTrainWithValidationOnMatrixKernels() throws {
    var rng = Xoshiro256(seed: 9)
    try NumPyFile.write(
      Matrix<Double>.randomNormal(rows: 120, columns: 2, using: &rng),
      to: folder.appendingPathComponent("t.npy"))
    try write([[-1, 0.5], [-0.5, -1]], "F.npy")
    try write([[1, 0], [0.3, 0.8]], "L.npy")
    let common = [
      "train", "--data", "t.npy", "--architecture", "mlp", "--steps", "30", "--width", "8", "--depth", "1",
      "--batch", "16",
    ]
    let cld = try CommandLineTool.run(common + ["--sde", "cld", "--out", "c.safetensors"], in: folder)
    #expect(cld.status == 0, "\(cld.standardError)")
    #expect(cld.standardOutput.contains("held-out NLL (24 rows): model ≤ "), "\(cld.standardOutput)")
    #expect(cld.standardOutput.contains("upper bounds"))
    // Its samplers never denoise, so --clip has nothing to clip and says so.
    let clipped = try CommandLineTool.run(
      ["sample", "--model", "c.safetensors", "--count", "4", "--clip", "--out", "s.npy"], in: folder)
    #expect(
      clipped.status != 0 && clipped.standardError.contains("never denoise"), "\(clipped.standardError)")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.npy").path))
    let linear = try CommandLineTool.run(
      common + ["--sde", "linear", "--drift", "F.npy", "--noise", "L.npy", "--out", "l.safetensors"],
      in: folder)
    #expect(linear.status == 0, "\(linear.standardError)")
    #expect(linear.standardOutput.contains("held-out NLL (24 rows): model "), "\(linear.standardOutput)")
    #expect(!linear.standardOutput.contains("≤") && !linear.standardOutput.contains("upper bounds"))
  }

  @Test func aLinearModelRecordsItsMatrices() throws {
    try write([[-1, 0.5], [-0.5, -1]], "F.npy")
    try write([[1, 0], [0.3, 0.8]], "L.npy")
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", "lin.safetensors", "--sde", "linear", "--drift", "F.npy",
        "--noise",
        "L.npy", "--steps", "5", "--width", "8", "--depth", "2", "--batch", "16",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("lin.safetensors"))
    guard case .linear(let f, let c, let l, _) = model.process.kind else {
      Issue.record("the model's process is \(model.process)")
      return
    }
    // Recorded as the Float process trained (as every process's parameters are).
    let rounded = { (m: [[Double]]) in m.map { $0.map { Double(Float($0)) } } }
    #expect(f == rounded([[-1, 0.5], [-0.5, -1]]) && l == rounded([[1, 0], [0.3, 0.8]]) && c.isEmpty)
  }

  @Test func badMatricesAreOneLineErrors() throws {
    try write([[-1, 0, 0], [0, -1, 0]], "rect.npy")
    try write([[-1, 0], [0, .nan]], "nan.npy")
    try write([[1, 0], [0, -1]], "unstable.npy")
    try write([[-1, 0], [0, -1]], "F.npy")
    try write([[1, 0], [0, 0]], "singular.npy")
    try write([[1, 0], [0, 1]], "I.npy")
    try write([[-1, 0, 0], [0, -1, 0], [0, 0, -1]], "F3.npy")
    try write([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "I3.npy")
    let cases: [([String], String)] = [
      (["--sde", "linear"], "needs --drift F.npy and --noise L.npy"),
      (["--sde", "linear", "--drift", "rect.npy", "--noise", "I.npy"], "F must be square"),
      (["--sde", "linear", "--drift", "F.npy", "--noise", "I3.npy"], "L must be 2 × 2 like F"),
      (["--sde", "linear", "--drift", "nan.npy", "--noise", "I.npy"], "entry (1, 1) is nan"),
      (["--sde", "linear", "--drift", "unstable.npy", "--noise", "I.npy"], "F is not stable"),
      (["--sde", "linear", "--drift", "F.npy", "--noise", "singular.npy"], "must reach every direction"),
      (["--sde", "linear", "--drift", "F3.npy", "--noise", "I3.npy"], "but the data has 2 columns"),
      (["--sde", "linear", "--drift", "missing.npy", "--noise", "I.npy"], "--drift missing.npy"),
      (["--sde", "cld", "--objective", "edm"], "--objective noise only"),
      (["--sde", "vp", "--drift", "F.npy"], "apply to --sde linear only"),
    ]
    for (arguments, message) in cases {
      let outcome = try CommandLineTool.run(
        ["train", "--data", "moons", "--out", "bad.safetensors", "--steps", "2"] + arguments, in: folder)
      #expect(outcome.status != 0, "\(arguments)")
      #expect(outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
      #expect(outcome.standardError.split(separator: "\n").count == 1, "\(outcome.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.safetensors").path))
    }
  }
}
