import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra

/// `score-sde convert data.csv data.npy`: a CSV table into a `.npy` file, streamed, so that
/// `train` can memory-map it.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a CSV file of samples into a .npy file, in bounded memory.",
    discussion: """
      Reads the CSV as `train --data file.csv` does (a header is detected when no field of the \
      first line is a number; errors name the line and column) in two streaming passes — one \
      checks and counts, one writes — so that the table is never held in memory. The .npy file \
      is written to a temporary file and renamed into place: a failure leaves no output. Train \
      on the result with `score-sde train --data data.npy --memory-map`.
      """)

  @Argument(help: "The CSV file to read.")
  var input: String

  @Argument(help: "The .npy file to write (replaced atomically).")
  var output: String

  @Flag(help: "Write 4-byte floats ('<f4', half the size) instead of 8-byte ones ('<f8').")
  var float32 = false

  @Option(
    help:
      "The first non-blank line: detect (a header when none of its fields is a number), present or absent.")
  var header: HeaderArgument = .detect

  /// `--header`.
  enum HeaderArgument: String, ExpressibleByArgument {
    case detect, present, absent

    var option: CSVFile.HeaderOption {
      switch self {
      case .detect: return .detect
      case .present: return .present
      case .absent: return .absent
      }
    }
  }

  func validate() throws {
    guard URL(fileURLWithPath: input).pathExtension.lowercased() == "csv" else {
      throw ValidationError("the input must be a .csv file, got '\(input)'")
    }
    guard URL(fileURLWithPath: output).pathExtension.lowercased() == "npy" else {
      throw ValidationError("the output must be a .npy file, got '\(output)'")
    }
  }

  func run() throws {
    var outputs = CommandOutputs(inputs: [("input", input)])
    let file = try outputs.add(output, option: "output")
    let url = URL(fileURLWithPath: input)
    let conversion =
      float32
      ? try CSVFile.streamToNumPy(from: url, into: file, header: header.option, as: Float.self)
      : try CSVFile.streamToNumPy(from: url, into: file, header: header.option, as: Double.self)
    guard conversion.rows > 0 else {
      file.discard()
      throw CLIError("\(input): the file holds no data rows; nothing was written")
    }
    try outputs.commit()
    let names = conversion.columnNames.map { " (header: \($0.joined(separator: ", ")))" } ?? ""
    print(
      "wrote \(conversion.rows) rows × \(conversion.columns) columns of \(float32 ? "float32" : "float64") "
        + "to \(output)\(names)")
  }
}
