import Datasets
import Foundation
import LinearAlgebra
import Testing

/// `score-sde sample --observe y.npy --operator A.npy --observation-noise σ`: posterior sampling
/// with a trained prior, in the data's units, and its refusals of bad input.
@Suite(.serialized) struct ObservationSamplingTests {
  let folder: URL

  /// A model trained once on correlated 2-D Gaussian data far from the origin (means 10 and −5,
  /// standard deviations 2 and 1, correlation 0.9), so that the standardisation matters.
  static let modelFolder: URL = {
    let folder = try! CommandLineTool.scratchFolder()
    var rng = Xoshiro256(seed: 4)
    let z = Matrix<Double>.randomNormal(rows: 4000, columns: 2, using: &rng)
    var x = Matrix<Double>(rows: 4000, columns: 2)
    for i in 0..<4000 {
      x[i, 0] = 10 + 2 * z[i, 0]
      x[i, 1] = -5 + 0.9 * z[i, 0] + (1 - 0.81).squareRoot() * z[i, 1]
    }
    try! NumPyFile.write(x, to: folder.appendingPathComponent("data.npy"))
    let outcome = try! CommandLineTool.run(
      [
        "train", "--data", "data.npy", "--architecture", "mlp", "--out", "model.safetensors", "--steps",
        "400", "--width", "32",
        "--batch", "128",
      ], in: folder)
    precondition(outcome.status == 0, "training the suite's model failed: \(outcome.standardError)")
    return folder
  }()

  init() throws { folder = try CommandLineTool.scratchFolder() }

  var model: String { Self.modelFolder.appendingPathComponent("model.safetensors").path }

  func write(_ rows: [[Double]], _ name: String) throws {
    try NumPyFile.write(Matrix(rows), to: folder.appendingPathComponent(name))
  }

  /// Observing `x₁ = 13` (1.5 standard deviations up) with `σ = 0.2`: the exact posterior has
  /// means (12.97, −3.66) and standard deviations (0.20, 0.45). DPS's normalised step with
  /// `ζ = 3` (200 Euler–Maruyama steps) gave means (12.93, −3.59) with this model: the test asserts
  /// both within 0.3 in data units, which fails if the standardisation of `A` and `y` is wrong
  /// (the model works in units where `x₁` has standard deviation 1, not 2) or if the observation
  /// does not reach the unobserved coordinate (the prior mean of `x₂` is −5).
  @Test func posteriorSamplesAgreeWithTheObservation() throws {
    try write([[1, 0]], "A.npy")
    try write([[13]], "y.npy")
    let outcome = try CommandLineTool.run(
      [
        "sample", "--model", model, "--out", "s.npy", "--count", "1000", "--sampler", "em", "--steps", "200",
        "--observe", "y.npy", "--operator", "A.npy", "--observation-noise", "0.2", "--guidance-scale", "3",
      ], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    let x: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
    let means = x.columnMeans()
    print("posterior sample means \(means)")
    #expect(abs(means[0] - 12.97) < 0.3, "E[x₁ | y] ≈ \(means[0])")
    #expect(abs(means[1] + 3.66) < 0.3, "E[x₂ | y] ≈ \(means[1])")
  }

  @Test(arguments: [
    (["--observe", "y.npy", "--operator", "A.npy"], "go together"),
    (
      ["--observe", "y.npy", "--operator", "A3.npy", "--observation-noise", "0.1"],
      "the model's samples have 2 columns"
    ),
    (["--observe", "y2.npy", "--operator", "A.npy", "--observation-noise", "0.1"], "so y needs 1 values"),
    (["--observe", "nan.npy", "--operator", "A.npy", "--observation-noise", "0.1"], "nan.npy"),
    (["--observe", "missing.npy", "--operator", "A.npy", "--observation-noise", "0.1"], "missing.npy"),
    (["--observe", "y.npy", "--operator", "A.npy", "--observation-noise", "0"], "positive and finite"),
    (
      ["--observe", "y.npy", "--operator", "A.npy", "--observation-noise", "0.1", "--guidance-scale=-1"],
      "--guidance-scale must be positive"
    ),
    (["--observe", "y.npy", "--operator", "A.csv", "--observation-noise", "0.1"], "expected a .npy file"),
  ])
  func badObservationsAreRefused(arguments: [String], message: String) throws {
    try write([[1, 0]], "A.npy")
    try write([[1, 0, 0]], "A3.npy")
    try write([[13]], "y.npy")
    try write([[13, 1]], "y2.npy")
    try write([[.nan]], "nan.npy")
    try Data("1,0\n".utf8).write(to: folder.appendingPathComponent("A.csv"))
    let before = try CommandLineTool.files(in: folder)
    let outcome = try CommandLineTool.run(
      ["sample", "--model", model, "--out", "s.npy", "--count", "5", "--steps", "5"] + arguments, in: folder)
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains(message), "\(outcome.standardError)")
    #expect(try CommandLineTool.files(in: folder) == before, "no output file is left behind")
  }
}
