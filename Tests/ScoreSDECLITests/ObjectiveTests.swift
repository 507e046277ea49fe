import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `train --objective edm`: the model file records the preconditioned parameterisation (and the
/// loaded model converts its output through it), `sample` and `nll` read it back, and an unknown
/// objective is refused with the values it takes.
@Suite(.serialized) struct ObjectiveTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  @Test func anEDMModelTrainsSamplesAndEvaluates() throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", "edm.safetensors", "--objective", "edm", "--steps", "20",
        "--width", "8", "--depth", "2", "--batch", "32",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("edm.safetensors"))
    #expect(model.parameterization == .edm(dataStandardDeviation: 1))

    let sampled = try CommandLineTool.run(
      ["sample", "--model", "edm.safetensors", "--out", "s.npy", "--count", "6", "--steps", "5"], in: folder)
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let samples: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
    #expect(samples.rows == 6 && samples.columns == 2 && samples.isFinite)

    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "edm.safetensors", "--data", "moons", "--count", "8", "--steps", "4"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    #expect(evaluated.standardOutput.contains("mean NLL"))
  }

  @Test func unknownObjectivesAreRefusedWithTheValues() throws {
    let outcome = try CommandLineTool.run(
      ["train", "--data", "moons", "--out", "m.safetensors", "--objective", "v-prediction"], in: folder)
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("noise") && outcome.standardError.contains("edm"))
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.safetensors").path))
  }
}
