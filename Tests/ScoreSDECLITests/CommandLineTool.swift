import Foundation
import Testing

/// Runs the built `score-sde` executable as a user would and captures what it prints.
struct CommandLineTool {
  struct Outcome {
    let status: Int32
    let standardOutput: String
    let standardError: String
  }

  /// The `score-sde` built beside this test bundle.
  static let executable: URL? = {
    let candidates = [
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
      Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
    ]
    return candidates.map { $0.appendingPathComponent("score-sde") }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }()

  /// Runs `score-sde arguments…` in `directory` and waits for it.
  static func run(_ arguments: [String], in directory: URL) throws -> Outcome {
    guard let executable else {
      struct NotBuilt: Error, CustomStringConvertible {
        var description: String { "score-sde was not built beside the test bundle" }
      }
      throw NotBuilt()
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    return try capture(process)
  }

  /// Runs `process` to its end and captures what it prints.
  static func capture(_ process: Process) throws -> Outcome {
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self))
  }

  /// A new empty folder under the temporary directory.
  static func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "score-sde-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The names of the files in `folder`, sorted.
  static func files(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  /// Starts `score-sde arguments…` in `directory` without waiting; its output goes to files.
  static func start(_ arguments: [String], in directory: URL) throws -> Process {
    guard let executable else { throw CocoaError(.fileNoSuchFile) }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// Runs `script` with `/bin/sh -c` in `directory`, with `$SCORE_SDE` naming the tool (for
  /// `ulimit` and other shell settings that must apply to the tool's process).
  static func shell(_ script: String, in directory: URL) throws -> Outcome {
    guard let executable else { throw CocoaError(.fileNoSuchFile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(["SCORE_SDE": executable.path]) { $1 }
    return try capture(process)
  }
}
