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

  /// The built-in density the argument names, or a one-line error that says what `--data` takes
  /// when it names a directory or a file of another kind (`model.safetensors`, `data.txt`, `data`).
  func distribution() throws -> any DataDistribution {
    if DatasetRegistry.names.contains(argument) { return try DatasetRegistry.distribution(named: argument) }
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory)
    if exists && isDirectory.boolValue {
      throw CLIError("\(argument) is a directory; --data takes a .npy or .csv file or a built-in density")
    }
    let ext = URL(fileURLWithPath: argument).pathExtension
    guard ext.isEmpty else {
      throw CLIError(
        "\(argument): --data takes a .npy or .csv file or a built-in density (see `score-sde datasets`), "
          + "not a .\(ext) file")
    }
    if exists {
      throw CLIError(
        "\(argument): --data takes a .npy or .csv file (by its extension) or a built-in density, "
          + "not a file without one")
    }
    // An unknown name: the registry's error lists the known ones.
    return try DatasetRegistry.distribution(named: argument)
  }

  /// Loads a file's rows, or draws `count` fresh rows from a built-in density, and rejects
  /// NaN or infinite values with a message that says where they are.
  func load(count: Int, seed: UInt64) throws -> (data: Matrix<Double>, source: String) {
    let data: Matrix<Double>
    if isFile {
      let url = URL(fileURLWithPath: argument)
      if url.pathExtension.lowercased() == "npy" {
        data = try NumPyFile.read(from: url, as: Double.self)
      } else {
        data = try CSVFile.read(from: url, as: Double.self).values
      }
      guard data.rows > 0 else { throw CLIError("\(argument): the file holds no rows") }
    } else {
      let distribution = try self.distribution()
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

  init(_ path: String, option: String = "--out") throws {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "npy": self = .numpy
    case "csv": self = .csv
    default: throw CLIError("\(option) \(path): the output must end in .npy or .csv")
    }
  }

  /// The bytes a file of `rows × columns` values takes, roughly (a CSV value takes up to 25).
  func estimatedBytes(rows: Int, columns: Int) -> Double {
    Double(rows) * Double(columns) * (self == .numpy ? 8 : 25)
  }
}

/// A `rows × columns` matrix written block by block into an ``OutputFile``, so that memory
/// stays bounded however many rows there are.
struct MatrixStream {
  let format: OutputFormat
  let file: OutputFile
  let rows: Int
  private(set) var written = 0

  /// Writes the header: NumPy's for `rows × columns` float64 values, or the CSV column names.
  init(_ format: OutputFormat, file: OutputFile, rows: Int, columns: Int, columnNames: [String]? = nil) throws
  {
    self.format = format
    self.file = file
    self.rows = rows
    switch format {
    case .numpy: try file.write(NumPyFile.header(rows: rows, columns: columns, of: Double.self))
    case .csv:
      if let columnNames {
        try file.write(CSVFile.encode(Matrix<Double>(rows: 0, columns: columns), columnNames: columnNames))
      }
    }
  }

  /// Appends the rows of `block`.
  mutating func append(_ block: Matrix<Double>) throws {
    precondition(written + block.rows <= rows, "MatrixStream: more rows than the \(rows) announced")
    switch format {
    case .numpy: try file.write(NumPyFile.encodedRows(block))
    case .csv: try file.write(CSVFile.encode(block))
    }
    written += block.rows
  }
}
