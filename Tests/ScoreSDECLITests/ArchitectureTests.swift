import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `--architecture`: a residual MLP trained, recorded in its model file, sampled with a
/// condition and evaluated by `nll`, every command reading the architecture from the file; and
/// the errors for an unknown architecture on the command line or in a file.
@Suite(.serialized) struct ArchitectureTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  @Test func aResidualMLPTrainsSamplesAndEvaluates() throws {
    var rng = Xoshiro256(seed: 5)
    let data = Matrix<Double>.randomNormal(rows: 120, columns: 3, using: &rng)
    try NumPyFile.write(data, to: folder.appendingPathComponent("data.npy"))
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "data.npy", "--out", "res.safetensors", "--architecture", "resmlp", "--steps",
        "10",
        "--width", "8", "--depth", "2", "--batch", "16", "--condition-columns", "2",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = folder.appendingPathComponent("res.safetensors")
    #expect(try ModelFile.architecture(of: model) == "resmlp")
    let network = try TrainedModel<ResidualMLP<Double>>.load(from: model).network
    #expect(network.configuration.width == 8 && network.configuration.blocks == 2)

    let sampled = try CommandLineTool.run(
      [
        "sample", "--model", "res.safetensors", "--out", "s.npy", "--count", "6", "--steps", "5",
        "--condition", "0.5",
      ], in: folder)
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let samples: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
    #expect(samples.rows == 6 && samples.columns == 2 && samples.isFinite)

    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "res.safetensors", "--data", "data.npy", "--count", "8", "--steps", "4"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    #expect(evaluated.standardOutput.contains("mean NLL"))
  }

  /// Without `--architecture` the data choose: the residual MLP for a file in memory of fewer
  /// than 5 000 rows, the plain MLP from there on, for an encoded condition and for a built-in
  /// density; the choice is said and recorded.
  @Test func theDataChooseTheNetworkWhenNoneIsGiven() throws {
    var rng = Xoshiro256(seed: 6)
    try NumPyFile.write(
      Matrix<Double>.randomNormal(rows: 120, columns: 3, using: &rng),
      to: folder.appendingPathComponent("small.npy"))
    try NumPyFile.write(
      Matrix<Double>.randomNormal(rows: 4_999, columns: 2, using: &rng),
      to: folder.appendingPathComponent("below.npy"))
    try NumPyFile.write(
      Matrix<Double>.randomNormal(rows: 5_000, columns: 2, using: &rng),
      to: folder.appendingPathComponent("large.npy"))
    let common = ["--steps", "2", "--width", "8", "--depth", "1", "--batch", "16"]
    let cases: [([String], String, String?)] = [
      (
        ["--data", "small.npy"], "resmlp",
        "network: resmlp, width 8, depth 1 (the default for a file of 120 rows"
      ),
      (
        ["--data", "below.npy"], "resmlp",
        "network: resmlp, width 8, depth 1 (the default for a file of 4999 rows"
      ),
      (
        ["--data", "large.npy"], "mlp", "network: mlp, width 8, depth 1 (the default for a file of 5000 rows"
      ),
      (
        ["--data", "small.npy", "--condition-columns", "2", "--condition-encoding", "fourier"], "encoded-mlp",
        "network: mlp, width 8, depth 1 (the default for a file of 120 rows"
      ),
      (["--data", "small.npy", "--validation", "0"], "resmlp", "(the default for a file of 120 rows"),
      (["--data", "moons"], "mlp", nil),
    ]
    for (arguments, expected, line) in cases {
      let trained = try CommandLineTool.run(
        ["train", "--out", "d.safetensors"] + arguments + common, in: folder)
      #expect(trained.status == 0, "\(arguments): \(trained.standardError)")
      let architecture = try ModelFile.architecture(of: folder.appendingPathComponent("d.safetensors"))
      #expect(architecture == expected, "\(arguments): \(architecture)")
      if let line {
        #expect(trained.standardOutput.contains(line), "\(arguments): \(trained.standardOutput)")
      } else {
        #expect(!trained.standardOutput.contains("network:"), "\(arguments): \(trained.standardOutput)")
      }
    }
  }

  @Test func unknownArchitecturesAreRefusedWithTheirName() throws {
    let option = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", "m.safetensors", "--architecture", "transformer", "--steps", "2",
      ],
      in: folder)
    #expect(option.status != 0)
    #expect(option.standardError.contains("transformer"))
    #expect(try CommandLineTool.files(in: folder).isEmpty)

    // A size within the configuration's limits that no memory holds: refused before any work.
    let huge = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", "m.safetensors", "--architecture", "resmlp", "--width",
        "1048576",
      ],
      in: folder)
    #expect(huge.status != 0)
    #expect(huge.standardError.contains("needs about"), "\(huge.standardError)")
    #expect(try CommandLineTool.files(in: folder).isEmpty)

    // A model file whose network this tool does not know (a user's own architecture).
    let url = folder.appendingPathComponent("own.safetensors")
    var tensors = NamedTensors<Float>()
    tensors.append(name: "w", shape: [1], values: Matrix(rows: 1, columns: 1))
    try SafeTensors.write(tensors, metadata: ["score_sde.network.architecture": "tiny"], to: url)
    let sampled = try CommandLineTool.run(
      ["sample", "--model", "own.safetensors", "--out", "s.npy", "--count", "3"], in: folder)
    #expect(sampled.status != 0)
    #expect(sampled.standardError.contains("'tiny'"), "\(sampled.standardError)")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.npy").path))
  }
}
