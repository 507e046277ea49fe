import Foundation
import LinearAlgebra
import ScoreNetworks
import Testing

/// CRC-32 bit by bit, straight from the definition (reflected polynomial 0xEDB88320, initial
/// value and final XOR 0xFFFFFFFF): the reference the table-driven version must reproduce.
func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return crc ^ 0xFFFF_FFFF
}

/// The standard check value of CRC-32/ISO-HDLC (zlib's), and the empty input.
@Test func crc32HasTheStandardCheckValue() {
  #expect(CRC32.checksum(of: Array("123456789".utf8)) == 0xCBF4_3926)
  #expect(CRC32.checksum(of: [UInt8]()) == 0)
  #expect(CRC32().value == 0 && CRC32().hexDigits == "00000000")
  var crc = CRC32()
  crc.update(with: Array("The quick brown fox jumps over the lazy dog".utf8))
  #expect(crc.value == 0x414F_A339 && crc.hexDigits == "414fa339")
}

/// The eight-bytes-at-a-time loop agrees with the bitwise definition at every length and
/// alignment, and in pieces split anywhere.
@Test func crc32SlicingMatchesTheDefinition() {
  var rng = Xoshiro256(seed: 81)
  let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
  for start in 0..<9 {
    for end in stride(from: start, through: min(start + 40, bytes.count), by: 1) {
      let slice = Array(bytes[start..<end])
      #expect(CRC32.checksum(of: slice) == bitwiseCRC32(slice), "bytes \(start)..<\(end)")
    }
  }
  #expect(CRC32.checksum(of: bytes) == bitwiseCRC32(bytes))
  for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
    var crc = CRC32()
    crc.update(with: bytes[..<split])
    crc.update(with: Data(bytes[split...]))
    #expect(crc.value == bitwiseCRC32(bytes), "split at \(split)")
  }
}

/// A file whose tensor bytes changed after writing — any single bit — is refused as corrupted;
/// the recorded checksum is not part of the returned metadata.
@Test func aFlippedBitInTheDataIsDetected() throws {
  var tensors = NamedTensors<Float>()
  tensors.append(name: "w", shape: [2, 3], values: Matrix([[1, 2, 3], [4, 5, 6]]))
  tensors.append(name: "b", shape: [2], values: Matrix([[0.5, -0.5]]))
  let data = SafeTensors.encode(tensors, metadata: ["k": "v"])
  let decoded = try SafeTensors.decode(data, as: Float.self)
  #expect(decoded.tensors == tensors && decoded.metadata == ["k": "v"])
  let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  let dataStart = 8 + headerLength
  let stored = CRC32.checksum(of: data[dataStart...])
  for byte in dataStart..<data.count {
    for bit in [0, 3, 7] {
      var damaged = data
      damaged[byte] ^= UInt8(1 << bit)
      #expect(
        throws: SafeTensorsError.checksumMismatch(
          expected: stored, found: CRC32.checksum(of: damaged[dataStart...]))
      ) {
        try SafeTensors.decode(damaged, as: Float.self)
      }
    }
  }
  let error = SafeTensorsError.checksumMismatch(expected: 0xCBF4_3926, found: 0x0000_00AB)
  #expect(error.description.contains("corrupted") && error.description.contains("cbf43926"))
  #expect(error.description.contains("000000ab"))
}

/// A checksum that is not 8 hexadecimal digits is malformed metadata; files without one (as
/// other tools write them) load unchecked.
@Test func checksumsAreOptionalButMustBeWellFormed() throws {
  func file(checksum: String?) -> Data {
    let metadata = checksum.map { #","__metadata__":{"score_sde.crc32":"\#($0)"}"# } ?? ""
    var json = Data(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}\#(metadata)}"#.utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    data.append(contentsOf: [0, 0, 0x80, 0x3F])
    return data
  }
  let one = CRC32.checksum(of: [0, 0, 0x80, 0x3F] as [UInt8])
  #expect(try SafeTensors.decode(file(checksum: nil), as: Float.self).tensors["w"]?.values[0, 0] == 1)
  #expect(try SafeTensors.decode(file(checksum: String(format: "%08x", one)), as: Float.self).metadata == [:])
  #expect(try SafeTensors.decode(file(checksum: String(format: "%08X", one)), as: Float.self).metadata == [:])
  for bad in ["", "1234567", "123456789", "+1234567", "-1234567", "xyzxyzxy", "１２３４５６７８"] {
    #expect {
      try SafeTensors.decode(file(checksum: bad), as: Float.self)
    } throws: { error in
      guard case .invalidMetadata(let key, _) = error as? SafeTensorsError else { return false }
      return key == SafeTensors.checksumMetadataKey
    }
  }
}

/// Python's `zlib.crc32` of the data section (everything after the 8-byte length and the header)
/// is the stored checksum, and `safetensors` loads the file, key and all.
@Test(
  .enabled(
    if: pythonHasSafetensors, "python3 with safetensors and numpy is not installed (pip install safetensors)")
)
func pythonReproducesTheChecksum() throws {
  var rng = Xoshiro256(seed: 82)
  let model = MLP<Float>(configuration: MLPConfiguration(inputDimension: 2, width: 8, depth: 2), using: &rng)
  let url = temporaryFile("crc.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  try model.save(to: url)
  let script = """
    import json, struct, sys, zlib
    from safetensors import safe_open
    from safetensors.numpy import load_file
    data = open(sys.argv[1], "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    with safe_open(sys.argv[1], framework="np") as f:
        stored = f.metadata()["score_sde.crc32"]
    print(json.dumps({"computed": "%08x" % zlib.crc32(data[8 + n:]), "stored": stored,
                      "tensors": sorted(load_file(sys.argv[1]).keys())}))
    """
  let json = try #require(runPython(script, [url.path]))
  let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
  let computed = try #require(result["computed"] as? String)
  #expect(computed == result["stored"] as? String)
  let data = try Data(contentsOf: url)
  let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  #expect(computed == String(format: "%08x", CRC32.checksum(of: data[(8 + headerLength)...])))
  #expect(result["tensors"] as? [String] == model.namedTensors().names.sorted())
}
