import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// `train` on a small data file holds out a validation split by default, reports the held-out
/// loss and stops on patience, keeps the best weights (recorded in the model file), prints the
/// held-out NLL beside the Gaussian baseline's, and `nll` prints the baseline from the model file.
@Suite(.serialized) struct ValidationTests {
  let folder: URL

  init() throws {
    folder = try CommandLineTool.scratchFolder()
    var rng = Xoshiro256(seed: 20)
    var rows = Matrix<Double>.randomNormal(rows: 150, columns: 2, using: &rng)
    for i in 0..<rows.rows { rows[i, 1] = 0.8 * rows[i, 0] + 0.6 * rows[i, 1] + 3 }
    try NumPyFile.write(rows, to: folder.appendingPathComponent("small.npy"))
  }

  @Test func aSmallFileIsSplitAndTheBestWeightsAreKept() throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "small.npy", "--out", "m.safetensors", "--architecture", "mlp", "--steps", "300",
        "--width", "16",
        "--depth", "2", "--batch", "32", "--validation-interval", "10", "--patience", "3", "--weight-decay",
        "0.01",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    #expect(trained.standardOutput.contains("validation: 30 held-out rows (0.2); best held-out loss"))
    #expect(trained.standardOutput.contains("held-out NLL (30 rows): model "))
    #expect(trained.standardOutput.contains("training NLL (30 rows): model "))
    #expect(trained.standardOutput.contains("Gaussian baseline"))
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("m.safetensors"))
    let validation = try #require(model.training.validation)
    #expect(validation.heldOutRows == 30 && validation.heldOutFraction == 0.2)
    #expect(validation.lastStep == model.training.steps && validation.bestStep <= validation.lastStep)
    #expect(validation.evaluations == (validation.lastStep + 9) / 10)
    if validation.stoppedEarly {
      #expect(trained.standardOutput.contains("stopped early: no improvement in 3 evaluations"))
      #expect(validation.lastStep - validation.bestStep == 30)
    }
    #expect(model.training.configuration?.optimizer == .adamW(weightDecay: 0.01))
    let baseline = try #require(model.gaussianBaseline)
    #expect(baseline.dimension == 2 && abs(baseline.means[1] - 3) < 0.5)

    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "m.safetensors", "--data", "small.npy", "--steps", "20"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    #expect(evaluated.standardOutput.contains("Gaussian baseline (fitted to the training rows): mean NLL"))
  }

  @Test func validationZeroTrainsOnEveryRowAndBadFractionsAreRefused() throws {
    let all = try CommandLineTool.run(
      [
        "train", "--data", "small.npy", "--out", "all.safetensors", "--architecture", "mlp", "--steps", "5",
        "--width", "8", "--depth",
        "1", "--validation", "0",
      ], in: folder)
    #expect(all.status == 0, "\(all.standardError)")
    #expect(!all.standardOutput.contains("validation:"))
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("all.safetensors"))
    #expect(model.training.validation == nil && model.training.steps == 5)
    #expect(model.gaussianBaseline != nil)

    for (arguments, message) in [
      (["--validation", "1.5"], "--validation must lie in [0, 1), got 1.5"),
      (["--validation", "0.001"], "small.npy: --validation 0.001 of its 150 rows leaves 0 held-out"),
      (["--patience=-1"], "--patience must be 0 or more, got -1"),
      (["--weight-decay=-0.1"], "--weight-decay must be finite and non-negative, got -0.1"),
      (["--validation-interval", "0"], "--validation-interval must be at least 1, got 0"),
      (["--steps", "1000000000000"], "--steps 1000000000000: at most 1000000000"),
    ] {
      let outcome = try CommandLineTool.run(
        ["train", "--data", "small.npy", "--out", "x.safetensors", "--steps", "5"] + arguments, in: folder)
      #expect(outcome.status != 0)
      #expect(outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
    }
    // A column that varies only in the rows the default split holds out is named as such.
    var rows = Matrix<Double>(rows: 20, columns: 2)
    var splitRNG = Xoshiro256(seed: 0, stream: UInt64.max - 4)
    let heldOut = trainTestSplit(rows, testFraction: 0.2, using: &splitRNG).testIndices
    for i in 0..<20 { rows[i, 0] = Double(i) * 0.3 }
    for i in heldOut { rows[i, 1] = 1 }
    try NumPyFile.write(rows, to: folder.appendingPathComponent("sparse.npy"))
    let sparse = try CommandLineTool.run(
      ["train", "--data", "sparse.npy", "--out", "x.safetensors", "--steps", "5"], in: folder)
    #expect(sparse.status != 0)
    #expect(
      sparse.standardError.contains(
        "sparse.npy: column 2 is 0.0 in every training row once 4 of the 20 rows are held out for validation"),
      "\(sparse.standardError)")

    let builtIn = try CommandLineTool.run(
      ["train", "--data", "moons", "--out", "x.safetensors", "--steps", "5", "--validation", "0.2"],
      in: folder)
    #expect(builtIn.status != 0)
    #expect(
      builtIn.standardError.contains(
        "--validation holds out rows of a data file; moons is a built-in density"))
    #expect(try !CommandLineTool.files(in: folder).contains("x.safetensors"))
  }
}

/// Integer columns: detected in a file of integers uniform on {0, …, 9} (exact discrete entropy
/// log 10 = 2.3026 nats), dequantised in training, and `nll` reports the discrete bound — never
/// below log 10 by more than its noise, and, after a short run, within 0.25 nats of it. A
/// declared column that holds a non-integer is refused, naming the row.
@Suite(.serialized) struct IntegerColumnTests {
  let folder: URL

  init() throws {
    folder = try CommandLineTool.scratchFolder()
    var rng = Xoshiro256(seed: 2019)
    var rows = Matrix<Double>(rows: 600, columns: 1)
    for i in 0..<600 { rows[i, 0] = Double(rng.next() % 10) }
    try NumPyFile.write(rows, to: folder.appendingPathComponent("digits.npy"))
  }

  @Test func uniformIntegersBoundIsNearLogTen() throws {
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "digits.npy", "--architecture", "mlp", "--out", "u.safetensors", "--steps", "600",
        "--width", "32",
        "--depth", "2", "--batch", "128", "--validation", "0",
      ], in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let model = try TrainedModel<MLP<Double>>.load(from: folder.appendingPathComponent("u.safetensors"))
    #expect(model.dequantization == Dequantization(columns: [0]))

    let evaluated = try CommandLineTool.run(
      ["nll", "--model", "u.safetensors", "--data", "digits.npy", "--steps", "40"], in: folder)
    #expect(evaluated.status == 0, "\(evaluated.standardError)")
    let line = try #require(
      evaluated.standardOutput.split(separator: "\n").first { $0.hasPrefix("discrete NLL bound ") })
    let bound = try #require(Double(line.split(separator: " ")[3]))
    let logTen = Foundation.log(10.0)
    #expect(bound > logTen - 0.05 && bound < logTen + 0.25, "bound \(bound) vs log 10 = \(logTen)")
  }

  @Test func declaredIntegerColumnsAreChecked() throws {
    var rows = Matrix<Double>([[1, 0.5], [2, 1.5], [3, 2.25], [4, 3]])
    rows[2, 0] = 3.5
    try NumPyFile.write(rows, to: folder.appendingPathComponent("mixed.npy"))
    let outcome = try CommandLineTool.run(
      ["train", "--data", "mixed.npy", "--out", "x.safetensors", "--steps", "2", "--integer-columns", "0"],
      in: folder)
    #expect(outcome.status != 0)
    #expect(
      outcome.standardError.contains(
        "mixed.npy: --integer-columns names column 0, but row 3 holds 3.5, not an integer"),
      "\(outcome.standardError)")
    let outside = try CommandLineTool.run(
      ["train", "--data", "mixed.npy", "--out", "x.safetensors", "--steps", "2", "--integer-columns", "5"],
      in: folder)
    #expect(
      outside.standardError.contains("names column 5, but the data has columns 0…1"),
      "\(outside.standardError)")
  }
}
