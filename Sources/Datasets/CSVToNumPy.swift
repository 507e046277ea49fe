public import Foundation
public import LinearAlgebra

extension CSVFile {
  /// What a CSV → `.npy` conversion found and wrote.
  public struct Conversion: Sendable, Equatable {
    /// The number of data rows written.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// The header's column names, or `nil` when the file has none.
    public let columnNames: [String]?
  }

  /// Converts a CSV file into a `.npy` file (format 1.0, C order, `'<f4'` for `Float`, `'<f8'`
  /// for `Double`) without holding the table in memory: one pass reads the CSV a megabyte at a
  /// time, checks every field and counts the rows; a second writes the header, which must state
  /// the row count, then the rows a block at a time.
  ///
  /// The CSV is read as ``read(from:header:as:)`` reads it — the same field syntax, blank lines,
  /// byte-order marks, header detection and number syntax — and every error it would throw is
  /// thrown here too, with its line and column, before anything is written. The values are the
  /// ones ``read(from:header:as:)`` gives, so `NumPyFile.read` of the result equals
  /// `CSVFile.read(...).values` bit for bit.
  ///
  /// The bytes go to `output`, which is not committed: ``convertToNumPy(from:to:header:as:)``
  /// commits it, a command-line tool may commit it with its other outputs.
  ///
  /// - Parameters:
  ///   - csv: the CSV file.
  ///   - output: the `.npy` file being written (empty).
  ///   - header: how to treat the first non-blank line.
  ///   - type: the element type of the `.npy` file.
  /// - Returns: the rows, columns and column names.
  /// - Throws: ``FileFormatError`` naming the line and column of the first bad field, `unreadable`
  ///   for the CSV, `unwritable` for the output, `malformedRow` when the CSV changed between the
  ///   two passes.
  public static func streamToNumPy<S: BLASScalar>(
    from csv: URL, into output: OutputFile, header: HeaderOption = .detect, as type: S.Type = S.self
  ) throws(FileFormatError) -> Conversion {
    let file = csv.relativePath
    var counter = CSVRowReader<S>(file: file, header: header)
    try CSVLineStream.forEachLine(of: csv, file: file) { line, number throws(FileFormatError) in
      try counter.count(line, number: number)
    }
    let columns = max(counter.columns, 0)
    let conversion = Conversion(rows: counter.rows, columns: columns, columnNames: counter.names)
    func write(_ bytes: [UInt8]) throws(FileFormatError) {
      do {
        try output.write(bytes)
      } catch {
        throw FileFormatError(file: output.path, kind: .unwritable, detail: error.reason)
      }
    }
    try write(NumPyFile.header(rows: conversion.rows, columns: columns, of: S.self))
    let blockRows = max(1, 4096 / max(columns, 1))
    var block = [S]()
    block.reserveCapacity(blockRows * columns)
    var reader = CSVRowReader<S>(file: file, header: header)
    var written = 0
    try CSVLineStream.forEachLine(of: csv, file: file) { line, number throws(FileFormatError) in
      guard let values = try reader.values(of: line, number: number) else { return }
      guard written < conversion.rows else {
        throw FileFormatError(
          file: file, kind: .malformedRow, line: number, detail: "the file grew while it was being converted")
      }
      block.append(contentsOf: values)
      written += 1
      if block.count == blockRows * columns {
        try write(NumPyFile.encodedRows(Matrix(rows: blockRows, columns: columns, elements: block)))
        block.removeAll(keepingCapacity: true)
      }
    }
    if !block.isEmpty {
      try write(NumPyFile.encodedRows(Matrix(rows: block.count / columns, columns: columns, elements: block)))
    }
    guard written == conversion.rows else {
      throw FileFormatError(
        file: file, kind: .malformedRow,
        detail: "the file changed while it was being converted (\(conversion.rows) rows, then \(written))")
    }
    return conversion
  }

  /// Converts a CSV file into a `.npy` file in bounded memory (see
  /// ``streamToNumPy(from:into:header:as:)``), replacing `npy` atomically: a temporary file
  /// renamed into place, so a failure leaves `npy` as it was.
  ///
  /// ```swift
  /// let done = try CSVFile.convertToNumPy(from: URL(fileURLWithPath: "data.csv"),
  ///                                        to: URL(fileURLWithPath: "data.npy"), as: Float.self)
  /// print(done.rows, done.columns)
  /// ```
  ///
  /// - Parameters:
  ///   - csv: the CSV file.
  ///   - npy: the destination.
  ///   - header: how to treat the first non-blank line.
  ///   - type: the element type of the `.npy` file.
  /// - Returns: the rows, columns and column names.
  /// - Throws: ``FileFormatError``, as ``streamToNumPy(from:into:header:as:)``.
  @discardableResult
  public static func convertToNumPy<S: BLASScalar>(
    from csv: URL, to npy: URL, header: HeaderOption = .detect, as type: S.Type = S.self
  ) throws(FileFormatError) -> Conversion {
    let output: OutputFile
    do {
      output = try OutputFile(path: npy.path)
    } catch {
      throw FileFormatError(file: npy.relativePath, kind: .unwritable, detail: error.reason)
    }
    let conversion = try streamToNumPy(from: csv, into: output, header: header, as: S.self)
    do {
      try output.commit()
    } catch {
      throw FileFormatError(file: npy.relativePath, kind: .unwritable, detail: error.reason)
    }
    return conversion
  }
}

/// The lines of a file read a megabyte at a time: each line without its `\n` (and a `\r`
/// before it), numbered from 1, a leading UTF-8 byte-order mark skipped, UTF-16 and UTF-32
/// refused (``CSVFile/textStart(of:file:)``).
enum CSVLineStream {
  /// The longest line accepted; a longer one is not a CSV line (a binary file, say).
  static let maximumLineBytes = 64 << 20

  /// Calls `body` with each line of `url` and its number.
  static func forEachLine(
    of url: URL, file: String,
    _ body: (ArraySlice<UInt8>, Int) throws(FileFormatError) -> Void
  ) throws(FileFormatError) {
    let input: InputFile
    do {
      input = try InputFile(path: url.path)
    } catch {
      throw FileFormatError(file: file, kind: .unreadable, detail: error.reason)
    }
    func read() throws(FileFormatError) -> [UInt8] {
      do {
        return try input.read(upTo: 1 << 20)
      } catch {
        throw FileFormatError(file: file, kind: .unreadable, detail: error.reason)
      }
    }
    var pending = try read()
    var start = try CSVFile.textStart(of: pending, file: file)
    var number = 0
    var atEnd = pending.isEmpty
    while true {
      // Every complete line in `pending[start...]`.
      var searchFrom = start
      while let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
        var end = newline
        if end > start && pending[end - 1] == 0x0D { end -= 1 }
        number += 1
        try body(pending[start..<end], number)
        start = newline + 1
        searchFrom = start
      }
      if atEnd { break }
      let more = try read()
      pending.removeFirst(start)
      start = 0
      if more.isEmpty {
        atEnd = true
        // The last line, when the file does not end in a newline.
        if !pending.isEmpty {
          var end = pending.count
          if pending[end - 1] == 0x0D { end -= 1 }
          number += 1
          try body(pending[0..<end], number)
        }
        break
      }
      pending += more
      guard pending.count <= maximumLineBytes else {
        throw FileFormatError(
          file: file, kind: .malformedRow, line: number + 1,
          detail: "the line is longer than \(maximumLineBytes >> 20) MB; this is not a CSV file")
      }
    }
  }
}

/// Reads the records of a CSV file line by line: the one reading of a record (blank lines, the
/// header, ragged rows, fields that are not numbers or out of range), for
/// ``CSVFile/parse(_:file:header:)`` and for the streaming conversion alike.
struct CSVRowReader<S: BLASScalar> {
  let file: String
  let header: CSVFile.HeaderOption
  /// The number of fields of the first non-blank line, −1 before it.
  private(set) var columns = -1
  /// The header's names, if there is a header.
  private(set) var names: [String]? = nil
  /// The records seen.
  private(set) var rows = 0
  private var values: [S] = []

  init(file: String, header: CSVFile.HeaderOption) {
    self.file = file
    self.header = header
  }

  /// Checks one line and counts it if it is a record.
  mutating func count(_ line: ArraySlice<UInt8>, number: Int) throws(FileFormatError) {
    _ = try values(of: line, number: number)
  }

  /// The values of the record on `line`, or `nil` for a blank line or the header.
  mutating func values(of line: ArraySlice<UInt8>, number: Int) throws(FileFormatError) -> [S]? {
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
    let fields = try CSVFile.splitFields(line, file: file, line: number)
    if columns < 0 {
      columns = fields.count
      let isHeader: Bool
      switch header {
      case .present: isHeader = true
      case .absent: isHeader = false
      case .detect: isHeader = fields.allSatisfy { CSVFile.parseNumber($0.text) == nil }
      }
      if isHeader {
        names = fields.map(\.text)
        return nil
      }
    }
    guard fields.count == columns else {
      throw FileFormatError(
        file: file, kind: .raggedRow, line: number,
        detail: "has \(fields.count) fields, the first line has \(columns)")
    }
    values.removeAll(keepingCapacity: true)
    for (j, field) in fields.enumerated() {
      guard let v = CSVFile.parseNumber(field.text) else {
        let what = field.text.isEmpty ? "the field is empty, not a number" : "'\(field.text)' is not a number"
        throw FileFormatError(file: file, kind: .notANumber, line: number, column: j + 1, detail: what)
      }
      let value = S(v)
      if !value.isFinite && !v.isNaN && !CSVFile.isInfinityLiteral(field.text) {
        throw FileFormatError.outOfRange(field.text, as: S.self, file: file, line: number, column: j + 1)
      }
      values.append(value)
    }
    rows += 1
    return values
  }
}
