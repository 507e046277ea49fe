import Datasets
import Foundation
import LinearAlgebra
import Testing

/// Issue 14: a finite value too large for the requested precision is an error that says so (not a
/// silent infinity reported later as "is inf"), and a CSV file's byte-order mark is read as one.
@Suite struct ReaderRangeAndEncodingTests {
  func csv<S: BLASScalar>(_ bytes: [UInt8], as: S.Type) throws(FileFormatError) -> CSVTable<S> {
    try CSVFile.parse(bytes, file: "data.csv")
  }

  func csvError<S: BLASScalar>(_ text: String, as type: S.Type) throws -> FileFormatError {
    try #require(throws: FileFormatError.self) { _ = try csv(Array(text.utf8), as: type) }
  }

  @Test func aCSVNumberBeyondFloatIsOutOfRange() throws {
    let error = try csvError("x,y\n1,2\n3,1e39\n", as: Float.self)
    #expect(error.kind == .outOfRange && error.line == 3 && error.column == 2)
    #expect(error.description == "data.csv line 3, column 2: 1e39 is out of Float range (|x| ≤ 3.4e38)")
    #expect(try csvError("-1e39\n", as: Float.self).detail.hasPrefix("-1e39 is out of Float range"))
    #expect(try csv(Array("x,y\n1,2\n3,1e39\n".utf8), as: Double.self).values[1, 1] == 1e39)
    // Float's largest value, and a decimal that rounds to it, are in range.
    #expect(
      try csv(Array("3.4028235e38,3.40282356e38\n".utf8), as: Float.self).values[0, 1]
        == .greatestFiniteMagnitude)
  }

  @Test func aCSVNumberBeyondDoubleIsOutOfRange() throws {
    let error = try csvError("1\n1e400\n", as: Double.self)
    #expect(error.description == "data.csv line 2, column 1: 1e400 is out of Double range (|x| ≤ 1.8e308)")
  }

  /// Infinities and NaN written as such are read as before, in both precisions.
  @Test func spelledOutInfinitiesStay() throws {
    let text = Array("inf,-Infinity,nan,+inf\n".utf8)
    let row = try csv(text, as: Float.self).values.row(0)
    #expect(row[0] == .infinity && row[1] == -.infinity && row[2].isNaN && row[3] == .infinity)
    #expect(try csv(text, as: Double.self).values[0, 1] == -.infinity)
  }

  /// The 4 × 3 fixture in Fortran order as `'<f8'`, with entry (row 3, column 2) set to `value`.
  func fortranFile(with value: Double) throws -> [UInt8] {
    var bytes = [UInt8](try Data(contentsOf: try fixture("f8_fortran.npy")))
    let header = try NumPyHeader(parsing: bytes, file: "f8_fortran.npy")
    #expect(header.dataType == "<f8" && header.fortranOrder)
    let offset = header.dataOffset + 8 * (1 * 4 + 2)  // column-major: column 1 of 4 rows, row 2
    withUnsafeBytes(of: value.bitPattern.littleEndian) { raw in
      for k in 0..<8 { bytes[offset + k] = raw[k] }
    }
    return bytes
  }

  @Test func aNumPyDoubleBeyondFloatIsOutOfRange() throws {
    let c = NumPyFile.encode(Matrix<Double>([[1, 2], [3, -1e39]]))
    let error = try #require(throws: FileFormatError.self) {
      let _: Matrix<Float> = try NumPyFile.decode(c, file: "data.npy")
    }
    #expect(error.kind == .outOfRange)
    #expect(error.description == "data.npy: -1e+39 (row 2, column 2) is out of Float range (|x| ≤ 3.4e38)")
    let fortran = try #require(throws: FileFormatError.self) {
      let _: Matrix<Float> = try NumPyFile.decode(try fortranFile(with: 5e38), file: "f.npy")
    }
    #expect(fortran.description == "f.npy: 5e+38 (row 3, column 2) is out of Float range (|x| ≤ 3.4e38)")
    let asDouble: Matrix<Double> = try NumPyFile.decode(try fortranFile(with: 5e38), file: "f.npy")
    #expect(asDouble[2, 1] == 5e38)
  }

  /// Infinities and NaN stored in the file are kept when reading `'<f8'` as `Float`.
  @Test func storedInfinitiesStay() throws {
    let bytes = NumPyFile.encode(Matrix<Double>([[.infinity, -.infinity, .nan]]))
    let m: Matrix<Float> = try NumPyFile.decode(bytes, file: "inf.npy")
    #expect(m[0, 0] == .infinity && m[0, 1] == -.infinity && m[0, 2].isNaN)
  }

  static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

  /// A UTF-8 byte-order mark before numeric rows is skipped: the first row is data, not a
  /// header (one column) and not a bad number (two columns).
  @Test func aUTF8ByteOrderMarkBeforeNumbersIsSkipped() throws {
    let one = try csv(Self.bom + Array("1\n2\n3\n".utf8), as: Double.self)
    #expect(one.columnNames == nil && one.values == Matrix<Double>([[1], [2], [3]]))
    let two = try csv(Self.bom + Array("1,2\r\n3,4\r\n".utf8), as: Float.self)
    #expect(two.columnNames == nil && two.values == Matrix<Float>([[1, 2], [3, 4]]))
  }

  /// Before a header, the mark is not part of the first name.
  @Test func aUTF8ByteOrderMarkBeforeAHeaderIsSkipped() throws {
    let table = try csv(Self.bom + Array("x,y\n1,2\n".utf8), as: Double.self)
    #expect(table.columnNames == ["x", "y"])
    #expect(!(table.columnNames ?? []).joined().unicodeScalars.contains("\u{FEFF}"))
    let quoted = try csv(Self.bom + Array("\"a b\",c\n1,2\n".utf8), as: Double.self)
    #expect(quoted.columnNames == ["a b", "c"])
  }

  /// UTF-16 (either byte order) and UTF-32 files are refused with the way out.
  @Test func utf16AndUTF32AreRefused() throws {
    let text = "x,y\n1,2\n"
    let little: [UInt8] =
      [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] as [UInt8] }
    let big: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] as [UInt8] }
    for bytes in [little, big] {
      let error = try #require(throws: FileFormatError.self) { _ = try csv(bytes, as: Double.self) }
      #expect(error.kind == .unsupportedEncoding)
      #expect(
        error.description
          == "data.csv: the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")
    }
    let utf32: [UInt8] = [0xFF, 0xFE, 0, 0, 0x31, 0, 0, 0]
    let error = try #require(throws: FileFormatError.self) { _ = try csv(utf32, as: Double.self) }
    #expect(error.kind == .unsupportedEncoding && error.detail.contains("UTF-32"))
  }
}
