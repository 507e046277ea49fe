import Datasets
import Foundation
import LinearAlgebra
import ScoreSDE
import Testing

/// Issue 19, data larger than memory: `score-sde convert` streams a CSV into a `.npy` file
/// (atomically, errors with line and column), and `score-sde train --memory-map` trains from the
/// mapped file, reproducibly, with a validation split by index.
@Suite(.serialized) struct MemoryMapTests {
  let folder: URL

  init() throws {
    folder = try CommandLineTool.scratchFolder()
  }

  func run(_ arguments: [String]) throws -> CommandLineTool.Outcome {
    try CommandLineTool.run(arguments, in: folder)
  }

  func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  /// `n` rows of three correlated columns with a header, as a CSV file.
  func writeMeasurements(_ name: String, rows n: Int, seed: UInt64) throws -> Matrix<Double> {
    var rng = Xoshiro256(seed: seed)
    var x = Matrix<Double>.randomNormal(rows: n, columns: 3, using: &rng)
    for i in 0..<n {
      x[i, 1] = 0.8 * x[i, 0] + 0.6 * x[i, 1] + 5
      x[i, 2] = 100 * x[i, 2] - 20
    }
    try CSVFile.write(x, columnNames: ["a", "b", "c"], to: url(name))
    return x
  }

  /// The commands of the "Data larger than memory" section of the Scaling out article, as
  /// written there (the Python block runs when NumPy is installed).
  @Test func theDocumentedCommandsRun() throws {
    _ = try writeMeasurements("measurements.csv", rows: 6000, seed: 200)
    let converted = try run(["convert", "measurements.csv", "measurements.npy", "--float32"])
    #expect(converted.status == 0, "\(converted.standardError)")
    #expect(converted.standardOutput.contains("wrote 6000 rows × 3 columns of float32 to measurements.npy"))

    let trained = try run([
      "train", "--data", "measurements.npy", "--memory-map", "--out", "model.safetensors",
      "--steps", "200", "--batch", "128", "--width", "32", "--depth", "2",
    ])
    #expect(trained.status == 0, "\(trained.standardError)")
    #expect(trained.standardError.contains("measurements.npy: memory-mapped, 6000 rows × 3 columns"))
    #expect(trained.standardError.contains("μ and σ fitted in one pass in"))
    let sampled = try run([
      "sample", "--model", "model.safetensors", "--count", "1000", "--out", "samples.npy",
    ])
    #expect(sampled.status == 0, "\(sampled.standardError)")
    let samples: Matrix<Double> = try NumPyFile.read(from: url("samples.npy"))
    #expect(samples.rows == 1000 && samples.columns == 3)

    let checked = try run([
      "train", "--data", "measurements.npy", "--memory-map", "--validation", "0.01",
      "--out", "checked.safetensors", "--steps", "200", "--batch", "128", "--width", "32", "--depth", "2",
    ])
    #expect(checked.status == 0, "\(checked.standardError)")
    #expect(checked.standardOutput.contains("validation: 60 held-out rows (0.01); best held-out loss"))
    #expect(checked.standardOutput.contains("held-out NLL (60 rows): model "))
    #expect(checked.standardOutput.contains("training NLL (60 rows): model "))
    #expect(checked.standardOutput.contains("(no Gaussian baseline: the file is memory-mapped"))

    let python = """
      import numpy as np
      rows, columns = 1_000_000, 8
      x = np.lib.format.open_memmap("simulation.npy", mode="w+", dtype=np.float32, shape=(rows, columns))
      for start in range(0, rows, 100_000):
          x[start:start + 100_000] = np.random.default_rng(start).standard_normal((100_000, columns))
      x.flush()
      """
    let hasNumPy = try CommandLineTool.shell("python3 -c 'import numpy'", in: folder).status == 0
    if hasNumPy {
      let made = try CommandLineTool.shell("python3 - <<'EOF'\n\(python)\nEOF", in: folder)
      #expect(made.status == 0, "\(made.standardError)")
      let file = try MappedNumPyFile(url: url("simulation.npy"))
      #expect(file.rows == 1_000_000 && file.columns == 8 && file.elementSize == 4)
    }
  }

  /// A CSV with a byte-order mark, CRLF line ends, blank lines and quoted cells, and one of 12 000
  /// rows, convert to the values `CSVFile.read` gives, bit for bit, in both
  /// widths.
  @Test func convertRoundTrips() throws {
    // Under a mebibyte: ReliabilityTests lowers the process's file-size limit to 1 MiB for a while,
    // and no other test may write a file that large.
    let x = try writeMeasurements("big.csv", rows: 12_000, seed: 201)
    let size = try FileManager.default.attributesOfItem(atPath: url("big.csv").path)[.size] as! Int
    #expect(size < 1 << 20)
    for (flags, name) in [([String](), "big64.npy"), (["--float32"], "big32.npy")] {
      let done = try run(["convert", "big.csv", name] + flags)
      #expect(done.status == 0, "\(done.standardError)")
    }
    let table: CSVTable<Double> = try CSVFile.read(from: url("big.csv"))
    #expect(table.values == x)
    #expect(try NumPyFile.read(from: url("big64.npy"), as: Double.self) == x)
    let float = try CSVFile.read(from: url("big.csv"), as: Float.self).values
    #expect(try NumPyFile.read(from: url("big32.npy"), as: Float.self) == float)
    #expect(try MappedNumPyFile(url: url("big32.npy")).header.dataType == "<f4")

    let awkward = "\u{FEFF}x,\"y\"\r\n\r\n1.5, \"2\"\r\n  \r\n-3e2,nan\r\n4,inf"
    try Data(awkward.utf8).write(to: url("awkward.csv"))
    let done = try run(["convert", "awkward.csv", "awkward.npy"])
    #expect(done.status == 0, "\(done.standardError)")
    #expect(done.standardOutput.contains("wrote 3 rows × 2 columns of float64 to awkward.npy (header: x, y)"))
    let read: Matrix<Double> = try NumPyFile.read(from: url("awkward.npy"))
    let expected = try CSVFile.read(from: url("awkward.csv"), as: Double.self).values
    #expect(read.elements.map(\.bitPattern) == expected.elements.map(\.bitPattern))
  }

  /// A cell that is not a number, a ragged row, an empty file and wrong extensions: a message
  /// with the line and column, a non-zero status, and no output file, new or replaced.
  @Test func convertErrorsLeaveNoOutput() throws {
    let rows = (0..<5000).map { "\($0),\(2 * $0)" }.joined(separator: "\n")
    try Data(("a,b\n" + rows + "\n7,abc\n").utf8).write(to: url("bad.csv"))
    try Data("a,b\n1,2\n3\n".utf8).write(to: url("ragged.csv"))
    try Data("a,b\n\n".utf8).write(to: url("header-only.csv"))
    try Data("kept".utf8).write(to: url("old.npy"))
    let before = try CommandLineTool.files(in: folder)

    let bad = try run(["convert", "bad.csv", "old.npy"])
    #expect(bad.status != 0)
    #expect(bad.standardError.contains("bad.csv line 5002, column 2: 'abc' is not a number"))
    let ragged = try run(["convert", "ragged.csv", "new.npy"])
    #expect(ragged.status != 0)
    #expect(ragged.standardError.contains("ragged.csv line 3: has 1 fields, the first line has 2"))
    let empty = try run(["convert", "header-only.csv", "new.npy"])
    #expect(empty.status != 0)
    #expect(empty.standardError.contains("header-only.csv: the file holds no data rows; nothing was written"))
    let missing = try run(["convert", "absent.csv", "new.npy"])
    #expect(missing.status != 0 && missing.standardError.contains("absent.csv: no such file"))
    let wrong = try run(["convert", "bad.csv", "out.csv"])
    #expect(wrong.status != 0 && wrong.standardError.contains("the output must be a .npy file"))

    #expect(try CommandLineTool.files(in: folder) == before, "no output and no temporary file is left")
    #expect(try Data(contentsOf: url("old.npy")) == Data("kept".utf8))
  }

  /// `--memory-map` trains reproducibly (the same seed gives the same file), records a
  /// standardisation equal to the in-memory fit to rounding, and refuses what it cannot read.
  @Test func mappedTrainingIsReproducibleAndRefusesBadFiles() throws {
    var rng = Xoshiro256(seed: 202)
    var x = Matrix<Double>.randomNormal(rows: 6000, columns: 2, using: &rng)
    x.addToEachRow([1e6, -3])
    try NumPyFile.write(x, to: url("x.npy"))
    let arguments = [
      "train", "--data", "x.npy", "--memory-map", "--steps", "40", "--width", "16", "--depth", "1",
    ]
    for out in ["m1.safetensors", "m2.safetensors"] {
      let trained = try run(arguments + ["--out", out])
      #expect(trained.status == 0, "\(trained.standardError)")
    }
    #expect(try Data(contentsOf: url("m1.safetensors")) == Data(contentsOf: url("m2.safetensors")))
    let model = try TrainedModel<MLP<Double>>.load(from: url("m1.safetensors"))
    let recorded = try #require(model.standardizer)
    let expected = try Standardizer(fitting: x)
    for j in 0..<2 {
      #expect(abs(recorded.standardDeviations[j] / expected.standardDeviations[j] - 1) < 1e-13)
      #expect(
        abs(recorded.means[j] - expected.means[j]) <= 1e-13 * expected.standardDeviations[j] + 4
          * expected.means[j].ulp)
    }

    try CSVFile.write(x, to: url("x.csv"))
    let csv = try run(["train", "--data", "x.csv", "--memory-map", "--out", "c.safetensors", "--steps", "2"])
    #expect(csv.status != 0 && csv.standardError.contains("--memory-map reads a .npy file; x.csv is not one"))

    var fortran = NumPyFile.encode(x)
    let flag = try #require(fortran.firstRange(of: Array("'fortran_order': False".utf8)))
    fortran.replaceSubrange(flag, with: Array("'fortran_order': True ".utf8))
    try Data(fortran).write(to: url("f.npy"))
    let f = try run(["train", "--data", "f.npy", "--memory-map", "--out", "f.safetensors", "--steps", "2"])
    #expect(f.status != 0 && f.standardError.contains("Fortran (column-major) order"))

    var holed = x
    holed[4321, 1] = .nan
    try NumPyFile.write(holed, to: url("nan.npy"))
    let nan = try run([
      "train", "--data", "nan.npy", "--memory-map", "--out", "n.safetensors", "--steps", "2",
    ])
    #expect(nan.status != 0 && nan.standardError.contains("nan.npy: row 4322, column 2 is nan"))
    #expect(!FileManager.default.fileExists(atPath: url("n.safetensors").path))
  }
}
