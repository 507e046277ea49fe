import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `--condition-encoding`: a hash-encoded model trained on the four-parameter blob ring,
/// recorded in its file and honoured by `sample` and `nll` (with a warning for a condition
/// outside the training range); malformed values and a residual MLP are refused.
@Suite(.serialized) struct ConditionEncodingTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  @Test func aHashEncodedModelTrainsSamplesAndEvaluates() throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "blob-ring", "--out", "h.safetensors", "--condition-encoding", "hash:4:256:2",
        "--steps", "8", "--width", "8", "--depth", "2", "--batch", "16",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = folder.appendingPathComponent("h.safetensors")
    #expect(try ModelFile.architecture(of: model) == "encoded-mlp")
    let network = try TrainedModel<EncodedConditionNetwork<MLP<Double>>>.load(from: model).network
    guard case .hashGrid(let levels, let t, let f, _, _) = network.configuration.encoding.encoding else {
      Issue.record("not a hash grid: \(network.configuration.encoding)")
      return
    }
    #expect(levels == 4 && t == 256 && f == 2 && network.parameters.tables.count == 4)
    #expect(network.configuration.encoding.parameterCount == 4)

    let sampled = try CommandLineTool.run(
      [
        "sample", "--model", "h.safetensors", "--out", "s.npy", "--count", "6", "--steps", "5",
        "--condition", "2,0.2,2,0.3",
      ], in: folder)
    #expect(sampled.status == 0 && !sampled.standardError.contains("warning"), "\(sampled.standardError)")
    let outside = try CommandLineTool.run(
      [
        "sample", "--model", "h.safetensors", "--out", "t.npy", "--count", "6", "--steps", "5",
        "--condition", "9,0.2,2,0.3",
      ], in: folder)
    #expect(outside.status == 0)
    #expect(
      outside.standardError.contains("outside the training range") && outside.standardError.contains("clamps")
    )
    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "h.safetensors", "--data", "blob-ring", "--count", "8", "--steps", "4"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    #expect(evaluated.standardOutput.contains("mean NLL"))
  }

  @Test(arguments: ["hash:0", "fourier:x", "sparse", "hash:4:256:2:9", "identity:3"])
  func malformedEncodingsAreRefused(value: String) throws {
    let run = try CommandLineTool.run(
      [
        "train", "--data", "blob-ring", "--out", "m.safetensors", "--condition-encoding", value, "--steps",
        "2",
      ],
      in: folder)
    #expect(run.status != 0)
    #expect(run.standardError.contains("condition-encoding"), "\(run.standardError)")
    #expect(try CommandLineTool.files(in: folder).isEmpty)
  }

  @Test func encodingsNeedConditionsAndTheMLP() throws {
    let residual = try CommandLineTool.run(
      [
        "train", "--data", "blob-ring", "--out", "m.safetensors", "--condition-encoding", "fourier",
        "--architecture", "resmlp", "--steps", "2",
      ], in: folder)
    #expect(residual.status != 0 && residual.standardError.contains("--architecture mlp"))
    let unconditional = try CommandLineTool.run(
      ["train", "--data", "moons", "--out", "m.safetensors", "--condition-encoding", "hash", "--steps", "2"],
      in: folder)
    #expect(
      unconditional.status != 0 && unconditional.standardError.contains("needs conditioning parameters"))
    #expect(try CommandLineTool.files(in: folder).isEmpty)
  }
}
