import Foundation
import ScoreSDE
import Testing

/// Hostile `.npy` files: every class of damage gives a ``FileFormatError`` of the right kind,
/// never a trap, and never an allocation of the claimed size.
@Suite struct HostileNumPyFileTests {
  let valid = NumPyFile.encode(Matrix<Double>([[1, 2], [3, 4], [5, 6]]))

  func kind(_ bytes: [UInt8]) -> FileFormatError.Kind? {
    do {
      _ = try NumPyFile.decode(bytes, file: "hostile.npy") as Matrix<Double>
      return nil
    } catch {
      #expect(error.file == "hostile.npy")
      #expect(!error.detail.isEmpty)
      return error.kind
    }
  }

  @Test func truncatedFilesAreTruncatedErrors() {
    #expect(kind(Array(valid.dropLast())) == .truncated)  // inside the data
    #expect(kind(Array(valid.prefix(9))) == .truncated)  // inside the header length
    #expect(kind(Array(valid.prefix(40))) == .truncated)  // inside the header dictionary
    #expect(kind(Array(valid.prefix(6))) == .truncated)  // the magic alone
    #expect(kind(valid + [0]) == .trailingData)
  }

  @Test func wrongMagicIsABadMagicError() {
    var bytes = valid
    bytes[0] = 0x94
    #expect(kind(bytes) == .badMagic)
    #expect(kind([]) == .badMagic)
    #expect(kind(Array("x,y\n1,2\n".utf8)) == .badMagic)
    var version = valid
    version[6] = 9
    #expect(kind(version) == .unsupportedVersion)
  }

  /// Shapes whose element or byte count overflows, or that claim far more than the file holds:
  /// refused before any allocation (a 10¹²-element matrix would not fit in memory).
  @Test func absurdShapesAreRefusedBeforeAllocating() {
    func file(_ shape: String) -> [UInt8] {
      npyFile(
        header: Array("{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }".utf8),
        payload: [0, 0, 0, 0, 0, 0, 0, 0])
    }
    #expect(kind(file("(4611686018427387904, 4)")) == .sizeOverflow)  // 2⁶² × 4 elements
    #expect(kind(file("(1152921504606846976,)")) == .sizeOverflow)  // 2⁶⁰ elements × 8 bytes
    #expect(kind(file("(99999999999999999999999, 2)")) == .sizeOverflow)  // not a 64-bit integer
    #expect(kind(file("(1000000, 1000000)")) == .truncated)  // 8 TB claimed, 8 bytes present
    #expect(kind(file("(-1, 2)")) == .unparseableHeader)
    #expect(kind(file("(2, 2, 2)")) == .unsupportedShape)
    #expect(kind(file("()")) == .unsupportedShape)
  }

  /// A header that is not UTF-8 (or not a dictionary) is an unparseable header, not a trap.
  @Test func nonUTF8HeadersAreUnparseable() {
    let broken: [UInt8] =
      Array("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), ".utf8) + [0xFF, 0xFE, 0x80]
      + Array("}".utf8)
    #expect(kind(npyFile(header: broken, payload: [UInt8](repeating: 0, count: 8))) == .unparseableHeader)
    let inKey: [UInt8] =
      Array("{'descr': '<f8', 'fortran_order': False, 'sh".utf8) + [0xC3, 0x28]
      + Array("ape': (1, 1), }".utf8)
    #expect(kind(npyFile(header: inKey, payload: [UInt8](repeating: 0, count: 8))) == .unparseableHeader)
    #expect(kind(npyFile(header: [0xFF, 0xFF, 0xFF])) == .unparseableHeader)
  }

  /// NaN and ±∞ are valid IEEE data: the reader keeps them bit for bit; the data sources refuse
  /// them with a typed error naming the first one.
  @Test func nonFiniteValuesAreKeptAndThenRefusedByTheDataSource() throws {
    let values = Matrix<Double>([[1, .nan], [-.infinity, 4]])
    let m: Matrix<Double> = try NumPyFile.decode(NumPyFile.encode(values), file: "nan.npy")
    #expect(m[0, 1].isNaN && m[1, 0] == -.infinity && m[1, 1] == 4)
    #expect(m.nonFiniteReport()?.count == 2)
    expectNonFiniteRefusal(m, row: 0, column: 1, count: 2)
  }
}
