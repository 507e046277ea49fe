import Foundation
import LinearAlgebra

/// The files a command writes: each checked and opened (as a temporary file beside it) before
/// any work starts, and all put in place together at the end, or none.
///
/// An output that names one of the command's inputs (after following symbolic links, or through
/// a hard link), or the same file as another output, is refused up front.
///
/// ```swift
/// var outputs = CommandOutputs(inputs: [("--data", data)])
/// let samples = try outputs.add(out, option: "--out")
/// … try samples.write(bytes) …
/// try outputs.commit()      // only now do the files change
/// ```
struct CommandOutputs {
  /// The inputs as `(option, path)`.
  let inputs: [(option: String, path: String)]
  private(set) var files: [(option: String, file: OutputFile)] = []

  init(inputs: [(option: String, path: String)] = []) {
    self.inputs = inputs
  }

  /// Checks `path` as an output of `option` and opens its temporary file.
  ///
  /// - Throws: ``CLIError`` saying what is wrong with the path.
  mutating func add(_ path: String, option: String) throws -> OutputFile {
    let file: OutputFile
    do {
      file = try OutputFile(path: path)  // checks the path, then opens the temporary file
    } catch {
      throw CLIError("\(option) \(error.description)")
    }
    let identity = FileIdentity(file.destination)
    func isSame(_ other: String) -> Bool { identity != nil && FileIdentity(other) == identity }
    if let input = inputs.first(where: { isSame($0.path) }) {
      file.discard()
      throw CLIError(
        "\(option) \(path) is the same file as \(input.option) \(input.path); writing it would destroy the "
          + "input. Choose another output.")
    }
    if let other = files.first(where: { isSame($0.file.destination) }) {
      file.discard()
      throw CLIError("\(option) \(path) is the same file as \(other.option) \(other.file.path)")
    }
    files.append((option, file))
    return file
  }

  /// Puts every output in place, or none.
  ///
  /// - Throws: ``CLIError`` naming the file that failed; every output then holds what it held.
  func commit() throws {
    do {
      try OutputFile.commit(files.map(\.file))
    } catch {
      throw CLIError(error.description)
    }
  }

  /// Throws when the disk holding `path` has fewer than `bytes` bytes free, before any work.
  static func checkSpace(_ bytes: Double, for path: String, option: String) throws {
    var info = statvfs()
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard statvfs(folder, &info) == 0 else { return }
    let free = Double(info.f_bavail) * Double(info.f_frsize)
    guard bytes <= free else {
      throw CLIError(
        "\(option) \(path) would hold about \(byteText(bytes)), but its disk has \(byteText(free)) free")
    }
  }
}

/// `1.6 GB`, `16 TB`: a byte count for messages.
func byteText(_ bytes: Double) -> String {
  let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
  var value = bytes
  var unit = 0
  while value >= 1000 && unit < units.count - 1 {
    value /= 1000
    unit += 1
  }
  return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
}

/// Which file a path names: its device and inode when it exists, otherwise its folder's real
/// path and its name, so that two spellings of one file compare equal.
enum FileIdentity: Equatable {
  case existing(device: UInt64, inode: UInt64)
  case planned(String)

  init?(_ path: String) {
    var info = stat()
    if stat(path, &info) == 0 {
      self = .existing(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
      return
    }
    let url = URL(fileURLWithPath: path)
    guard let folder = realpath(url.deletingLastPathComponent().path, nil) else { return nil }
    defer { free(folder) }
    self = .planned(String(cString: folder) + "/" + url.lastPathComponent)
  }
}
