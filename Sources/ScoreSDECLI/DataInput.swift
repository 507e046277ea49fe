import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra

/// Training or evaluation data named on the command line: a built-in density's name, or a
/// `.npy` / `.csv` file.
struct DataInput {
  /// What the user typed.
  let argument: String

  /// Whether the argument names a file (by its extension) rather than a built-in density.
  var isFile: Bool {
    let ext = URL(fileURLWithPath: argument).pathExtension.lowercased()
    return ext == "npy" || ext == "csv"
  }

  /// Loads a file's rows, or draws `count` fresh rows from a built-in density, and rejects
  /// NaN or infinite values with a message that says where they are.
  func load(count: Int, seed: UInt64) throws -> (data: Matrix<Double>, source: String) {
    let data: Matrix<Double>
    if isFile {
      let url = URL(fileURLWithPath: argument)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw CLIError("\(argument): no such file")
      }
      if url.pathExtension.lowercased() == "npy" {
        data = try NumPyFile.read(from: url, as: Double.self)
      } else {
        data = try CSVFile.read(from: url, as: Double.self).values
      }
      guard data.rows > 0 else { throw CLIError("\(argument): the file holds no rows") }
    } else {
      let distribution = try DatasetRegistry.distribution(named: argument)
      var rng = Xoshiro256(seed: seed)
      data = distribution.sample(count: count, as: Double.self, using: &rng)
    }
    try checkFinite(data, source: argument)
    return (data, argument)
  }
}

/// A one-line error for the user; the tool prints it after `Error:` and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The output file's kind, by extension: NumPy `.npy` or `.csv`.
enum OutputFormat {
  case numpy, csv

  init(_ path: String) throws {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "npy": self = .numpy
    case "csv": self = .csv
    default: throw CLIError("\(path): the output must end in .npy or .csv")
    }
  }

  /// Writes `matrix` atomically: the file appears whole or not at all.
  func write(_ matrix: Matrix<Double>, to path: String, columnNames: [String]? = nil) throws {
    let url = URL(fileURLWithPath: path)
    try checkWritableDirectory(of: url)
    switch self {
    case .numpy: try NumPyFile.write(matrix, to: url)
    case .csv: try CSVFile.write(matrix, columnNames: columnNames, to: url)
    }
  }
}

/// Throws a one-line error when `url`'s folder does not exist or is not writable, before any
/// long computation starts.
func checkWritableDirectory(of url: URL) throws {
  let directory = url.deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard
    FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
    isDirectory.boolValue
  else {
    throw CLIError("\(url.relativePath): the folder \(directory) does not exist")
  }
  guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
    throw CLIError("\(url.relativePath): the folder \(directory) is not writable")
  }
}
