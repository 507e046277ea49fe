import Datasets
import Foundation
import LinearAlgebra
import RealModule
import ScoreSDE
import Testing

/// `train --transform`: a model trained with the transforms and one trained on the transformed
/// rows themselves are the same network, so their per-point NLLs differ by exactly the
/// transforms' log-Jacobian; `sample` undoes the transforms, clips on request and reports
/// outliers; bad columns and data outside a domain are refused in one line.
@Suite(.serialized) struct ColumnTransformCommandTests {
  let folder: URL
  let rows: Matrix<Double>
  let training = [
    "--architecture", "mlp", "--steps", "30", "--width", "8", "--depth", "1", "--batch", "32", "--seed", "5",
    "--validation-interval",
    "10",
  ]

  init() throws {
    folder = try CommandLineTool.scratchFolder()
    var rng = Xoshiro256(seed: 2020)
    var rows = Matrix<Double>.randomNormal(rows: 120, columns: 2, using: &rng)
    for i in 0..<rows.rows {
      rows[i, 0] = Double.exp(0.5 * rows[i, 0] + 1)  // log-normal: positive, skewed
      rows[i, 1] = Double.pow(rows[i, 1], 3)  // heavy-tailed
    }
    self.rows = rows
    try NumPyFile.write(rows, to: folder.appendingPathComponent("x.npy"))
  }

  func run(_ arguments: [String]) throws -> CommandLineTool.Outcome {
    try CommandLineTool.run(arguments, in: folder)
  }

  /// Model `mapped` (trained on `x.npy` with `transforms`) and model `plain` (trained on the
  /// rows already mapped, `plainData`, with `--transform none`) are the same network on the same
  /// split, so their per-point NLLs must differ by exactly the transforms' log-Jacobian: the ODE
  /// solves are bit-identical, only the two additions round differently.
  func expectNLLsDifferByTheLogJacobian(
    mapped: String, plain: String, plainData: String, transforms: ColumnTransforms
  ) throws {
    for (m, data) in [(mapped, "x"), (plain, plainData)] {
      let nll = try run(
        ["nll", "--model", "\(m).safetensors", "--data", "\(data).npy", "--steps", "10", "--out", "\(m).npy"])
      #expect(nll.status == 0, "\(nll.standardError)")
    }
    let nllMapped = try NumPyFile.read(from: folder.appendingPathComponent("\(mapped).npy"), as: Double.self)
    let nllPlain = try NumPyFile.read(from: folder.appendingPathComponent("\(plain).npy"), as: Double.self)
    let jacobians = transforms.logAbsJacobians(of: rows)
    for i in 0..<rows.rows {
      let expected = nllPlain.elements[i] - jacobians[i]
      #expect(
        abs(nllMapped.elements[i] - expected) <= 1e-12 * max(1, abs(expected)),
        "row \(i): \(nllMapped.elements[i]) vs \(expected)")
    }
  }

  @Test func nllInDataUnitsIsNLLOfTransformedRowsMinusTheLogJacobian() throws {
    let a = try run(
      [
        "train", "--data", "x.npy", "--out", "a.safetensors", "--transform", "log:0", "--transform",
        "quantile:1",
      ]
        + training)
    #expect(a.status == 0, "\(a.standardError)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("a.safetensors"))
    let transforms = try #require(model.columnTransforms)
    #expect(transforms.transforms[0] == .log(offset: 0))
    guard case .quantile(let map) = transforms.transforms[1] else {
      Issue.record("column 1 is \(transforms.transforms[1])")
      return
    }
    #expect(map.knots.count == 96)  // the 96 training rows (20 % held out), all distinct
    let range = try #require(model.dataRange)
    #expect(range.dimension == 2 && range.lower[0] < -1 && range.upper[0] > 1)
    // The same network, trained on the transformed rows (same split, same standardisation).
    try NumPyFile.write(transforms.applied(to: rows), to: folder.appendingPathComponent("y.npy"))
    let b = try run(["train", "--data", "y.npy", "--out", "b.safetensors", "--transform", "none"] + training)
    #expect(b.status == 0, "\(b.standardError)")
    try expectNLLsDifferByTheLogJacobian(mapped: "a", plain: "b", plainData: "y", transforms: transforms)
    // A point outside the log's domain is refused, naming it.
    var bad = rows
    bad[1, 0] = -1
    try NumPyFile.write(bad, to: folder.appendingPathComponent("bad.npy"))
    let refused = try run(["nll", "--model", "a.safetensors", "--data", "bad.npy", "--steps", "10"])
    #expect(refused.status != 0)
    #expect(
      refused.standardError.contains(
        "bad.npy: row 2 holds -1.0 in column 0, outside the domain of the model's --transform log on that column (x > 0)"
      ),
      "\(refused.standardError)")

    // Samples come back in data units (positive first column), clipped on request, with the
    // outlier report against the training file the model records.
    let sampled = try run(
      ["sample", "--model", "a.safetensors", "--out", "s.npy", "--count", "200", "--steps", "5", "--clip"])
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let samples = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"), as: Double.self)
    #expect((0..<samples.rows).allSatisfy { samples[$0, 0] > 0 })
    #expect(
      sampled.standardOutput.contains("outliers: ")
        && sampled.standardOutput.contains("of 200 samples")
        && sampled.standardOutput.contains("reference: x.npy (the training file the model records)"),
      "\(sampled.standardOutput)")
    let none = try run(
      [
        "sample", "--model", "a.safetensors", "--out", "t.npy", "--count", "10", "--steps", "5",
        "--reference", "none",
      ])
    #expect(none.status == 0 && !none.standardOutput.contains("outliers:"), "\(none.standardError)")
  }

  /// Without `--transform`, a data file's continuous columns get kernel quantile maps when a
  /// Gaussian in the mapped columns predicts the held-out rows better, as it does by far for a
  /// log-normal and a cubed normal column; the NLL in data units is then the NLL of the mapped
  /// rows minus the maps' log-Jacobian, to rounding. `--transform none` and `--validation 0` keep
  /// the columns as they are.
  @Test func defaultKernelMapsWhenTheyPredictTheHeldOutRowsBetter() throws {
    let d = try run(["train", "--data", "x.npy", "--out", "d.safetensors"] + training)
    #expect(d.status == 0, "\(d.standardError)")
    let line = try #require(
      d.standardOutput.split(separator: "\n").first { $0.hasPrefix("column transforms:") })
    #expect(line.contains("kernel quantile maps on 2 data column(s), the default for a data file"), "\(line)")
    // "(a Gaussian's held-out NLL A with them, B without, …)": the maps won.
    let numbers = line.split(separator: " ").compactMap {
      Double($0.trimmingCharacters(in: .punctuationCharacters))
    }
    #expect(numbers.count >= 3 && numbers[1] < numbers[2], "\(line)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("d.safetensors"))
    let transforms = try #require(model.columnTransforms)
    for t in transforms.transforms {
      guard case .kernelQuantile(let map) = t else {
        Issue.record("\(t)")
        continue
      }
      #expect(map.centers.count == 96)  // the 96 training rows (20 % held out)
    }
    try NumPyFile.write(transforms.applied(to: rows), to: folder.appendingPathComponent("k.npy"))
    let e = try run(["train", "--data", "k.npy", "--out", "e.safetensors", "--transform", "none"] + training)
    #expect(e.status == 0 && !e.standardOutput.contains("column transforms:"), "\(e.standardOutput)")
    #expect(
      try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("e.safetensors"))
        .columnTransforms == nil)
    try expectNLLsDifferByTheLogJacobian(mapped: "d", plain: "e", plainData: "k", transforms: transforms)
    // Nothing to choose on without held-out rows.
    let f = try run(["train", "--data", "x.npy", "--out", "f.safetensors", "--validation", "0"] + training)
    #expect(f.status == 0 && !f.standardOutput.contains("column transforms:"), "\(f.standardOutput)")
    #expect(
      try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("f.safetensors"))
        .columnTransforms == nil)
  }

  @Test(arguments: [
    (["log:1"], "x.npy: --transform log on column 1 needs x > 0, but row "),
    (["log:5"], "x.npy: --transform log:5 names column 5, but the data has columns 0…1"),
    (["log:0", "quantile:0"], "--transform quantile:0 and --transform log:0 both name column 0"),
    (["log:0,0"], "--transform log:0,0 names a column twice"),
    (
      ["quantile:1-0"],
      "--transform quantile:1-0: '1-0' is not a column number (0-based) or a range such as 0-29"
    ),
    (["quantile:0-2"], "x.npy: --transform quantile:0-2 names column 2, but the data has columns 0…1"),
    // A range of a trillion columns is refused by the file's width, not by running out of memory.
    (
      ["quantile:0-999999999999"],
      "x.npy: --transform quantile:0-999999999999 names column 2, but the data has columns 0…1"
    ),
    (["log:0-1,1-3"], "--transform log:0-1,1-3 names a column twice"),
    (["cube:0"], "--transform cube:0: unknown transform 'cube' (log, logit, quantile, kernel or none)"),
    (["kernel=2:0"], "--transform kernel=2:0: kernel takes no parameters"),
    (["none:0"], "--transform none:0: none takes no columns (--transform none keeps every column as it is)"),
    (
      ["none", "log:0"],
      "--transform none trains on the columns as they are; drop it or the other --transform options"
    ),
    (["logit=1,0:0"], "--transform logit=1,0:0: logit takes no bounds (0, 1) or two, lower < upper"),
  ])
  func badTransformsAreRefused(transforms: [String], message: String) throws {
    let outcome = try run(
      ["train", "--data", "x.npy", "--out", "z.safetensors", "--steps", "2"]
        + transforms.flatMap { ["--transform", $0] })
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains(message), "\(outcome.standardError)")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("z.safetensors").path))
  }
}
