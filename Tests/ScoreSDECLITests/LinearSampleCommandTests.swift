import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `sample` on models trained with `--sde cld` and `--sde linear`: the default samplers (`sscs`,
/// `ode`) and the general ones write samples of the data's dimension; samplers written in a
/// scalar kernel, `--observe`, and the scalar default's own options are one-line errors naming
/// what the model takes, and write nothing; `sscs` on a VP model is refused the same way.
@Suite(.serialized) struct LinearSampleCommandTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  func train(_ name: String, _ arguments: [String]) throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "moons", "--out", name, "--steps", "5", "--width", "8", "--depth", "2", "--batch",
        "16",
      ]
        + arguments, in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
  }

  func sample(_ model: String, _ arguments: [String]) throws -> CommandLineTool.Outcome {
    try CommandLineTool.run(
      ["sample", "--model", model, "--count", "40", "--out", "s.npy"] + arguments, in: folder)
  }

  @Test func matrixKernelModelsSampleWithTheirSamplers() throws {
    try train("cld.safetensors", ["--sde", "cld"])
    try NumPyFile.write(
      Matrix<Double>([[-1, 0.5], [-0.5, -1]]), to: folder.appendingPathComponent("F.npy"))
    try NumPyFile.write(Matrix<Double>([[1, 0], [0.3, 0.8]]), to: folder.appendingPathComponent("L.npy"))
    try train("lin.safetensors", ["--sde", "linear", "--drift", "F.npy", "--noise", "L.npy"])
    try train("vp.safetensors", [])
    try NumPyFile.write(Matrix<Double>([[0.5]]), to: folder.appendingPathComponent("y.npy"))
    try NumPyFile.write(Matrix<Double>([[1, 0]]), to: folder.appendingPathComponent("A.npy"))

    let cases: [(String, [String], String)] = [
      ("cld.safetensors", [], "sampler sscs, 100 score evaluations"),
      ("cld.safetensors", ["--sampler", "em", "--steps", "7"], "sampler em, 7 score evaluations"),
      ("cld.safetensors", ["--sampler", "heun", "--steps", "4"], "sampler heun, 8 score evaluations"),
      ("lin.safetensors", ["--steps", "3"], "sampler ode, 12 score evaluations"),
      ("lin.safetensors", ["--sampler", "em", "--steps", "5"], "sampler em, 6 score evaluations"),
    ]
    for (model, arguments, summary) in cases {
      try? FileManager.default.removeItem(at: folder.appendingPathComponent("s.npy"))
      let outcome = try sample(model, arguments)
      #expect(outcome.status == 0, "\(model) \(arguments): \(outcome.standardError)")
      #expect(outcome.standardOutput.contains(summary), "\(arguments): \(outcome.standardOutput)")
      let x: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
      #expect(x.rows == 40 && x.columns == 2 && x.isFinite, "\(model) \(arguments)")
    }

    let refusals: [(String, [String], String)] = [
      ("cld.safetensors", ["--sampler", "dpm"], "this process takes sscs, em, euler, heun, ode, adaptive"),
      ("cld.safetensors", ["--sampler", "sra"], "cannot apply a matrix diffusion"),
      ("lin.safetensors", ["--sampler", "pc"], "this process takes em, euler, heun, ode, adaptive"),
      ("cld.safetensors", ["--order", "2"], "--order belongs to a sampler this model does not take"),
      ("vp.safetensors", ["--sampler", "sscs"], "critically-damped Langevin models (--sde cld) only"),
      (
        "cld.safetensors", ["--observe", "y.npy", "--operator", "A.npy", "--observation-noise", "0.1"],
        "--observe needs a model with a scalar kernel"
      ),
    ]
    for (model, arguments, message) in refusals {
      try? FileManager.default.removeItem(at: folder.appendingPathComponent("s.npy"))
      let outcome = try sample(model, arguments)
      #expect(outcome.status != 0, "\(model) \(arguments)")
      let lines = outcome.standardError.split(separator: "\n")
      #expect(
        lines.count == 1 && outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.npy").path))
    }
  }
}
