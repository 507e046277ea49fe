import Foundation
import ScoreSDE
import Testing

/// Hostile safetensors files: every class of damage gives a ``SafeTensorsError``, never a trap,
/// and never an allocation of the claimed size.
@Suite struct HostileSafeTensorsFileTests {
  var valid: Data {
    var t = NamedTensors<Double>()
    t.append(name: "w", shape: [2, 3], values: Matrix([[1, 2, 3], [4, 5, 6]]))
    return SafeTensors.encode(t, metadata: ["k": "v"])
  }

  func error(_ data: Data) -> SafeTensorsError? {
    do {
      _ = try SafeTensors.decode(data, as: Double.self)
      return nil
    } catch {
      #expect(!error.description.isEmpty)
      return error
    }
  }

  @Test func truncatedFiles() {
    #expect(error(valid.prefix(5)) == .truncated(byteCount: 5))
    guard case .headerTooLarge = error(valid.prefix(20)) else {
      Issue.record("a file cut inside the header")
      return
    }
    guard case .offsetsOutOfRange(name: "w", _, _) = error(valid.dropLast(1)) else {
      Issue.record("a file cut inside the data")
      return
    }
  }

  @Test func wrongMagic() {
    guard case .malformedHeader = error(safeTensorsFile(header: "[1, 2]")) else {
      Issue.record("a header that is not an object")
      return
    }
    // A .npy file: its first 8 bytes read as a header length far beyond the file.
    guard case .headerTooLarge = error(Data(NumPyFile.encode(Matrix<Double>([[1]])))) else {
      Issue.record("a .npy file")
      return
    }
  }

  /// Shapes whose count overflows, or that disagree with the byte range; a header length of 2⁶³.
  @Test func absurdShapes() {
    func file(_ shape: String, _ offsets: String = "[0, 8]") -> Data {
      safeTensorsFile(
        header: "{\"w\": {\"dtype\": \"F64\", \"shape\": \(shape), \"data_offsets\": \(offsets)}}",
        payload: [UInt8](repeating: 0, count: 8))
    }
    #expect(
      error(file("[4294967296, 4294967296]"))
        == .invalidShape(name: "w", shape: [4_294_967_296, 4_294_967_296]))
    #expect(error(file("[-1, 2]")) == .invalidShape(name: "w", shape: [-1, 2]))
    #expect(
      error(file("[1000000, 1000000]"))
        == .sizeMismatch(name: "w", shape: [1_000_000, 1_000_000], dtype: "F64", byteCount: 8))
    #expect(
      error(file("[1]", "[0, 8000000000]"))
        == .offsetsOutOfRange(name: "w", offsets: [0, 8_000_000_000], dataSize: 8))
    #expect(error(file("[1]", "[8, 0]")) == .offsetsOutOfRange(name: "w", offsets: [8, 0], dataSize: 8))
    #expect(
      error(file("[1152921504606846976]"))
        == .sizeMismatch(name: "w", shape: [1 << 60], dtype: "F64", byteCount: 8))
    var huge = Data(littleEndianBytes(UInt64(1) << 63))
    huge.append(contentsOf: Array("{}".utf8))
    #expect(error(huge) == .headerTooLarge(length: 1 << 63, available: 2))
  }

  @Test func nonUTF8Headers() {
    var bytes: [UInt8] = Array(
      "{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}, \"".utf8)
    bytes += [0xFF, 0xFE] + Array("\": 1}".utf8)
    var data = Data(littleEndianBytes(UInt64(bytes.count)) + bytes)
    data.append(contentsOf: [UInt8](repeating: 0, count: 8))
    guard case .malformedHeader = error(data) else {
      Issue.record("a header that is not UTF-8")
      return
    }
  }

  /// NaN and ±∞ tensors are kept bit for bit (a checkpoint must round-trip exactly); the model
  /// loader refuses them (see ``HostileModelFileTests``).
  @Test func nonFiniteValuesRoundTrip() throws {
    var t = NamedTensors<Double>()
    t.append(name: "w", shape: [3], values: Matrix([[.nan, .infinity, -.infinity]]))
    let back = try SafeTensors.decode(SafeTensors.encode(t), as: Double.self).tensors
    let values = try #require(back["w"]).values
    #expect(values[0, 0].isNaN && values[0, 1] == .infinity && values[0, 2] == -.infinity)
  }
}
