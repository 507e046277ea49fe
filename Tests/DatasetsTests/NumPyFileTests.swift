import Datasets
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@Suite struct NumPyFileTests {
  @Test(arguments: [
    "f4_2d.npy", "f8_2d.npy", "f4_v3.npy", "f8_v2.npy", "f8_native.npy", "f8_bigendian.npy",
    "f4_bigendian.npy", "f8_fortran.npy", "f4_fortran.npy",
  ])
  func twoDimensionalFixturesLoad(name: String) throws {
    let url = try fixture(name)
    let d: Matrix<Double> = try NumPyFile.read(from: url)
    #expect(d == fixtureMatrix(Double.self))
    let f = try NumPyFile.read(from: url, as: Float.self)
    #expect(f == fixtureMatrix(Float.self))
  }

  @Test(arguments: ["f4_1d.npy", "f8_1d.npy"])
  func oneDimensionalFixturesLoadAsAColumn(name: String) throws {
    let d: Matrix<Double> = try NumPyFile.read(from: try fixture(name))
    #expect(d == fixtureColumn(Double.self))
  }

  @Test func emptyArrayLoads() throws {
    let m: Matrix<Float> = try NumPyFile.read(from: try fixture("f8_empty.npy"))
    #expect(m.rows == 0 && m.columns == 3)
    let d: Matrix<Double> = try NumPyFile.read(from: try fixture("f8_empty.npy"))
    #expect(d.rows == 0 && d.columns == 3)
  }

  @Test func headersAreParsed() throws {
    let v2 = [UInt8](try Data(contentsOf: try fixture("f8_v2.npy")))
    let header = try NumPyHeader(parsing: v2, file: "f8_v2.npy")
    #expect(header.version == [2, 0])
    #expect(header.dataType == "<f8")
    #expect(header.shape == [4, 3])
    #expect(!header.fortranOrder)
    #expect(header.dataOffset % 64 == 0)
    let fortran = try NumPyHeader(
      parsing: [UInt8](try Data(contentsOf: try fixture("f8_fortran.npy"))), file: "f8_fortran.npy")
    #expect(fortran.fortranOrder && fortran.version == [1, 0] && fortran.shape == [4, 3])
  }

  @Test(arguments: [
    ("bad_truncated.npy", FileFormatError.Kind.truncated),
    ("bad_magic.npy", .badMagic),
    ("bad_dtype_i4.npy", .unsupportedDataType),
    ("bad_dtype_object.npy", .unsupportedDataType),
    ("bad_absurd_shape.npy", .sizeOverflow),
    ("bad_large_shape.npy", .truncated),
    ("bad_header.npy", .unparseableHeader),
    ("bad_3d.npy", .unsupportedShape),
    ("bad_too_short.npy", .truncated),
  ])
  func malformedFixturesThrowTypedErrors(name: String, kind: FileFormatError.Kind) throws {
    let url = try fixture(name)
    let error = try #require(throws: FileFormatError.self) { try NumPyFile.read(from: url, as: Double.self) }
    #expect(error.kind == kind)
    #expect(error.file.hasSuffix(name))
    #expect(error.description.hasPrefix(error.file + ": "))
  }

  @Test func errorMessagesSayWhatIsWrong() throws {
    func message(_ name: String) throws -> String {
      let url = try fixture(name)
      return try #require(throws: FileFormatError.self) { try NumPyFile.read(from: url, as: Float.self) }
        .detail
    }
    #expect(try message("bad_dtype_i4.npy").contains("'<i4'"))
    #expect(try message("bad_large_shape.npy").contains("needs 16000000000 bytes"))
    #expect(try message("bad_magic.npy").contains("not a NumPy .npy file"))
    let missing = URL(fileURLWithPath: "/nonexistent/missing.npy")
    let error = try #require(throws: FileFormatError.self) {
      try NumPyFile.read(from: missing, as: Double.self)
    }
    #expect(error.kind == .unreadable && error.file == "/nonexistent/missing.npy")
  }

  @Test func everyPrefixAndCorruptionOfAFileThrowsWithoutTrapping() throws {
    let good = [UInt8](try Data(contentsOf: try fixture("f8_2d.npy")))
    for length in 0..<good.count {
      #expect(throws: FileFormatError.self) {
        let _: Matrix<Double> = try NumPyFile.decode(Array(good[0..<length]), file: "p")
      }
    }
    #expect(throws: FileFormatError.self) {
      let _: Matrix<Double> = try NumPyFile.decode(good + [0], file: "p")
    }
    // Overwrite each header byte with characters that break the dictionary: decoding either
    // fails with a typed error or succeeds with the right values (a harmless change).
    var rng = Xoshiro256(seed: 5)
    for position in 8..<128 {
      for _ in 0..<4 {
        var bytes = good
        bytes[position] = UInt8(truncatingIfNeeded: rng.next())
        do {
          let m: Matrix<Double> = try NumPyFile.decode(bytes, file: "p")
          #expect(m.count == 12)
        } catch {
          #expect(!error.detail.isEmpty)
        }
      }
    }
  }

  @Test func roundTripsAreBitExact() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let f = awkwardMatrix(Float.self, rows: 37, columns: 5, seed: 1)
    let d = awkwardMatrix(Double.self, rows: 19, columns: 3, seed: 2)
    let fu = directory.appendingPathComponent("f.npy")
    let du = directory.appendingPathComponent("d.npy")
    try NumPyFile.write(f, to: fu)
    try NumPyFile.write(d, to: du)
    #expect(bitPatterns(try NumPyFile.read(from: fu, as: Float.self)) == bitPatterns(f))
    #expect(bitPatterns(try NumPyFile.read(from: du, as: Double.self)) == bitPatterns(d))
    // Overwriting replaces the file; a Float file read as Double widens exactly.
    try NumPyFile.write(Matrix<Float>(rows: 0, columns: 2), to: fu)
    #expect(try NumPyFile.read(from: fu, as: Double.self).shape == (0, 2))
    let small = Matrix<Float>([[1.5, -2.25], [1e-3, 7]])
    try NumPyFile.write(small, to: fu)
    #expect(
      try NumPyFile.read(from: fu, as: Double.self)
        == Matrix<Double>([[1.5, -2.25], [Double(Float(1e-3)), 7]]))
    // Byte for byte what NumPy's np.save writes (header padded to 64 bytes).
    #expect(
      NumPyFile.encode(fixtureMatrix(Float.self)) == [UInt8](try Data(contentsOf: try fixture("f4_2d.npy"))))
    #expect(
      NumPyFile.encode(fixtureMatrix(Double.self)) == [UInt8](try Data(contentsOf: try fixture("f8_2d.npy"))))
  }

  @Test func writingToAMissingDirectoryThrows() {
    let url = URL(fileURLWithPath: "/nonexistent-directory/x.npy")
    let error = #expect(throws: FileFormatError.self) { try NumPyFile.write(Matrix<Double>([[1]]), to: url) }
    #expect(error?.kind == .unwritable)
  }

  @Test(.enabled(if: numpyIsAvailable, "python3 with numpy is not installed"))
  func numpyLoadsOurFilesAndWeLoadNumpys() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let f = awkwardMatrix(Float.self, rows: 11, columns: 4, seed: 3)
    let d = awkwardMatrix(Double.self, rows: 7, columns: 2, seed: 4)
    let paths = ["f", "d", "f2", "d2"].map { directory.appendingPathComponent($0 + ".npy").path }
    try NumPyFile.write(f, to: URL(fileURLWithPath: paths[0]))
    try NumPyFile.write(d, to: URL(fileURLWithPath: paths[1]))
    // NumPy checks dtype and shape, then saves what it read; reading that back must give our bits.
    let output = try runPython(
      """
      import sys, numpy as np
      f, d = np.load(sys.argv[1]), np.load(sys.argv[2])
      assert f.dtype == np.float32 and f.shape == (11, 4), (f.dtype, f.shape)
      assert d.dtype == np.float64 and d.shape == (7, 2), (d.dtype, d.shape)
      np.save(sys.argv[3], np.asfortranarray(f)); np.save(sys.argv[4], d.astype('>f8'))
      print(repr(float(f[2, 1])), repr(float(d[5, 1])))
      """, arguments: paths)
    #expect(
      bitPatterns(try NumPyFile.read(from: URL(fileURLWithPath: paths[2]), as: Float.self)) == bitPatterns(f))
    #expect(
      bitPatterns(try NumPyFile.read(from: URL(fileURLWithPath: paths[3]), as: Double.self)) == bitPatterns(d)
    )
    let printed = output.split(separator: " ").map {
      Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    #expect(printed == [Double(f[2, 1]), d[5, 1]])
  }
}
