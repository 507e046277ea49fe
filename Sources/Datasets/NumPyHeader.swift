/// The header of a NumPy `.npy` file: format version, element type, memory order and shape
/// (NumPy Enhancement Proposal 1, `numpy.lib.format`).
///
/// ```swift
/// let header = try NumPyHeader(parsing: bytes, file: "x.npy")
/// print(header.dataType, header.shape)   // "<f8" [1000, 2]
/// ```
public struct NumPyHeader: Sendable, Equatable {
  /// The format version `(major, minor)`: 1.0, 2.0 or 3.0.
  public let version: [Int]
  /// The `descr` string, such as `"<f8"`.
  public let dataType: String
  /// `true` when the data are in column-major (Fortran) order.
  public let fortranOrder: Bool
  /// The array's shape.
  public let shape: [Int]
  /// The byte offset of the data from the start of the file.
  public let dataOffset: Int

  /// Parses the magic string, version, header length and header dictionary at the start of
  /// `bytes`.
  ///
  /// - Parameters:
  ///   - bytes: the file's contents (at least its header).
  ///   - file: the file's name, for error messages.
  /// - Throws: ``FileFormatError`` of kind `badMagic`, `unsupportedVersion`, `truncated` or
  ///   `unparseableHeader`.
  public init(parsing bytes: [UInt8], file: String) throws(FileFormatError) {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
      throw FileFormatError(
        file: file, kind: .badMagic, detail: "not a NumPy .npy file (it does not start with \\x93NUMPY)")
    }
    guard bytes.count >= 10 else {
      throw FileFormatError(
        file: file, kind: .truncated, detail: "the file ends inside the .npy preamble (\(bytes.count) bytes)")
    }
    let major = Int(bytes[6])
    let minor = Int(bytes[7])
    guard (major == 1 || major == 2 || major == 3) && minor == 0 else {
      throw FileFormatError(
        file: file, kind: .unsupportedVersion,
        detail: ".npy format version \(major).\(minor) is not supported (only 1.0, 2.0 and 3.0)")
    }
    let lengthBytes = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthBytes else {
      throw FileFormatError(
        file: file, kind: .truncated, detail: "the file ends inside the .npy header length")
    }
    var headerLength = 0
    for k in 0..<lengthBytes { headerLength |= Int(bytes[8 + k]) << (8 * k) }
    let start = 8 + lengthBytes
    guard headerLength <= bytes.count - start else {
      throw FileFormatError(
        file: file, kind: .truncated,
        detail: "the header claims \(headerLength) bytes but only \(bytes.count - start) follow")
    }
    let text = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
    var parser = PythonLiteralParser(text)
    let value: PythonLiteral
    do {
      value = try parser.parseDocument()
    } catch {
      throw FileFormatError(
        file: file, kind: .unparseableHeader,
        detail: "the header dictionary cannot be parsed (\(error.message)): \(text.debugDescription)")
    }
    guard case .dictionary(let entries) = value else {
      throw FileFormatError(
        file: file, kind: .unparseableHeader,
        detail: "the header is not a dictionary: \(text.debugDescription)")
    }
    func entry(_ key: String) throws(FileFormatError) -> PythonLiteral {
      guard let v = entries.first(where: { $0.key == key })?.value else {
        throw FileFormatError(
          file: file, kind: .unparseableHeader,
          detail: "the header has no '\(key)' key: \(text.debugDescription)")
      }
      return v
    }
    switch try entry("descr") {
    case .string(let s): dataType = s
    default:
      throw FileFormatError(
        file: file, kind: .unsupportedDataType,
        detail: "structured dtypes are not supported (descr is not a string); use '<f4' or '<f8'")
    }
    switch try entry("fortran_order") {
    case .boolean(let b): fortranOrder = b
    default:
      throw FileFormatError(
        file: file, kind: .unparseableHeader, detail: "'fortran_order' is not True or False")
    }
    guard case .tuple(let items) = try entry("shape") else {
      throw FileFormatError(file: file, kind: .unparseableHeader, detail: "'shape' is not a tuple")
    }
    var dims = [Int]()
    for item in items {
      switch item {
      case .integer(let n?) where n >= 0: dims.append(n)
      case .integer(nil):
        throw FileFormatError(
          file: file, kind: .sizeOverflow, detail: "a shape entry does not fit in a 64-bit integer")
      default:
        throw FileFormatError(
          file: file, kind: .unparseableHeader, detail: "'shape' holds \(item), not a non-negative integer")
      }
    }
    self.version = [major, minor]
    self.shape = dims
    self.dataOffset = start + headerLength
  }
}

/// A value of the Python-literal subset used by `.npy` headers.
enum PythonLiteral: Equatable, CustomStringConvertible {
  case string(String)
  /// An integer literal; `nil` when it overflows `Int`.
  case integer(Int?)
  case boolean(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dictionary([(key: String, value: PythonLiteral)])

  static func == (a: PythonLiteral, b: PythonLiteral) -> Bool { a.description == b.description }

  var description: String {
    switch self {
    case .string(let s): return "'\(s)'"
    case .integer(let n): return n.map { "\($0)" } ?? "<overflowing integer>"
    case .boolean(let b): return b ? "True" : "False"
    case .none: return "None"
    case .tuple(let items): return "(" + items.map(\.description).joined(separator: ", ") + ")"
    case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
    case .dictionary(let entries):
      return "{" + entries.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ") + "}"
    }
  }
}

/// Why a Python literal could not be parsed.
struct PythonLiteralError: Error {
  let message: String
}

/// A recursive-descent parser for the literals of a `.npy` header: strings, integers,
/// True/False/None, tuples, lists and dictionaries with string keys.
struct PythonLiteralParser {
  private let chars: [UInt8]
  private var position = 0
  private var depth = 0

  init(_ text: String) { chars = Array(text.utf8) }

  /// One literal followed only by white space.
  mutating func parseDocument() throws(PythonLiteralError) -> PythonLiteral {
    let value = try parseValue()
    skipSpace()
    guard position == chars.count else { throw fail("unexpected text after the dictionary") }
    return value
  }

  private func fail(_ message: String) -> PythonLiteralError {
    PythonLiteralError(message: "\(message) at character \(position)")
  }

  private mutating func skipSpace() {
    while position < chars.count, [0x20, 0x0A, 0x0D, 0x09].contains(chars[position]) { position += 1 }
  }

  private mutating func parseValue() throws(PythonLiteralError) -> PythonLiteral {
    skipSpace()
    guard position < chars.count else { throw fail("unexpected end of header") }
    depth += 1
    defer { depth -= 1 }
    guard depth < 32 else { throw fail("nesting too deep") }
    switch chars[position] {
    case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "("):
      let (items, trailingComma) = try parseSequence(closing: UInt8(ascii: ")"))
      // `(x)` without a comma is a parenthesised value, not a tuple.
      if items.count == 1 && !trailingComma { return items[0] }
      return .tuple(items)
    case UInt8(ascii: "["): return .list(try parseSequence(closing: UInt8(ascii: "]")).items)
    case UInt8(ascii: "{"): return try parseDictionary()
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseInteger()
    default:
      for (word, value) in [
        ("True", PythonLiteral.boolean(true)), ("False", .boolean(false)), ("None", .none),
      ] {
        let w = Array(word.utf8)
        if chars.count - position >= w.count && Array(chars[position..<(position + w.count)]) == w {
          position += w.count
          return value
        }
      }
      throw fail("unexpected character '\(Character(Unicode.Scalar(chars[position])))'")
    }
  }

  private mutating func parseString() throws(PythonLiteralError) -> String {
    let quote = chars[position]
    position += 1
    var bytes = [UInt8]()
    while position < chars.count && chars[position] != quote {
      if chars[position] == UInt8(ascii: "\\") && position + 1 < chars.count { position += 1 }
      bytes.append(chars[position])
      position += 1
    }
    guard position < chars.count else { throw fail("unterminated string") }
    position += 1
    return String(decoding: bytes, as: UTF8.self)
  }

  private mutating func parseInteger() throws(PythonLiteralError) -> PythonLiteral {
    let start = position
    if chars[position] == UInt8(ascii: "-") { position += 1 }
    while position < chars.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(chars[position]) {
      position += 1
    }
    // Python 2 long suffix, written by old NumPy versions.
    let digits = String(decoding: chars[start..<position], as: UTF8.self)
    if position < chars.count && chars[position] == UInt8(ascii: "L") { position += 1 }
    guard digits != "-" else { throw fail("a lone minus sign") }
    return .integer(Int(digits))
  }

  private mutating func parseSequence(
    closing: UInt8
  ) throws(PythonLiteralError) -> (items: [PythonLiteral], trailingComma: Bool) {
    position += 1
    var items = [PythonLiteral]()
    var trailingComma = false
    while true {
      skipSpace()
      guard position < chars.count else { throw fail("unterminated sequence") }
      if chars[position] == closing {
        position += 1
        return (items, trailingComma)
      }
      items.append(try parseValue())
      skipSpace()
      guard position < chars.count else { throw fail("unterminated sequence") }
      if chars[position] == UInt8(ascii: ",") {
        position += 1
        trailingComma = true
      } else if chars[position] == closing {
        trailingComma = false
      } else {
        throw fail("expected ',' or a closing bracket")
      }
    }
  }

  private mutating func parseDictionary() throws(PythonLiteralError) -> PythonLiteral {
    position += 1
    var entries = [(key: String, value: PythonLiteral)]()
    while true {
      skipSpace()
      guard position < chars.count else { throw fail("unterminated dictionary") }
      if chars[position] == UInt8(ascii: "}") {
        position += 1
        return .dictionary(entries)
      }
      guard case .string(let key) = try parseValue() else { throw fail("a dictionary key is not a string") }
      skipSpace()
      guard position < chars.count, chars[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
      position += 1
      let value = try parseValue()
      entries.append((key, value))
      skipSpace()
      guard position < chars.count else { throw fail("unterminated dictionary") }
      if chars[position] == UInt8(ascii: ",") {
        position += 1
      } else if chars[position] != UInt8(ascii: "}") {
        throw fail("expected ',' or '}'")
      }
    }
  }
}

extension NumPyHeader {
  /// The array read as an `n × d` matrix: `(n, 1)` for a 1-D array, `(n, d)` for a 2-D one.
  /// - Throws: ``FileFormatError`` `unsupportedShape` for any other rank, naming `file`.
  func matrixShape(file: String) throws(FileFormatError) -> (rows: Int, columns: Int) {
    switch shape.count {
    case 1: return (shape[0], 1)
    case 2: return (shape[0], shape[1])
    default:
      throw FileFormatError(
        file: file, kind: .unsupportedShape,
        detail: "a \(shape.count)-D array of shape \(shape) cannot be read as a matrix (need 1-D or 2-D)")
    }
  }

  /// Checks that a file of `fileSize` bytes holds exactly the `rows · columns` items of
  /// `itemSize` bytes after this header, and returns the number of items.
  /// - Throws: ``FileFormatError`` `sizeOverflow`, `truncated` or `trailingData`, naming `file`.
  func checkDataSize(
    rows: Int, columns: Int, itemSize: Int, fileSize: Int, file: String
  ) throws(FileFormatError) -> Int {
    let (count, countOverflow) = rows.multipliedReportingOverflow(by: columns)
    let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: itemSize)
    guard !countOverflow && !byteOverflow else {
      throw FileFormatError(
        file: file, kind: .sizeOverflow, detail: "the shape \(shape) has more elements than can be addressed")
    }
    let available = fileSize - dataOffset
    guard byteCount <= available else {
      throw FileFormatError(
        file: file, kind: .truncated,
        detail: "the shape \(shape) needs \(byteCount) bytes of data, the file has \(available)")
    }
    guard byteCount == available else {
      throw FileFormatError(
        file: file, kind: .trailingData,
        detail: "\(available - byteCount) unexpected bytes follow the \(byteCount) bytes of data")
    }
    return count
  }
}
