import Datasets
import Foundation
import LinearAlgebra
import Testing

/// `score-sde density` and `score-sde nll --condition-grid` on tiny trained models: the density
/// grid integrates to 1 in the data's units and holds the very numbers `nll` reports; the
/// posterior of a conditional model's parameter is normalised and peaks near the truth; bad
/// input is refused with what and where, and leaves no file behind.
@Suite(.serialized) struct DensityCommandTests {
  let folder: URL

  /// An unconditional model of `N((1, −2), diag(2², 1.5²))` (standardised in training, so the
  /// log-Jacobian −log 3 matters) and a conditional one of `x | θ ~ N(θ·(1, 1), 0.5² I)`,
  /// `θ ~ U(−2, 2)`, trained once for the suite.
  static let models: URL = {
    let folder = try! CommandLineTool.scratchFolder()
    var rng = Xoshiro256(seed: 11)
    var data = Matrix<Double>.randomNormal(rows: 2000, columns: 2, using: &rng)
    for i in 0..<data.rows {
      data[i, 0] = 1 + 2 * data[i, 0]
      data[i, 1] = -2 + 1.5 * data[i, 1]
    }
    try! NumPyFile.write(data, to: folder.appendingPathComponent("data.npy"))
    var conditional = Matrix<Double>.randomNormal(rows: 3000, columns: 3, using: &rng)
    for i in 0..<conditional.rows {
      let theta = -2 + 4 * Double(rng.next() >> 11) / Double(1 << 53)
      conditional[i, 0] = theta + 0.5 * conditional[i, 0]
      conditional[i, 1] = theta + 0.5 * conditional[i, 1]
      conditional[i, 2] = theta
    }
    try! NumPyFile.write(conditional, to: folder.appendingPathComponent("conditional.npy"))
    for (file, extra) in [("data", [String]()), ("conditional", ["--condition-columns", "2"])] {
      let outcome = try! CommandLineTool.run(
        [
          "train", "--data", "\(file).npy", "--architecture", "mlp", "--out", "\(file).safetensors",
          "--steps", "400", "--width", "32",
          "--depth", "2", "--batch", "128", "--validation", "0",
        ] + extra, in: folder)
      precondition(outcome.status == 0, "training \(file) failed: \(outcome.standardError)")
    }
    return folder
  }()

  init() throws { folder = try CommandLineTool.scratchFolder() }

  func model(_ name: String) -> String { Self.models.appendingPathComponent("\(name).safetensors").path }

  /// On a 25 × 25 grid spanning ±5 standard deviations of the data: `∫ρ` by the trapezoid rule
  /// is 1 within 0.02 (the flow's change of variables conserves mass whatever the weights; the
  /// rule's error on a density of scale ≥ 1.5 at spacings 0.83 and 0.63 and the mass outside the
  /// box are each below 1e-3 for a Gaussian, and the learned density is close to one; measured:
  /// see the note), and the values are the ones `nll` prints for the same 625 points, bit for bit.
  @Test func densityIntegratesToOneAndMatchesNLL() throws {
    let outcome = try CommandLineTool.run(
      [
        "density", "--model", model("data"), "--grid", "-9:11:25,-9.5:5.5:25", "--output", "rho.npy",
        "--plot",
        "rho.svg",
      ], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(try CommandLineTool.files(in: folder) == ["rho.npy", "rho.svg"])
    let logRho: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("rho.npy"))
    #expect(logRho.rows == 25 && logRho.columns == 25)
    let x = (0..<25).map { -9 + Double($0) * 20 / 24 }
    let y = (0..<25).map { -9.5 + Double($0) * 15 / 24 }
    var integral = 0.0
    for i in 0..<25 {
      for j in 0..<25 {
        let w = (j == 0 || j == 24 ? 0.5 : 1) * (i == 0 || i == 24 ? 0.5 : 1) * (20.0 / 24) * (15.0 / 24)
        integral += w * Double.exp(logRho[i, j])
      }
    }
    print("DENSITY_INTEGRAL: \(integral)")
    #expect(abs(integral - 1) < 0.02, "∫ρ = \(integral)")
    #expect(outcome.standardOutput.contains(String(format: "%.6f", integral)), "\(outcome.standardOutput)")
    // The peak sits near the data's mean (1, −2).
    let top = logRho.elements.indices.max { logRho.elements[$0] < logRho.elements[$1] }!
    #expect(
      abs(x[top % 25] - 1) < 1.5 && abs(y[top / 25] + 2) < 1.2, "peak at (\(x[top % 25]), \(y[top / 25]))")

    // The same points, meshgrid 'xy' order (x fastest), through `nll`.
    var points = Matrix<Double>(rows: 625, columns: 2)
    for i in 0..<25 {
      for j in 0..<25 {
        points[i * 25 + j, 0] = x[j]
        points[i * 25 + j, 1] = y[i]
      }
    }
    try NumPyFile.write(points, to: folder.appendingPathComponent("points.npy"))
    let nll = try CommandLineTool.run(
      ["nll", "--model", model("data"), "--data", "points.npy", "--out", "nll.npy"], in: folder)
    #expect(nll.status == 0, "\(nll.standardError)")
    let values: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("nll.npy"))
    let mismatches = (0..<625).filter { logRho.elements[$0] != -values.elements[$0] }
    #expect(mismatches.isEmpty, "\(mismatches.count) of 625 points differ, first \(mismatches.first ?? -1)")
    let svg = try String(contentsOf: folder.appendingPathComponent("rho.svg"), encoding: .utf8)
    #expect(svg.contains("<svg") && svg.contains("log ρ (nats)"))
  }

  /// A conditional model's density at a condition, and a slice of it through a fixed coordinate.
  @Test func conditionalDensityAndSlicesRun() throws {
    let outcome = try CommandLineTool.run(
      [
        "density", "--model", model("conditional"), "--grid", "-2:4:12,-2:4:12", "--condition", "1", "--out",
        "c.npy",
      ],
      in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    let logRho: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("c.npy"))
    let top = logRho.elements.indices.max { logRho.elements[$0] < logRho.elements[$1] }!
    let (px, py) = (-2 + Double(top % 12) * 6 / 11, -2 + Double(top / 12) * 6 / 11)
    #expect(abs(px - 1) < 1.1 && abs(py - 1) < 1.1, "peak at (\(px), \(py)) for θ = 1")
  }

  @Test(arguments: [
    (["--grid", "-4:4,-4:4:10"], "entry 1 ('-4:4'): '-4:4' is not lo:hi:count"),
    (["--grid", "-4:4:0,-4:4:10"], "the count 0 is not between 2"),
    (["--grid", "-4:4:3000,-4:4:3000"], "more than the limit of 4000000"),
    (["--grid", "4:-4:10,-4:4:10"], "the lower bound 4.0 is not below the upper bound -4.0"),
    (["--grid", "nan:4:10,-4:4:10"], "must be finite"),
    (["--grid", "-4:4:10,inf"], "not finite"),
    (["--grid", "-4:4:10"], "the model has 2 dimension(s)"),
    (["--grid", "-4:4:10,-4:4:10,0.5"], "has 3 entries"),
    (["--grid", "-4:4:10,0.5"], "exactly two must be lo:hi:count"),
    (["--grid", "-4:4:10,-4:4:10", "--condition", "1"], "the model is unconditional; drop --condition"),
    (["--grid", "-4:4:10,-4:4:10", "--steps", "0"], "--steps must be at least 1"),
  ])
  func badGridsAreRefused(arguments: [String], message: String) throws {
    let outcome = try CommandLineTool.run(
      ["density", "--model", model("data"), "--out", "rho.npy", "--plot", "rho.svg"] + arguments, in: folder)
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
    #expect(try CommandLineTool.files(in: folder) == [], "\(arguments) left files behind")
  }

  @Test func badOutputsAndConditionsAreRefused() throws {
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("taken.npy"), withIntermediateDirectories: false)
    let cases: [([String], String)] = [
      (["--model", model("data"), "--out", "taken.npy"], "is a directory"),
      (["--model", model("data"), "--out", "rho.csv"], "--out must name a .npy file"),
      (["--model", model("data"), "--out", "rho.npy", "--plot", "rho.png"], "--plot must name an .svg file"),
      (["--model", model("conditional"), "--out", "rho.npy"], "conditional on 1 value(s): pass --condition"),
      (
        ["--model", model("conditional"), "--out", "rho.npy", "--condition", "1,2"],
        "--condition has 2 value(s)"
      ),
      (["--model", model("conditional"), "--out", "rho.npy", "--condition", "nan"], "not a finite number"),
      (["--model", "missing.safetensors", "--out", "rho.npy"], "missing.safetensors"),
    ]
    for (arguments, message) in cases {
      let outcome = try CommandLineTool.run(["density", "--grid", "-4:4:5,-4:4:5"] + arguments, in: folder)
      #expect(outcome.status != 0)
      #expect(outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
      #expect(try CommandLineTool.files(in: folder) == ["taken.npy"], "\(arguments) left files behind")
    }
  }

  /// 20 points from `θ* = 1`: the posterior table on a 41-node grid over [−2, 2] is normalised
  /// (trapezoid rule, 1e-9) and its mode lies within 0.4 of θ* (the posterior's own σ is about
  /// 0.5/√40 ≈ 0.08 for an exact model; the tiny model is allowed a bias); a Gaussian prior and
  /// bad requests are handled.
  @Test func posteriorOfTheConditionPeaksNearTheTruth() throws {
    var rng = Xoshiro256(seed: 7)
    var observations = Matrix<Double>.randomNormal(rows: 20, columns: 2, using: &rng)
    for i in 0..<20 {
      for j in 0..<2 { observations[i, j] = 1 + 0.5 * observations[i, j] }
    }
    try NumPyFile.write(observations, to: folder.appendingPathComponent("obs.npy"))
    let outcome = try CommandLineTool.run(
      [
        "nll", "--model", model("conditional"), "--data", "obs.npy", "--condition-grid", "-2:2:41", "--out",
        "posterior.npy",
      ], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("90 % central interval"), "\(outcome.standardOutput)")
    let table: Matrix<Double> = try NumPyFile.read(from: folder.appendingPathComponent("posterior.npy"))
    #expect(table.rows == 41 && table.columns == 3)
    var mass = 0.0
    for r in 0..<41 { mass += (r == 0 || r == 40 ? 0.05 : 0.1) * Double.exp(table[r, 2]) }
    #expect(abs(mass - 1) < 1e-9, "posterior mass \(mass)")
    let mode = (0..<41).max { table[$0, 2] < table[$1, 2] }!
    print("POSTERIOR_MODE: \(table[mode, 0])\n\(outcome.standardOutput)")
    #expect(abs(table[mode, 0] - 1) < 0.4, "mode at \(table[mode, 0])")
    #expect(abs(table[7, 0] - -1.3) < 1e-12)

    let informed = try CommandLineTool.run(
      [
        "nll", "--model", model("conditional"), "--data", "obs.npy", "--condition-grid", "-2:2:41", "--prior",
        "gaussian:-1:0.1",
      ], in: folder)
    #expect(informed.status == 0, "\(informed.standardError)")
    #expect(informed.standardOutput.contains("gaussian:-1:0.1 prior"))

    let bad: [([String], String)] = [
      (["--model", model("conditional"), "--condition-grid", "-2:2:41,-1:1:3"], "takes 1 condition"),
      (["--model", model("data"), "--condition-grid", "-2:2:41"], "the model is unconditional"),
      (["--model", model("conditional"), "--condition-grid", "2:-2:41"], "entry 1 ('2:-2:41')"),
      (
        ["--model", model("conditional"), "--condition-grid", "-2:2:41", "--prior", "cauchy"],
        "--prior cauchy"
      ),
      (
        ["--model", model("conditional"), "--condition-grid", "-2:2:41", "--prior", "gaussian:0:-1"], "σ > 0"
      ),
      (["--model", model("conditional"), "--prior", "uniform"], "--prior needs --condition-grid"),
      (["--model", model("conditional"), "--condition-grid", "-2:2:200001"], "more than the limit"),
    ]
    for (arguments, message) in bad {
      let refused = try CommandLineTool.run(
        ["nll", "--data", "obs.npy", "--out", "p.npy"] + arguments, in: folder)
      #expect(refused.status != 0)
      #expect(refused.standardError.contains(message), "\(arguments): \(refused.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("p.npy").path))
    }
    // Points with the condition column still attached are refused with what to do.
    try NumPyFile.write(
      Matrix<Double>(rows: 2, columns: 3, elements: [1, 1, 1, 0, 0, 0]),
      to: folder.appendingPathComponent("o3.npy"))
    let wide = try CommandLineTool.run(
      ["nll", "--model", model("conditional"), "--data", "o3.npy", "--condition-grid", "-2:2:5"], in: folder)
    #expect(
      wide.status != 0 && wide.standardError.contains("give the data columns only"), "\(wide.standardError)")
  }
}
