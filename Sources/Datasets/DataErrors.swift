import Foundation
import LinearAlgebra

/// A file that could not be read, parsed or written: which file, where in it, and what was wrong.
///
/// Every reader in Datasets throws this one type, so a command-line tool can print
/// `error.description` as is:
///
/// ```swift
/// do {
///   let x: Matrix<Double> = try CSVFile.read(from: url)
/// } catch {
///   print(error)   // data.csv line 7, column 3: 'abc' is not a number
/// }
/// ```
public struct FileFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure, for callers that branch on it.
  public enum Kind: String, Sendable, Equatable {
    /// The file could not be opened or read.
    case unreadable
    /// The file could not be written.
    case unwritable
    /// A `.npy` file does not start with `\x93NUMPY`.
    case badMagic
    /// A `.npy` format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion
    /// The `.npy` header dictionary could not be parsed.
    case unparseableHeader
    /// A `.npy` element type other than 4- or 8-byte IEEE floats.
    case unsupportedDataType
    /// An array of more than two dimensions, or another shape that has no matrix form.
    case unsupportedShape
    /// The shape's element count or byte count overflows, or exceeds what the file holds.
    case sizeOverflow
    /// The file ends before the data its header promises.
    case truncated
    /// The file has bytes after the data its header promises.
    case trailingData
    /// A CSV cell that is not a number.
    case notANumber
    /// A CSV row with a different number of cells from the first one.
    case raggedRow
    /// A CSV file with an unterminated quoted field or another syntax error.
    case malformedRow
    /// A finite value in the file that the requested precision cannot hold (1e39 as `Float`).
    case outOfRange
    /// A text file in an encoding other than UTF-8 (a UTF-16 byte-order mark).
    case unsupportedEncoding
  }

  /// The file's name as given to the reader (its last path component for URLs).
  public let file: String
  /// What went wrong.
  public let kind: Kind
  /// The 1-based line in a text file, when the failure has one.
  public let line: Int?
  /// The 1-based column (cell) in a CSV line, when the failure has one.
  public let column: Int?
  /// A sentence saying what was wrong, without the location.
  public let detail: String

  /// An error in `file`, optionally at a 1-based `line` and `column`.
  public init(file: String, kind: Kind, line: Int? = nil, column: Int? = nil, detail: String) {
    self.file = file
    self.kind = kind
    self.line = line
    self.column = column
    self.detail = detail
  }

  /// `"<file>[ line L[, column C]]: <detail>"`.
  public var description: String {
    var location = file
    if let line {
      location += " line \(line)"
      if let column { location += ", column \(column)" }
    }
    return "\(location): \(detail)"
  }
}

/// A data set whose contents cannot be used: non-finite values, too few rows, an unknown name.
///
/// ```swift
/// try checkFinite(x, source: "data.npy")   // throws DataError.nonFinite(...) on a NaN
/// ```
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Entry `(row, column)` (0-based) of the data from `source` is NaN or infinite;
  /// `count` entries in all are.
  case nonFinite(source: String, row: Int, column: Int, value: Double, count: Int)
  /// The operation needs at least `needed` rows, the data from `source` has `actual`.
  case tooFewRows(source: String, needed: Int, actual: Int)
  /// The data from `source` has `actual` columns where `expected` were needed.
  case wrongColumnCount(source: String, expected: Int, actual: Int)
  /// No registered data set has this name; `known` lists those that do.
  case unknownDataset(name: String, known: [String])
  /// Every row of column `column` (0-based) of the data from `source` is `value`: the column has
  /// no spread to standardise, nothing for a density to learn, nothing to condition on.
  case constantColumn(source: String, column: Int, value: Double)
  /// The standard deviation of column `column` (0-based) of the data from `source` is not a
  /// positive finite `Double`: it underflows to 0 (subnormal values) or overflows.
  case spreadOutOfRange(source: String, column: Int)
  /// The covariance of the `rows × columns` data from `source` is singular (not positive
  /// definite): fewer rows than columns + 1, or a column that is a linear combination of others.
  case singularCovariance(source: String, rows: Int, columns: Int)

  /// A sentence naming the source and the problem; rows and columns are counted from 1.
  public var description: String {
    switch self {
    case .nonFinite(let source, let row, let column, let value, let count):
      return "\(source): row \(row + 1), column \(column + 1) is \(value)"
        + (count > 1 ? " (\(count) non-finite entries in all)" : "")
        + "; remove or replace the non-finite values"
    case .tooFewRows(let source, let needed, let actual):
      return "\(source): needs at least \(needed) rows, has \(actual)"
    case .wrongColumnCount(let source, let expected, let actual):
      return "\(source): has \(actual) columns, expected \(expected)"
    case .unknownDataset(let name, let known):
      return "No data set is called '\(name)'; known data sets: \(known.joined(separator: ", "))"
    case .constantColumn(let source, let column, let value):
      return "\(source): column \(column + 1) is constant (every row is \(value)); it carries nothing to "
        + "learn or to condition on — drop the column"
    case .spreadOutOfRange(let source, let column):
      return "\(source): the standard deviation of column \(column + 1) is outside Double's range "
        + "(below 5e-324 or above 1.8e308); rescale the column"
    case .singularCovariance(let source, let rows, let columns):
      return "\(source): the covariance of its \(rows) rows × \(columns) columns is singular"
        + (rows <= columns
          ? " (a full-covariance Gaussian needs more rows than columns)"
          : " (a column is a linear combination of others)")
    }
  }
}

extension FileFormatError {
  /// The error for a finite number in `file` that `S` cannot hold, such as
  /// `data.csv line 4, column 2: 1e39 is out of Float range (|x| ≤ 3.4e38)`.
  ///
  /// - Parameters:
  ///   - text: the number as the file writes it.
  ///   - type: the precision it was read as.
  ///   - file: the file's name.
  ///   - line: the 1-based line, for a text file.
  ///   - column: the 1-based column, for a text file.
  /// - Returns: an ``Kind/outOfRange`` error.
  static func outOfRange<S: BinaryFloatingPoint>(
    _ text: String, as type: S.Type, file: String, line: Int? = nil, column: Int? = nil
  ) -> FileFormatError {
    let limit = String(format: "%.1e", Double(S.greatestFiniteMagnitude)).replacingOccurrences(
      of: "e+", with: "e")
    return FileFormatError(
      file: file, kind: .outOfRange, line: line, column: column,
      detail: "\(text) is out of \(S.self) range (|x| ≤ \(limit))")
  }
}

extension FileFormatError {
  /// The bytes of the regular file at `url`, or an ``FileFormatError/Kind/unreadable`` error
  /// naming it and saying what is wrong (a folder, a FIFO, a missing file, no permission).
  static func bytes(of url: URL) throws(FileFormatError) -> [UInt8] {
    do {
      return try InputFile.bytes(at: url.path)
    } catch {
      throw FileFormatError(file: url.relativePath, kind: .unreadable, detail: error.reason)
    }
  }

  /// Writes `bytes` to `url` through an ``OutputFile`` (checked first, replaced atomically), or
  /// throws an ``FileFormatError/Kind/unwritable`` error naming it and saying what is wrong.
  static func write(_ bytes: [UInt8], to url: URL) throws(FileFormatError) {
    do {
      try OutputFile.write(bytes, to: url.path)
    } catch {
      throw FileFormatError(file: url.relativePath, kind: .unwritable, detail: error.reason)
    }
  }
}
