import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

extension Result {
  /// The error, or `nil` for a success.
  var error: Failure? {
    if case .failure(let e) = self { return e }
    return nil
  }
}

/// Issue 19: a `.npy` file read through a memory map gives the rows `NumPyFile.read` gives, bit
/// for bit, and refuses every file the in-memory reader refuses (and Fortran order), with the
/// same error.
@Suite struct MappedNumPyFileTests {
  /// `NumPyFile.read` of `url` as `S`, or the error it throws.
  func inMemory<S: BLASScalar>(_ url: URL, as _: S.Type) -> Result<Matrix<S>, FileFormatError> {
    Result { () throws(FileFormatError) -> Matrix<S> in try NumPyFile.read(from: url, as: S.self) }
  }

  /// Every entry's bits, so that NaN payloads and −0 count.
  func bits<S: BLASScalar>(_ m: Matrix<S>) -> [UInt64] {
    m.elements.map { S.self == Float.self ? UInt64(($0 as! Float).bitPattern) : ($0 as! Double).bitPattern }
  }

  @Test(arguments: [
    "f4_2d.npy", "f8_2d.npy", "f4_v3.npy", "f8_v2.npy", "f8_native.npy", "f8_bigendian.npy",
    "f4_bigendian.npy", "f4_1d.npy", "f8_1d.npy", "f8_empty.npy",
  ])
  func fixturesReadAsInMemory(name: String) throws {
    let url = try fixture(name)
    let file = try MappedNumPyFile(url: url)
    let double = try inMemory(url, as: Double.self).get()
    let float = try inMemory(url, as: Float.self).get()
    #expect(file.rows == double.rows && file.columns == double.columns)
    #expect(try file.rows(0..<file.rows, as: Double.self) == double)
    #expect(try file.rows(0..<file.rows, as: Float.self) == float)
    var row = [Double](repeating: 0, count: file.columns)
    for i in 0..<file.rows {
      row.withUnsafeMutableBufferPointer { file.loadRow(i, into: $0) }
      #expect(row == double.row(i), "row \(i)")
    }
    if file.rows > 2 { #expect(try file.rows(1..<3, as: Double.self) == double.rows(1..<3)) }
  }

  /// Random values with the awkward ones among them (NaN with a payload, ±0, ±∞, subnormals,
  /// the largest finite values) round-trip through a written file bit for bit, in both widths.
  @Test func everyBitPatternReadsAsInMemory() throws {
    let folder = try temporaryDirectory("mapped-bits")
    defer { try? FileManager.default.removeItem(at: folder) }
    var rng = Xoshiro256(seed: 190)
    var x = Matrix<Double>.randomNormal(rows: 3000, columns: 5, using: &rng)
    let special: [Double] = [
      Double(nan: 0x1234, signaling: false), -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, 0x1.2p-1030,
      1e300, -1e-30,
    ]
    for (k, v) in special.enumerated() { x[7 * k + 3, k % 5] = v }
    for (type, value) in [("f8", x)] {
      let url = folder.appendingPathComponent("\(type).npy")
      try NumPyFile.write(value, to: url)
      let file = try MappedNumPyFile(url: url)
      #expect(
        bits(try file.rows(0..<file.rows, as: Double.self))
          == bits(try NumPyFile.read(from: url, as: Double.self)))
      // 1e300 does not fit in Float: both readers refuse it, naming the same entry.
      let refusal = try #require(inMemory(url, as: Float.self).error)
      #expect(refusal.kind == .outOfRange)
      #expect(throws: refusal) { try file.rows(0..<file.rows, as: Float.self) }
    }
    let f = Matrix<Float>(rows: x.rows, columns: x.columns, elements: x.elements.map { Float($0) })
    let url = folder.appendingPathComponent("f4.npy")
    try NumPyFile.write(f, to: url)
    let file = try MappedNumPyFile(url: url)
    #expect(
      bits(try file.rows(0..<file.rows, as: Float.self))
        == bits(try NumPyFile.read(from: url, as: Float.self)))
    #expect(
      bits(try file.rows(0..<file.rows, as: Double.self))
        == bits(try NumPyFile.read(from: url, as: Double.self)))
    // Dropping the pages from the resident set leaves the rows readable and unchanged.
    file.releaseResidentPages()
    file.releaseResidentPages(rows: 10..<2000)
    #expect(bits(try file.rows(5..<2500, as: Float.self)) == bits(f.rows(5..<2500)))
  }

  @Test(arguments: [
    "bad_3d.npy", "bad_absurd_shape.npy", "bad_dtype_i4.npy", "bad_dtype_object.npy", "bad_header.npy",
    "bad_large_shape.npy", "bad_magic.npy", "bad_too_short.npy", "bad_truncated.npy",
  ])
  func badFilesAreRefusedAsInMemory(name: String) throws {
    let url = try fixture(name)
    let expected = try #require(inMemory(url, as: Double.self).error)
    #expect(throws: expected) { try MappedNumPyFile(url: url) }
  }

  @Test(arguments: ["f4_fortran.npy", "f8_fortran.npy"])
  func fortranOrderIsRefused(name: String) throws {
    let error = try #require(throws: FileFormatError.self) { try MappedNumPyFile(url: try fixture(name)) }
    #expect(error.kind == .unsupportedShape)
    #expect(error.description.contains("Fortran (column-major) order"))
    #expect(error.description.contains("np.ascontiguousarray"))
  }

  /// A file cut short, one with bytes after its data, an empty file, a folder, a link to a
  /// missing file and an integer dtype: each a `FileFormatError` naming the file.
  @Test func hostileFilesAreRefused() throws {
    let folder = try temporaryDirectory("mapped-hostile")
    defer { try? FileManager.default.removeItem(at: folder) }
    let good = NumPyFile.encode(Matrix<Float>(rows: 10, columns: 3, elements: (0..<30).map { Float($0) }))
    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
      let url = folder.appendingPathComponent(name)
      try Data(bytes).write(to: url)
      return url
    }
    func failure(_ url: URL) throws -> FileFormatError {
      try #require(throws: FileFormatError.self) { try MappedNumPyFile(url: url) }
    }
    let truncated = try failure(try write(Array(good.dropLast(5)), "cut.npy"))
    #expect(truncated.kind == .truncated)
    #expect(truncated.description.contains("needs 120 bytes of data, the file has 115"))
    #expect(try failure(try write(good + [0, 0, 0, 0], "long.npy")).kind == .trailingData)
    #expect(try failure(try write([], "empty.npy")).kind == .badMagic)
    var integer = good
    let descr = Array("'descr': '<f4'".utf8)
    let at = try #require(integer.firstRange(of: descr))
    integer.replaceSubrange(at, with: Array("'descr': '<i4'".utf8))
    let dtype = try failure(try write(integer, "int.npy"))
    #expect(dtype.kind == .unsupportedDataType && dtype.description.contains("'<i4'"))

    let directory = folder.appendingPathComponent("dir.npy")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    let isDirectory = try failure(directory)
    #expect(isDirectory.kind == .unreadable && isDirectory.description.contains("is a directory"))
    let link = folder.appendingPathComponent("link.npy")
    try FileManager.default.createSymbolicLink(
      atPath: link.path, withDestinationPath: folder.appendingPathComponent("gone.npy").path)
    let dangling = try failure(link)
    #expect(dangling.kind == .unreadable && dangling.description.contains("no such file"))
    #expect(dangling.file == link.relativePath)
  }
}
