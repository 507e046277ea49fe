import ArgumentParser
import Foundation

/// Checks on `--output` made before any rank starts training, so that a run does not train for
/// an hour to fail at the end.
enum ModelOutput {
  /// Refuses an output path that is a directory or lies in a folder that does not exist.
  static func validate(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw ValidationError("--output: \(path) is a directory; give a file path such as model.safetensors")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue
    else {
      throw ValidationError("--output: the folder \(folder) does not exist")
    }
  }
}

/// Writes `message` to standard error.
func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}
