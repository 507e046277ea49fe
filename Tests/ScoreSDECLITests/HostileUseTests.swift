import Datasets
import Foundation
import LinearAlgebra
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The failures found when `score-sde` was tried as a hostile user would (issue 14), one test
/// each: an output that names an input, several outputs of which one fails, outputs that are
/// folders, sizes beyond the disk, a file-size limit, interrupts and `kill -9`, and messages in
/// words.
@Suite(.serialized) struct HostileUseTests {
  let folder: URL
  init() throws { folder = try CommandLineTool.scratchFolder() }

  var model: String { CommandTests.modelFolder.appendingPathComponent("model.safetensors").path }

  func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

  func run(_ arguments: [String]) throws -> CommandLineTool.Outcome {
    try CommandLineTool.run(arguments, in: folder)
  }

  /// Partial files of outputs in the folder.
  func partialFiles() throws -> [String] {
    try CommandLineTool.files(in: folder).filter { $0.contains(".score-sde-partial-") }
  }

  @Test func anOutputThatNamesAnInputIsRefused() throws {
    var rng = Xoshiro256(seed: 11)
    let data: Matrix<Double> = Checkerboard().sample(count: 20, as: Double.self, using: &rng)
    try NumPyFile.write(data, to: file("d.npy"))
    let original = try Data(contentsOf: file("d.npy"))
    #expect(symlink("d.npy", file("link.npy").path) == 0)
    #expect(link(file("d.npy").path, file("hard.npy").path) == 0)
    for (input, output) in [
      ("d.npy", "d.npy"), ("link.npy", "d.npy"), ("d.npy", "link.npy"), ("d.npy", "hard.npy"),
    ] {
      let outcome = try run(["nll", "--model", model, "--data", input, "--out", output, "--steps", "2"])
      #expect(outcome.status == 1)
      #expect(outcome.standardError.contains("is the same file as --data"), "\(outcome.standardError)")
    }
    #expect(try Data(contentsOf: file("d.npy")) == original)
  }

  @Test func severalOutputsAreWrittenAllOrNone() throws {
    try Data("old samples".utf8).write(to: file("s.npy"))
    // 2000 samples are 32 kB of .npy but about 100 kB of SVG: the plot hits the 64 kB limit.
    let outcome = try CommandLineTool.shell(
      "ulimit -f 64; exec \"$SCORE_SDE\" sample --model '\(model)' --count 2000 --steps 5 --out s.npy --plot p.svg",
      in: folder)
    #expect(outcome.status == 1)
    #expect(outcome.standardError.contains("file-size limit"), "\(outcome.standardError)")
    #expect(!outcome.standardOutput.contains("wrote"))
    #expect(try String(contentsOf: file("s.npy"), encoding: .utf8) == "old samples")
    #expect(try CommandLineTool.files(in: folder) == ["s.npy"])
  }

  @Test func theFileSizeLimitIsAOneLineErrorInEveryCommand() throws {
    for command in [
      "sample --model '\(model)' --count 5000 --steps 5 --out s.npy",
      "nll --model '\(model)' --data checkerboard --count 3000 --steps 2 --out n.csv",
      "train --data checkerboard --steps 2 --width 512 --depth 2 --out m.safetensors",
    ] {
      let outcome = try CommandLineTool.shell("ulimit -f 16; exec \"$SCORE_SDE\" \(command)", in: folder)
      #expect(outcome.status == 1, "\(command): status \(outcome.status)")
      #expect(
        outcome.standardError.contains("file-size limit (ulimit -f)"), "\(command): \(outcome.standardError)")
      #expect(try CommandLineTool.files(in: folder).isEmpty, "\(command) left files")
    }
  }

  @Test func outputsThatAreFoldersFailBeforeAnyWork() throws {
    for name in ["m.safetensors", "n.csv", "s.npy"] {
      try FileManager.default.createDirectory(at: file(name), withIntermediateDirectories: false)
    }
    let started = Date()
    for arguments in [
      ["train", "--data", "checkerboard", "--steps", "100000", "--out", "m.safetensors"],
      ["nll", "--model", model, "--data", "checkerboard", "--count", "100000", "--out", "n.csv"],
      ["sample", "--model", model, "--count", "100000", "--out", "s.npy"],
    ] {
      let outcome = try run(arguments)
      #expect(outcome.status == 1)
      #expect(outcome.standardError.contains("is a directory, not a file"), "\(outcome.standardError)")
      #expect(!outcome.standardError.contains("NSCocoaErrorDomain"))
    }
    #expect(Date().timeIntervalSince(started) < 20, "the commands worked before checking their outputs")
  }

  @Test func sizesBeyondTheDiskAreRefusedUpFront() throws {
    for arguments in [
      ["sample", "--model", model, "--count", "9223372036854775807", "--out", "s.npy"],
      ["sample", "--model", model, "--count", "1000000000000", "--out", "s.csv"],
      ["nll", "--model", model, "--data", "checkerboard", "--count", "1000000000000", "--out", "n.npy"],
    ] {
      let outcome = try run(arguments)
      #expect(outcome.status == 1, "\(arguments)")
      #expect(outcome.standardError.contains("but its disk has"), "\(arguments): \(outcome.standardError)")
    }
    let wide = try run([
      "train", "--data", "checkerboard", "--width", "100000", "--depth", "2", "--out", "m.safetensors",
    ])
    #expect(wide.status != 0 && wide.standardError.contains("this machine has"), "\(wide.standardError)")
    let batch = try run([
      "train", "--data", "checkerboard", "--batch", "1000000000000", "--out", "m.safetensors",
    ])
    #expect(batch.status != 0 && batch.standardError.contains("this machine has"), "\(batch.standardError)")
    #expect(try CommandLineTool.files(in: folder).isEmpty)
  }

  /// Waits up to 30 s for the running command's partial file.
  func waitForPartialFile() throws -> String? {
    for _ in 0..<300 {
      if let name = try partialFiles().first { return name }
      usleep(100_000)
    }
    return nil
  }

  @Test func anInterruptRemovesThePartialFileAndChangesNothing() throws {
    try Data("old".utf8).write(to: file("s.npy"))
    let process = try CommandLineTool.start(
      ["sample", "--model", model, "--count", "2000000", "--steps", "200", "--out", "s.npy"], in: folder)
    #expect(try waitForPartialFile() != nil)
    process.interrupt()
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGINT)
    #expect(try CommandLineTool.files(in: folder) == ["s.npy"])
    #expect(try String(contentsOf: file("s.npy"), encoding: .utf8) == "old")
  }

  @Test func aKilledRunLeavesAPartialFileThatTheNextRunSweeps() throws {
    let process = try CommandLineTool.start(
      ["sample", "--model", model, "--count", "2000000", "--steps", "200", "--out", "s.npy"], in: folder)
    let partial = try waitForPartialFile()
    #expect(partial != nil)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(try partialFiles() == [partial].compactMap { $0 })
    let next = try run(["sample", "--model", model, "--count", "5", "--steps", "5", "--out", "t.npy"])
    #expect(next.status == 0)
    #expect(try CommandLineTool.files(in: folder) == ["t.npy"])
  }

  @Test func aOneDimensionalModelGetsAHistogram() throws {
    var rng = Xoshiro256(seed: 4)
    try CSVFile.write(Matrix<Double>.randomNormal(rows: 200, columns: 1, using: &rng), to: file("x.csv"))
    #expect(
      try run([
        "train", "--data", "x.csv", "--steps", "20", "--architecture", "mlp", "--width", "8", "--depth", "1",
        "--out", "m.safetensors",
      ]).status == 0)
    let outcome = try run([
      "sample", "--model", "m.safetensors", "--count", "300", "--steps", "10", "--out", "s.npy", "--plot",
      "p.svg",
    ])
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("and a plot to p.svg"))
    let svg = try String(contentsOf: file("p.svg"), encoding: .utf8)
    #expect(svg.contains("<polyline") && svg.contains("density"))
  }

  @Test func oneNLLPointIsReportedWithoutAStandardError() throws {
    let outcome = try run(["nll", "--model", model, "--data", "checkerboard", "--count", "1", "--steps", "2"])
    #expect(outcome.status == 0)
    #expect(!outcome.standardOutput.contains("nan"), "\(outcome.standardOutput)")
    #expect(outcome.standardOutput.contains("1 point"))
  }

  @Test func inputsThatAreNotRegularFilesAreNamedInWords() throws {
    try FileManager.default.createDirectory(at: file("dir.safetensors"), withIntermediateDirectories: false)
    #expect(mkfifo(file("pipe.npy").path, 0o644) == 0)
    #expect(FileManager.default.createFile(atPath: file("pipe").path, contents: Data("1,2\n".utf8)))
    #expect(
      symlink("loop2.csv", file("loop1.csv").path) == 0 && symlink("loop1.csv", file("loop2.csv").path) == 0)
    for (arguments, text) in [
      (["sample", "--model", "dir.safetensors", "--out", "s.npy"], "dir.safetensors: is a directory"),
      (
        ["train", "--data", "pipe.npy", "--out", "m.safetensors"],
        "pipe.npy: is a FIFO (named pipe), not a regular file"
      ),
      (["nll", "--model", model, "--data", "loop1.csv"], "loop1.csv: its symbolic links form a loop"),
      (["train", "--data", "dir.safetensors", "--out", "m.safetensors"], "dir.safetensors is a directory"),
      (
        ["sample", "--model", model, "--reference", "dir.safetensors", "--out", "s.npy"],
        "dir.safetensors is a directory"
      ),
      (
        ["train", "--data", "pipe", "--out", "m.safetensors"],
        "pipe: --data takes a .npy or .csv file (by its"
      ),
    ] {
      let outcome = try run(arguments)
      #expect(outcome.status == 1)
      #expect(outcome.standardError.contains(text), "\(arguments): \(outcome.standardError)")
      #expect(!outcome.standardError.contains("Cocoa") && !outcome.standardError.contains("permission"))
    }
  }

  @Test func modelFilesAreReproducibleAndCheckedOnLoad() throws {
    let train = ["train", "--data", "checkerboard", "--steps", "10", "--width", "8", "--depth", "1"]
    #expect(try run(train + ["--out", "a.safetensors"]).status == 0)
    #expect(try run(train + ["--out", "b.safetensors"]).status == 0)
    var bytes = try Data(contentsOf: file("a.safetensors"))
    #expect(bytes == (try Data(contentsOf: file("b.safetensors"))))
    // One flipped bit in the last weight.
    bytes[bytes.count - 2] ^= 0x10
    try bytes.write(to: file("a.safetensors"))
    let corrupted = try run(["sample", "--model", "a.safetensors", "--count", "5", "--out", "s.npy"])
    #expect(corrupted.status == 1)
    #expect(corrupted.standardError.contains("a.safetensors"), "\(corrupted.standardError)")
    #expect(corrupted.standardError.contains("is corrupted"), "\(corrupted.standardError)")
    // A malformed SOURCE_DATE_EPOCH is refused before the training, not after it.
    let started = Date()
    let badDate = try CommandLineTool.shell(
      "SOURCE_DATE_EPOCH=yesterday exec \"$SCORE_SDE\" train --data checkerboard --steps 100000 --out c.safetensors",
      in: folder)
    #expect(
      badDate.status == 1 && badDate.standardError.contains("SOURCE_DATE_EPOCH"), "\(badDate.standardError)")
    #expect(Date().timeIntervalSince(started) < 20)
    #expect(try CommandLineTool.files(in: folder) == ["a.safetensors", "b.safetensors"])
  }

  @Test func dataOfAnotherKindIsNamedAsSuch() throws {
    for arguments in [
      ["nll", "--model", model, "--data", model],
      ["train", "--data", "notes.txt", "--out", "m.safetensors"],
    ] {
      let outcome = try run(arguments)
      #expect(outcome.status == 1)
      #expect(outcome.standardError.contains("--data takes a .npy or .csv file"), "\(outcome.standardError)")
    }
  }
}
