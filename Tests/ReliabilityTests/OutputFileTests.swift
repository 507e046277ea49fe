import Foundation
import ScoreSDE
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// ``OutputFile``: every destination the library refuses, what a replacement keeps (mode,
/// symbolic links), all-or-none commits of several files, and the partial files a `SIGKILL`
/// leaves, which the next writer in the folder sweeps. (``OutputFile/discardAllPending()`` is
/// process-wide, so it is tested through `score-sde`'s interrupt handling in ScoreSDECLITests.)
@Suite struct OutputFileTests {
  let folder: URL
  init() throws { folder = try temporaryDirectory("output-file") }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func contents(_ name: String) throws -> String {
    try String(contentsOfFile: path(name), encoding: .utf8)
  }

  func files() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  func problem(_ body: () throws -> Void) -> FileAccessError.Problem? {
    do {
      try body()
      return nil
    } catch let error as FileAccessError {
      return error.problem
    } catch {
      Issue.record("unexpected error \(error)")
      return nil
    }
  }

  @Test func writesAtomicallyAndLeavesNothingElse() throws {
    try OutputFile.write(Array("old".utf8), to: path("a.txt"))
    let file = try OutputFile(path: path("a.txt"))
    try file.write("new")
    try file.flush()
    // Until the commit the destination is unchanged and the bytes sit in a hidden partial file.
    #expect(try contents("a.txt") == "old")
    #expect(file.temporaryPath.contains(OutputFile.partialMarker))
    #expect(try String(contentsOfFile: file.temporaryPath, encoding: .utf8) == "new")
    try file.commit()
    #expect(try contents("a.txt") == "new")
    #expect(try files() == ["a.txt"])
  }

  @Test func discardingLeavesTheDestinationAsItWas() throws {
    try OutputFile.write(Array("old".utf8), to: path("a.txt"))
    do {
      let file = try OutputFile(path: path("a.txt"))
      try file.write("half")
    }  // dropped without a commit
    #expect(try contents("a.txt") == "old")
    #expect(try files() == ["a.txt"])
  }

  @Test func refusesDestinationsThatAreNotRegularFiles() throws {
    try FileManager.default.createDirectory(atPath: path("dir.npy"), withIntermediateDirectories: false)
    #expect(problem { _ = try OutputFile(path: path("dir.npy")) } == .isDirectory)
    #expect(mkfifo(path("pipe.npy"), 0o644) == 0)
    #expect(
      problem { _ = try OutputFile(path: path("pipe.npy")) } == .notRegularFile(kind: "a FIFO (named pipe)"))
    #expect(symlink("loop2", path("loop1")) == 0 && symlink("loop1", path("loop2")) == 0)
    #expect(problem { _ = try OutputFile(path: path("loop1")) } == .symbolicLinkLoop)
    #expect(
      problem { _ = try OutputFile(path: path("missing/a.npy")) } == .folderMissing(folder: path("missing")))
    try OutputFile.write([1], to: path("plain"))
    #expect(problem { _ = try OutputFile(path: path("plain/a.npy")) } == .notAFolder(folder: path("plain")))
    #expect(try files() == ["dir.npy", "loop1", "loop2", "pipe.npy", "plain"])
  }

  @Test func refusesAReadOnlyFileAndKeepsTheModeOfAWritableOne() throws {
    try OutputFile.write(Array("keep".utf8), to: path("ro.npy"))
    #expect(chmod(path("ro.npy"), 0o444) == 0)
    #expect(problem { try OutputFile.write(Array("new".utf8), to: path("ro.npy")) } == .readOnly)
    #expect(try contents("ro.npy") == "keep")

    try OutputFile.write(Array("secret".utf8), to: path("private.npy"))
    #expect(chmod(path("private.npy"), 0o600) == 0)
    try OutputFile.write(Array("new secret".utf8), to: path("private.npy"))
    var info = stat()
    #expect(stat(path("private.npy"), &info) == 0)
    #expect(info.st_mode & 0o7777 == 0o600)
    #expect(try contents("private.npy") == "new secret")
  }

  @Test func writesThroughSymbolicLinks() throws {
    try FileManager.default.createDirectory(atPath: path("real"), withIntermediateDirectories: false)
    try OutputFile.write(Array("old".utf8), to: path("real/t.npy"))
    #expect(symlink("real/t.npy", path("link.npy")) == 0)
    try OutputFile.write(Array("new".utf8), to: path("link.npy"))
    let destination = try FileManager.default.destinationOfSymbolicLink(atPath: path("link.npy"))
    #expect(destination == "real/t.npy")
    #expect(try contents("real/t.npy") == "new")
    // A dangling link gets its target created.
    #expect(symlink("real/new.npy", path("dangling.npy")) == 0)
    try OutputFile.write(Array("created".utf8), to: path("dangling.npy"))
    #expect(try contents("real/new.npy") == "created")
  }

  @Test func severalFilesCommitTogetherOrNotAtAll() throws {
    try OutputFile.write(Array("old a".utf8), to: path("a.txt"))
    try FileManager.default.createDirectory(atPath: path("sub"), withIntermediateDirectories: false)
    let a = try OutputFile(path: path("a.txt"))
    let b = try OutputFile(path: path("sub/b.txt"))
    let c = try OutputFile(path: path("c.txt"))
    try a.write("new a")
    try b.write("new b")
    try c.write("new c")
    // The second rename fails: its temporary file vanishes after the writes.
    try FileManager.default.moveItem(atPath: b.temporaryPath, toPath: path("b-moved"))
    #expect(throws: FileAccessError.self) { try OutputFile.commit([a, b, c]) }
    #expect(try contents("a.txt") == "old a", "the first file was not rolled back")
    #expect(!FileManager.default.fileExists(atPath: path("c.txt")))
    #expect(try files() == ["a.txt", "b-moved", "sub"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: path("sub")).isEmpty)
  }

  @Test func sweepsThePartialFilesOfProcessesThatNoLongerRun() throws {
    // A process that has exited: its pid is free until reused, which a test cannot rule out, so
    // take one that `kill(pid, 0)` reports as absent.
    var dead: Int32 = 4_000_000
    while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
    // This machine's name as the temporary files record it.
    let probe = try OutputFile(path: path("probe"))
    let host = String(probe.temporaryPath.split(separator: "@").last!)
    probe.discard()
    let abandoned = ".s.npy\(OutputFile.partialMarker)\(dead)-1a2b@\(host)"
    let live = ".s.npy\(OutputFile.partialMarker)\(getppid())-3c4d@\(host)"
    // Another machine's writer on a shared folder: its pid means nothing here.
    let elsewhere = ".s.npy\(OutputFile.partialMarker)\(dead)-5e6f@another-\(host)"
    for name in [abandoned, live, elsewhere] { try Data([0]).write(to: folder.appendingPathComponent(name)) }
    #expect(OutputFile.sweepAbandonedFiles(inFolder: folder.path) == [abandoned])
    #expect(try files() == [live, elsewhere].sorted())
    // Creating an output in the folder sweeps too.
    try Data([0]).write(to: folder.appendingPathComponent(abandoned))
    try OutputFile.write([1], to: path("s.npy"))
    #expect(try files() == [live, elsewhere, "s.npy"].sorted())
  }
}

/// ``InputFile``: what cannot be read is said in words, and a FIFO does not hang the reader.
@Suite struct InputFileTests {
  let folder: URL
  init() throws { folder = try temporaryDirectory("input-file") }

  func problem(_ path: String) -> FileAccessError.Problem? {
    do {
      _ = try InputFile.bytes(at: folder.appendingPathComponent(path).path)
      return nil
    } catch {
      return error.problem
    }
  }

  @Test func saysWhatIsWrongWithAPath() throws {
    let p = { (name: String) in self.folder.appendingPathComponent(name).path }
    try FileManager.default.createDirectory(atPath: p("dir"), withIntermediateDirectories: false)
    #expect(mkfifo(p("pipe"), 0o644) == 0)
    #expect(symlink("loop2", p("loop1")) == 0 && symlink("loop1", p("loop2")) == 0)
    #expect(problem("dir") == .isDirectory)
    #expect(problem("pipe") == .notRegularFile(kind: "a FIFO (named pipe)"))
    #expect(problem("loop1") == .symbolicLinkLoop)
    #expect(problem("nothing") == .noSuchFile)
    #expect(problem("no/such/file") == .folderMissing(folder: p("no")))
    #expect(
      throws: FileAccessError(path: "/dev/null", problem: .notRegularFile(kind: "a character device"))
    ) { try InputFile.bytes(at: "/dev/null") }
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: p("three")))
    #expect(try InputFile.bytes(at: p("three")) == [1, 2, 3])
    let file = try InputFile(path: p("three"))
    #expect(file.size == 3)
    #expect(try file.read(upTo: 2) == [1, 2])
    #expect(try file.read(upTo: 5) == [3])
  }

  @Test(.disabled(if: geteuid() == 0, "root may search and read any folder"))
  func namesTheFolderThatMayNotBeSearched() throws {
    let locked = folder.appendingPathComponent("locked")
    try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
    try Data([1]).write(to: locked.appendingPathComponent("f"))
    #expect(chmod(locked.path, 0o600) == 0)
    defer { chmod(locked.path, 0o700) }
    #expect(problem("locked/f") == .folderNotSearchable(folder: locked.path))
  }
}
