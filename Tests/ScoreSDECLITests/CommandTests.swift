import Datasets
import Foundation
import LinearAlgebra
import Testing

/// The tool as a new user meets it: each subcommand on good input, then on each kind of bad
/// input, asserting the message, the exit status, and that no output file is left behind.
/// Sizes are tiny so that the debug build runs them in seconds.
@Suite(.serialized) struct CommandTests {
  let folder: URL
  /// A small model trained once for the suite.
  static let modelFolder: URL = {
    let folder = try! CommandLineTool.scratchFolder()
    let outcome = try! CommandLineTool.run(
      [
        "train", "--data", "checkerboard", "--out", "model.safetensors", "--steps", "30", "--width", "16",
        "--depth", "1", "--batch", "64",
      ], in: folder)
    precondition(outcome.status == 0, "training the suite's model failed: \(outcome.standardError)")
    return folder
  }()

  init() throws { folder = try CommandLineTool.scratchFolder() }

  var model: String { Self.modelFolder.appendingPathComponent("model.safetensors").path }

  @Test func datasetsListsEveryBuiltInDensity() throws {
    let outcome = try CommandLineTool.run(["datasets"], in: folder)
    #expect(outcome.status == 0)
    for name in DatasetRegistry.names { #expect(outcome.standardOutput.contains(name)) }
  }

  @Test func trainWritesAModelAndReportsTheLoss() throws {
    let outcome = try CommandLineTool.run(
      [
        "train", "--data", "8gaussians", "--out", "m.safetensors", "--steps", "20", "--width", "8", "--depth",
        "1",
        "--batch", "32", "--sde", "ve",
      ], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("trained 20 steps"))
    #expect(try CommandLineTool.files(in: folder) == ["m.safetensors"])
  }

  /// A short training gives usable weights: after 200 steps on N(0, 1) data the samples'
  /// standard deviation lies in [0.5, 1.5]. Without the EMA's warm-up (decay 0.999 from the
  /// first step) the averaged weights would still be 0.999²⁰⁰ ≈ 82 % the random initial ones,
  /// and the standard deviation ~100.
  @Test func shortTrainingSamplesFromTheAveragedWeights() throws {
    var rng = Xoshiro256(seed: 3)
    try NumPyFile.write(
      Matrix<Double>.randomNormal(rows: 2000, columns: 1, using: &rng),
      to: folder.appendingPathComponent("n.npy"))
    let trained = try CommandLineTool.run(
      [
        "train", "--data", "n.npy", "--architecture", "mlp", "--out", "n.safetensors", "--steps", "200",
        "--width", "32", "--batch",
        "128",
      ],
      in: folder)
    #expect(trained.status == 0, "\(trained.standardError)")
    let sampled = try CommandLineTool.run(
      ["sample", "--model", "n.safetensors", "--out", "s.npy", "--count", "2000", "--sampler", "dpm"],
      in: folder)
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let x: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
    let mean = x.elements.reduce(0, +) / Double(x.rows)
    let deviation = (x.elements.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.rows - 1))
      .squareRoot()
    #expect(deviation > 0.5 && deviation < 1.5, "standard deviation \(deviation)")
  }

  @Test func trainReadsNumPyAndCSVFilesWithConditionColumns() throws {
    var rng = Xoshiro256(seed: 1)
    let data = Matrix<Double>.randomNormal(rows: 200, columns: 3, using: &rng)
    try NumPyFile.write(data, to: folder.appendingPathComponent("data.npy"))
    try CSVFile.write(
      data, columnNames: ["x", "y", "temperature"], to: folder.appendingPathComponent("data.csv"))
    for file in ["data.npy", "data.csv"] {
      let outcome = try CommandLineTool.run(
        [
          "train", "--data", file, "--architecture", "mlp", "--out", "\(file).safetensors", "--steps", "10",
          "--width", "8", "--depth",
          "1",
          "--batch", "16", "--condition-columns", "2",
        ], in: folder)
      #expect(outcome.status == 0, "\(file): \(outcome.standardError)")
    }
    // The conditional model needs --condition to sample, and samples 2 columns with it.
    let missing = try CommandLineTool.run(
      ["sample", "--model", "data.npy.safetensors", "--out", "s.npy", "--count", "5", "--steps", "5"],
      in: folder)
    #expect(missing.status != 0)
    #expect(missing.standardError.contains("conditional on 1 value(s): pass --condition"))
    let sampled = try CommandLineTool.run(
      [
        "sample", "--model", "data.npy.safetensors", "--out", "s.npy", "--count", "5", "--steps", "5",
        "--condition", "0.5",
      ], in: folder)
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let samples: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("s.npy"))
    #expect(samples.rows == 5 && samples.columns == 2)
  }

  @Test(arguments: [
    "em", "pc", "ode", "euler", "heun", "adaptive", "dpm", "ancestral", "edm-heun", "euler-a", "ddim",
    "dpm-sde",
  ])
  func sampleWritesTheRequestedRows(sampler: String) throws {
    let outcome = try CommandLineTool.run(
      [
        "sample", "--model", model, "--out", "s.csv", "--count", "7", "--sampler", sampler, "--steps", "8",
        "--plot", "s.svg",
      ], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    let table: CSVTable<Double> = try CSVFile.read(from: folder.appendingPathComponent("s.csv"))
    #expect(table.values.rows == 7 && table.values.columns == 2)
    #expect(table.values.isFinite)
    #expect(try CommandLineTool.files(in: folder) == ["s.csv", "s.svg"])
  }

  @Test(arguments: [
    ["--sampler", "dpm", "--order", "3"], ["--sampler", "pc", "--snr", "0.1"],
    ["--sampler", "dpm-sde", "--order", "3"],
    ["--sampler", "euler-a", "--eta", "0.5"], ["--sampler", "ddim", "--eta", "1"],
    ["--sampler", "edm-heun", "--churn", "5"],
  ])
  func samplerSettingsMapOntoTheKind(settings: [String]) throws {
    let outcome = try CommandLineTool.run(
      ["sample", "--model", model, "--out", "s.csv", "--count", "4", "--steps", "6"] + settings, in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
  }

  /// `sample` without --sampler runs 20 steps of DPM-Solver++ (20 evaluations, no denoising);
  /// `--sampler em` ends with a Tweedie step (one evaluation more than its steps).
  @Test func sampleDefaultsToDPMSolverAndDenoisesEulerMaruyama() throws {
    let plain = try CommandLineTool.run(
      ["sample", "--model", model, "--out", "a.npy", "--count", "4"], in: folder)
    #expect(plain.status == 0, "\(plain.standardError)")
    #expect(
      plain.standardOutput.contains("sampler dpm, 20 score evaluations per sample"), "\(plain.standardOutput)"
    )
    let em = try CommandLineTool.run(
      ["sample", "--model", model, "--out", "b.npy", "--count", "4", "--sampler", "em", "--steps", "30"],
      in: folder)
    #expect(em.status == 0, "\(em.standardError)")
    #expect(em.standardOutput.contains("sampler em, 31 score evaluations per sample"), "\(em.standardOutput)")
  }

  @Test func sameSeedSameSamples() throws {
    for name in ["a.npy", "b.npy"] {
      let outcome = try CommandLineTool.run(
        ["sample", "--model", model, "--out", name, "--count", "20", "--steps", "10", "--seed", "3"],
        in: folder)
      #expect(outcome.status == 0)
    }
    let a = try Data(contentsOf: folder.appendingPathComponent("a.npy"))
    let b = try Data(contentsOf: folder.appendingPathComponent("b.npy"))
    #expect(a == b)
  }

  @Test func nllPrintsNatsAndBitsPerDimensionAndWritesPerPointValues() throws {
    let outcome = try CommandLineTool.run(
      [
        "nll", "--model", model, "--data", "checkerboard", "--count", "20", "--steps", "4", "--out",
        "nll.npy",
      ],
      in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("mean NLL"))
    #expect(outcome.standardOutput.contains("bits/dim"))
    let values: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("nll.npy"))
    #expect(values.rows == 20 && values.columns == 1 && values.isFinite)
  }

  @Test func thermoPrintsEntropyProductionSpeciationAndTheBound() throws {
    let outcome = try CommandLineTool.run(
      [
        "thermo", "--model", model, "--data", "checkerboard", "--count", "64", "--times", "4", "--rounds",
        "6",
        "--bound-points", "3", "--plot", "entropy.svg",
      ],
      in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    for phrase in ["entropy production", "integral over", "speciation time", "likelihood bound", "exact NLL"]
    {
      #expect(outcome.standardOutput.contains(phrase), "missing '\(phrase)' in \(outcome.standardOutput)")
    }
    let svg = try String(contentsOf: folder.appendingPathComponent("entropy.svg"), encoding: .utf8)
    #expect(svg.contains("<svg") && svg.contains("polyline"))
    // Without --data the points are the model's own samples.
    let own = try CommandLineTool.run(
      ["thermo", "--model", model, "--count", "32", "--times", "3", "--rounds", "4", "--bound-points", "2"],
      in: folder)
    #expect(own.status == 0 && own.standardOutput.contains("speciation time"), "\(own.standardError)")
    try expectFailure(["thermo", "--model", model, "--plot", "rates.png"], mentioning: "--plot")
  }

  @Test func demoWritesItsFilesAndComparesWithTheTruth() throws {
    let outcome = try CommandLineTool.run(
      ["demo", "--out", "demo", "--steps", "20", "--samples", "60"], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("data vs fresh data"))
    #expect(outcome.standardOutput.contains("exact: log 32"))
    #expect(
      try CommandLineTool.files(in: folder.appendingPathComponent("demo"))
        == ["loss.svg", "model.safetensors", "quality.svg", "samples.npy", "samples.svg"])
  }

  // MARK: - Bad input: a one-line error naming the problem, a non-zero exit, no output file.

  func expectFailure(_ arguments: [String], mentioning text: String) throws {
    let before = try CommandLineTool.files(in: folder)
    let outcome = try CommandLineTool.run(arguments, in: folder)
    #expect(outcome.status != 0, "\(arguments) should fail")
    #expect(outcome.standardError.contains(text), "\(arguments): \(outcome.standardError)")
    #expect(try CommandLineTool.files(in: folder) == before, "\(arguments) left a file behind")
  }

  @Test func missingFiles() throws {
    try expectFailure(
      ["train", "--data", "nothing.npy", "--out", "m.safetensors"], mentioning: "nothing.npy: no such file")
    try expectFailure(
      ["sample", "--model", "nothing.safetensors", "--out", "s.npy"], mentioning: "no such file")
    try expectFailure(
      ["nll", "--model", model, "--data", "nothing.csv"], mentioning: "nothing.csv: no such file")
  }

  @Test func malformedFiles() throws {
    try Data("not numpy".utf8).write(to: folder.appendingPathComponent("bad.npy"))
    try Data("x,y\n1,2\n3\n".utf8).write(to: folder.appendingPathComponent("ragged.csv"))
    try expectFailure(["train", "--data", "bad.npy", "--out", "m.safetensors"], mentioning: "bad.npy")
    try expectFailure(["train", "--data", "ragged.csv", "--out", "m.safetensors"], mentioning: "ragged.csv")
    try expectFailure(["sample", "--model", "bad.npy", "--out", "s.npy"], mentioning: "bad.npy")
  }

  @Test func nonFiniteData() throws {
    try Data("x,y\n1,2\n3,nan\n".utf8).write(to: folder.appendingPathComponent("nan.csv"))
    try expectFailure(["train", "--data", "nan.csv", "--out", "m.safetensors"], mentioning: "nan")
    try expectFailure(["nll", "--model", model, "--data", "nan.csv"], mentioning: "nan.csv")
  }

  @Test func wrongNumberOfColumns() throws {
    try CSVFile.write(
      Matrix<Double>(rows: 4, columns: 3, repeating: 1), to: folder.appendingPathComponent("three.csv"))
    try expectFailure(["nll", "--model", model, "--data", "three.csv"], mentioning: "the data has 3")
  }

  @Test func unknownOptionValues() throws {
    try expectFailure(
      ["train", "--data", "checkerboard", "--out", "m.safetensors", "--sde", "foo"], mentioning: "foo")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "magic"], mentioning: "magic")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "em", "--order", "3"], mentioning: "--order"
    )
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "dpm", "--snr", "0.1"], mentioning: "--snr")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "dpm", "--eta", "0.5"], mentioning: "--eta")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "ddim", "--eta", "2"], mentioning: "--eta")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "em", "--churn", "1"], mentioning: "--churn"
    )
    // Values a Double holds but the Float sampler does not, and grids too long to allocate.
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "euler-a", "--eta", "1e308"],
      mentioning: "--eta")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "edm-heun", "--churn", "1e300"],
      mentioning: "--churn")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--sampler", "sra", "--steps", "100000000000"],
      mentioning: "--steps")
    try expectFailure(
      ["nll", "--model", model, "--data", "moons", "--steps", "99999999999"], mentioning: "--steps")
    try expectFailure(
      ["train", "--data", "spiral-galaxy", "--out", "m.safetensors"], mentioning: "spiral-galaxy")
    try expectFailure(["sample", "--model", model, "--out", "s.txt"], mentioning: ".npy or .csv")
    try expectFailure(
      ["sample", "--model", model, "--out", "s.npy", "--condition", "1"], mentioning: "unconditional")
  }

  @Test func unwritableOutput() throws {
    try expectFailure(
      ["sample", "--model", model, "--out", "no/such/folder/s.npy"], mentioning: "does not exist")
    try expectFailure(
      ["train", "--data", "checkerboard", "--out", "no/such/folder/m.safetensors", "--steps", "10"],
      mentioning: "does not exist")
  }
}
