public import Foundation
public import LinearAlgebra

/// A numeric table read from a CSV file: optional column names and the values, one row per
/// record.
public struct CSVTable<S: BLASScalar>: Sendable, Equatable {
  /// The header's column names, or `nil` when the file has no header.
  public var columnNames: [String]?
  /// The values, `records × columns`.
  public var values: Matrix<S>

  /// A table of `values` with optional `columnNames`.
  ///
  /// - Parameters:
  ///   - columnNames: one name per column, or `nil`.
  ///   - values: the data.
  public init(columnNames: [String]?, values: Matrix<S>) {
    precondition(
      columnNames == nil || columnNames!.count == values.columns,
      "\(columnNames?.count ?? 0) column names for a \(values.shapeDescription) matrix")
    self.columnNames = columnNames
    self.values = values
  }
}

/// Reads and writes comma-separated numeric tables.
///
/// Reading: fields are separated by commas; surrounding spaces are ignored; a field may be
/// quoted with `"` (a doubled `""` inside is one quote); blank lines are skipped; `\r\n` line
/// ends are accepted; a leading UTF-8 byte-order mark is skipped (UTF-16 and UTF-32 files are
/// refused). Every record must have as many fields as the first. Numbers use Swift's `Double`
/// syntax (`1`, `-2.5e-3`, `nan`, `inf`); a finite number the precision cannot hold (`1e39` as
/// `Float`) is an error, not an infinity. A header is detected when no field of the
/// first non-blank line is a number (``HeaderOption/detect``), or forced either way. Errors name
/// the file, line and column: `data.csv line 7, column 3: 'abc' is not a number`.
///
/// Writing prints the shortest decimal that reads back to the same value, so a round trip is
/// bit-exact, and replaces the file atomically.
///
/// ```swift
/// try CSVFile.write(x, columnNames: ["x", "y"], to: url)
/// let table: CSVTable<Double> = try CSVFile.read(from: url)   // header detected
/// let x = table.values
/// ```
public enum CSVFile {
  /// Whether the first non-blank line is a header.
  public enum HeaderOption: Sendable {
    /// A header exactly when none of the first line's fields is a number.
    case detect
    /// The first non-blank line is a header.
    case present
    /// Every non-blank line is data.
    case absent
  }

  /// Reads a CSV file.
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - header: how to treat the first non-blank line.
  ///   - type: the precision of the values.
  /// - Returns: the column names (if any) and the values.
  /// - Throws: ``FileFormatError`` naming the line and column of the first bad field.
  public static func read<S: BLASScalar>(
    from url: URL, header: HeaderOption = .detect, as type: S.Type = S.self
  ) throws(FileFormatError) -> CSVTable<S> {
    return try parse(try FileFormatError.bytes(of: url), file: url.relativePath, header: header)
  }

  /// Parses the bytes of a CSV file (UTF-8).
  ///
  /// - Parameters:
  ///   - bytes: the whole file.
  ///   - file: the file's name, for error messages.
  ///   - header: how to treat the first non-blank line.
  /// - Returns: the table.
  /// - Throws: ``FileFormatError``.
  public static func parse<S: BLASScalar>(
    _ bytes: [UInt8], file: String, header: HeaderOption = .detect
  ) throws(FileFormatError) -> CSVTable<S> {
    var reader = CSVRowReader<S>(file: file, header: header)
    var values = [S]()
    var lineNumber = 0
    var lineStart = try textStart(of: bytes, file: file)
    while lineStart < bytes.count {
      var lineEnd = lineStart
      while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
      lineNumber += 1
      var contentEnd = lineEnd
      if contentEnd > lineStart && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let line = bytes[lineStart..<contentEnd]
      lineStart = lineEnd + 1
      if let record = try reader.values(of: line, number: lineNumber) { values.append(contentsOf: record) }
    }
    let c = max(reader.columns, 0)
    return CSVTable(
      columnNames: reader.names,
      values: Matrix(rows: c == 0 ? 0 : values.count / c, columns: c, elements: values))
  }

  /// A parsed field: its text without quotes or surrounding spaces.
  struct Field {
    var text: String
  }

  /// Splits one line into fields, honouring double quotes.
  static func splitFields(_ line: ArraySlice<UInt8>, file: String, line number: Int) throws(FileFormatError)
    -> [Field]
  {
    var fields = [Field]()
    var i = line.startIndex
    let end = line.endIndex
    let quote = UInt8(ascii: "\"")
    let comma = UInt8(ascii: ",")
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    while true {
      while i < end && isSpace(line[i]) { i += 1 }
      var text = [UInt8]()
      if i < end && line[i] == quote {
        i += 1
        var closed = false
        while i < end {
          if line[i] == quote {
            if i + 1 < end && line[i + 1] == quote {
              text.append(quote)
              i += 2
              continue
            }
            closed = true
            i += 1
            break
          }
          text.append(line[i])
          i += 1
        }
        guard closed else {
          throw FileFormatError(
            file: file, kind: .malformedRow, line: number, column: fields.count + 1,
            detail: "the quoted field is not closed")
        }
        while i < end && isSpace(line[i]) { i += 1 }
        guard i == end || line[i] == comma else {
          throw FileFormatError(
            file: file, kind: .malformedRow, line: number, column: fields.count + 1,
            detail: "text follows the closing quote")
        }
      } else {
        while i < end && line[i] != comma {
          text.append(line[i])
          i += 1
        }
        while let last = text.last, isSpace(last) { text.removeLast() }
      }
      fields.append(Field(text: String(decoding: text, as: UTF8.self)))
      if i == end { return fields }
      i += 1  // the comma
    }
  }

  /// Where the text of a UTF-8 file starts: after a UTF-8 byte-order mark (`EF BB BF`, which
  /// some spreadsheet programs write), else at 0.
  ///
  /// - Throws: ``FileFormatError/Kind/unsupportedEncoding`` for a UTF-16 or UTF-32 byte-order
  ///   mark.
  static func textStart(of bytes: [UInt8], file: String) throws(FileFormatError) -> Int {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return 3 }
    let encoding: String? =
      bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF])
      ? "UTF-32"
      : bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) ? "UTF-16" : nil
    if let encoding {
      throw FileFormatError(
        file: file, kind: .unsupportedEncoding,
        detail: "the file is \(encoding) (it starts with a \(encoding) byte-order mark); save it as UTF-8")
    }
    return 0
  }

  /// Whether `text` spells an infinity (`inf`, `-Infinity`, …) rather than a number too large
  /// for the precision.
  static func isInfinityLiteral(_ text: String) -> Bool {
    text.drop(while: { $0 == "+" || $0 == "-" }).lowercased().hasPrefix("inf")
  }

  /// The value of a numeric field, or `nil`.
  static func parseNumber(_ text: String) -> Double? {
    text.isEmpty ? nil : Double(text)
  }

  /// The text of a CSV file holding `matrix`, with a header line when `columnNames` is given.
  ///
  /// - Parameters:
  ///   - matrix: the values; each is printed as the shortest decimal that reads back exactly.
  ///   - columnNames: one name per column (quoted when it holds a comma, quote or space), or `nil`.
  /// - Returns: the file's text, one record per line, each line ending in `\n`.
  public static func encode<S: BLASScalar>(_ matrix: Matrix<S>, columnNames: [String]? = nil) -> String {
    if let columnNames {
      precondition(
        columnNames.count == matrix.columns,
        "\(columnNames.count) column names for a \(matrix.shapeDescription) matrix")
    }
    var text = ""
    if let columnNames {
      text += columnNames.map(quoted).joined(separator: ",") + "\n"
    }
    for i in 0..<matrix.rows {
      text += (0..<matrix.columns).map { "\(matrix[i, $0])" }.joined(separator: ",") + "\n"
    }
    return text
  }

  /// A header field, quoted when it has to be.
  static func quoted(_ name: String) -> String {
    guard name.contains(where: { $0 == "," || $0 == "\"" || $0 == " " || $0.isNewline }) || name.isEmpty
    else {
      return name
    }
    return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Writes `matrix` as CSV through an `OutputFile`: checked before anything is written and
  /// replaced atomically (a temporary file renamed into place); a symbolic link is written
  /// through and a replaced file keeps its permissions.
  ///
  /// - Parameters:
  ///   - matrix: the values.
  ///   - columnNames: an optional header.
  ///   - url: the destination; an existing file is replaced.
  /// - Throws: ``FileFormatError`` of kind `unwritable`, saying why.
  public static func write<S: BLASScalar>(
    _ matrix: Matrix<S>, columnNames: [String]? = nil, to url: URL
  ) throws(FileFormatError) {
    try FileFormatError.write(Array(encode(matrix, columnNames: columnNames).utf8), to: url)
  }
}
