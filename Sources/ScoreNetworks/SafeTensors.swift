public import Foundation
public import LinearAlgebra

/// Reading and writing the safetensors format (Hugging Face), the file format of PyTorch and JAX
/// checkpoints that loads without executing code.
///
/// Layout: an 8-byte little-endian unsigned header length `N`; `N` bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"key": "value"}}`; then the raw little-endian tensor bytes, each tensor at
/// `[begin, end)` relative to the end of the header, row-major (C order). Tensors are written
/// in the order given, back to back; the header is padded with spaces so that the data starts
/// at a multiple of 8 bytes.
///
/// **Checksum.** Every file this library writes records the CRC-32 (``CRC32``, zlib's) of its
/// data section — every byte after the 8-byte length and the JSON header — as eight lowercase
/// hexadecimal digits under the metadata key ``checksumMetadataKey`` (`score_sde.crc32`), and
/// ``decode(_:as:)`` verifies it, so that a flipped bit in a weight is refused rather than
/// sampled with. In Python, `zlib.crc32(data[8 + n:])` reproduces it. Files without the key
/// (written by other tools) load unchecked; other tools ignore it.
///
/// Shapes are PyTorch's: a `Dense` weight is `[out, in]` exactly as `nn.Linear.weight`, so
/// `safetensors.torch.load_file` gives a `state_dict` that loads into the matching PyTorch
/// module without transposes.
///
/// ```swift
/// try SafeTensors.write(model.parameters.namedTensors(), metadata: ["note": "demo"], to: url)
/// let (tensors, metadata) = try SafeTensors.read(from: url, as: Float.self)
/// ```
public enum SafeTensors {
  /// The largest header accepted, as in the reference implementation (100 MB).
  public static let maximumHeaderLength = 100_000_000

  /// The dtype name of a precision: `"F32"` for `Float`, `"F64"` for `Double`.
  public static func dtype<S: BLASScalar>(of _: S.Type) -> String {
    MemoryLayout<S>.size == 4 ? "F32" : "F64"
  }

  /// The metadata key of the data section's CRC-32, written by ``encode(_:metadata:)`` and
  /// checked by ``decode(_:as:)``: `score_sde.crc32`, eight lowercase hexadecimal digits.
  public static let checksumMetadataKey = "score_sde.crc32"

  /// The file contents for `tensors` and `metadata` (in the precision of `S`), with the CRC-32
  /// of the data section under ``checksumMetadataKey`` (a value given for that key is replaced).
  ///
  /// The bytes are a function of the arguments alone: the header's keys are sorted, and nothing
  /// else (no date, no host) is recorded, so equal tensors and metadata give identical files.
  public static func encode<S: BLASScalar>(_ tensors: NamedTensors<S>, metadata: [String: String] = [:])
    -> Data
  {
    let size = MemoryLayout<S>.size
    precondition(size == 4 || size == 8, "safetensors: \(S.self) is neither 4 nor 8 bytes")
    var header: [String: Any] = [:]
    var offset = 0
    var crc = CRC32()
    for t in tensors.entries {
      let bytes = t.values.count * size
      header[t.name] = [
        "dtype": dtype(of: S.self), "shape": t.shape, "data_offsets": [offset, offset + bytes],
      ]
      offset += bytes
      withLittleEndianBytes(of: t.values) { crc.update(with: $0) }
    }
    var fullMetadata = metadata
    fullMetadata[checksumMetadataKey] = crc.hexDigits
    header["__metadata__"] = fullMetadata
    // JSONSerialization cannot fail on a dictionary of strings, integers and arrays of them.
    var json = try! JSONSerialization.data(
      withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for t in tensors.entries {
      withLittleEndianBytes(of: t.values) { bytes in
        if let base = bytes.baseAddress {
          data.append(base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        }
      }
    }
    return data
  }

  /// Calls `body` with the entries of `values` as little-endian bytes (the entries' own memory
  /// on a little-endian machine, a byte-swapped copy otherwise).
  static func withLittleEndianBytes<S: BLASScalar>(
    of values: Matrix<S>, _ body: (UnsafeRawBufferPointer) -> Void
  ) {
    values.withUnsafeBufferPointer { values in
      #if _endian(big)
        var swapped: [UInt8] = []
        swapped.reserveCapacity(values.count * MemoryLayout<S>.size)
        for x in values {
          withUnsafeBytes(of: x) { swapped.append(contentsOf: $0.reversed()) }
        }
        swapped.withUnsafeBytes(body)
      #else
        body(UnsafeRawBufferPointer(values))
      #endif
    }
  }

  /// Writes `tensors` and `metadata` to `url` through an `OutputFile`: the destination is
  /// checked before anything is written and replaced atomically (a temporary file renamed into
  /// place), so that a crash never leaves a half-written file; a symbolic link is written
  /// through and a replaced file keeps its permissions.
  /// - Throws: ``SafeTensorsError/unwritable(path:reason:)`` saying why.
  public static func write<S: BLASScalar>(
    _ tensors: NamedTensors<S>, metadata: [String: String] = [:], to url: URL
  ) throws(SafeTensorsError) {
    do {
      try OutputFile.write([UInt8](encode(tensors, metadata: metadata)), to: url.path)
    } catch {
      throw .unwritable(path: url.relativePath, reason: error.reason)
    }
  }

  /// Reads the tensors and metadata of the file at `url`, converted to `S` (a file of `F64`
  /// read as `Float` is rounded to nearest).
  /// - Throws: ``SafeTensorsError/unreadable(path:reason:)`` (a folder, a FIFO, a missing file,
  ///   no permission) and the format errors of ``decode(_:as:)``.
  public static func read<S: BLASScalar>(
    from url: URL, as type: S.Type = S.self
  ) throws(SafeTensorsError) -> (tensors: NamedTensors<S>, metadata: [String: String]) {
    let bytes: [UInt8]
    do {
      bytes = try InputFile.bytes(at: url.path)
    } catch {
      throw .unreadable(path: url.relativePath, reason: error.reason)
    }
    return try decode(Data(bytes), as: type)
  }

  /// The `__metadata__` of the file at `url`, reading only its header (the tensors are neither
  /// read nor checked).
  /// - Throws: ``SafeTensorsError/unreadable(path:reason:)``, ``SafeTensorsError/truncated(byteCount:)``,
  ///   ``SafeTensorsError/headerTooLarge(length:available:)`` or
  ///   ``SafeTensorsError/malformedHeader(reason:)``.
  public static func metadata(from url: URL) throws(SafeTensorsError) -> [String: String] {
    var bytes: [UInt8]
    do {
      let file = try InputFile(path: url.path)
      bytes = try file.read(upTo: 8)
      guard bytes.count == 8 else { throw SafeTensorsError.truncated(byteCount: bytes.count) }
      var length: UInt64 = 0
      for k in 0..<8 { length |= UInt64(bytes[k]) << UInt64(8 * k) }
      // Only the header is read, its length checked against the file's size first.
      guard length <= UInt64(min(file.size - 8, maximumHeaderLength)) else {
        throw SafeTensorsError.headerTooLarge(length: length, available: file.size - 8)
      }
      bytes += try file.read(upTo: Int(length))
    } catch let error as FileAccessError {
      throw .unreadable(path: url.relativePath, reason: error.reason)
    } catch let error as SafeTensorsError {
      throw error
    } catch {
      throw .unreadable(path: url.relativePath, reason: "\(error)")
    }
    return try header(of: Data(bytes)).header.metadata
  }

  /// The parsed header of safetensors bytes and its length in bytes, the length checked against
  /// the file size first (nothing is allocated for an absurd length).
  static func header(of data: Data) throws(SafeTensorsError) -> (header: Header, length: Int) {
    guard data.count >= 8 else { throw .truncated(byteCount: data.count) }
    let start = data.startIndex
    var length: UInt64 = 0
    for k in 0..<8 { length |= UInt64(data[start + k]) << UInt64(8 * k) }
    let available = data.count - 8
    guard length <= UInt64(min(available, maximumHeaderLength)) else {
      throw .headerTooLarge(length: length, available: available)
    }
    return (try parseHeader(data[(start + 8)..<(start + 8 + Int(length))]), Int(length))
  }

  /// Parses safetensors bytes, checking everything before touching tensor data: the header
  /// length against the file size (nothing is allocated for an absurd length), the JSON, each
  /// dtype, shape (no overflow of the element count) and byte range (inside the data, of the
  /// right size, the ranges contiguous and covering the data), then the data section's CRC-32
  /// when the header records one (``checksumMetadataKey``). Tensors come in file order; the
  /// metadata is returned without the checksum entry, so it equals what was encoded.
  /// - Throws: a ``SafeTensorsError`` saying what is wrong and for which tensor;
  ///   ``SafeTensorsError/checksumMismatch(expected:found:)`` for data that changed after they
  ///   were written.
  public static func decode<S: BLASScalar>(
    _ data: Data, as type: S.Type = S.self
  ) throws(SafeTensorsError) -> (tensors: NamedTensors<S>, metadata: [String: String]) {
    let start = data.startIndex
    let (header, headerLength) = try Self.header(of: data)
    let available = data.count - 8
    let dataStart = start + 8 + headerLength
    let dataSize = available - headerLength

    // Validate every entry, then the layout of the byte ranges.
    var layout: [(name: String, shape: [Int], dtype: String, begin: Int, end: Int)] = []
    for (name, entry) in header.tensors {
      let elementSize: Int
      switch entry.dtype {
      case "F32": elementSize = 4
      case "F64": elementSize = 8
      default: throw .unsupportedDType(name: name, dtype: entry.dtype)
      }
      var count = 1
      for dimension in entry.shape {
        guard dimension >= 0 else { throw .invalidShape(name: name, shape: entry.shape) }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw .invalidShape(name: name, shape: entry.shape) }
        count = product
      }
      let offsets = entry.dataOffsets
      guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
        throw .offsetsOutOfRange(name: name, offsets: offsets, dataSize: dataSize)
      }
      let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
      guard !overflow, bytes == offsets[1] - offsets[0] else {
        throw .sizeMismatch(
          name: name, shape: entry.shape, dtype: entry.dtype, byteCount: offsets[1] - offsets[0])
      }
      layout.append((name, entry.shape, entry.dtype, offsets[0], offsets[1]))
    }
    layout.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var position = 0
    for t in layout {
      guard t.begin == position else {
        throw .noncontiguousData(
          name: t.name,
          reason: t.begin < position
            ? "its bytes [\(t.begin), \(t.end)) overlap the previous tensor's, which end at \(position)"
            : "a gap of unused bytes [\(position), \(t.begin)) precedes it")
      }
      position = t.end
    }
    guard position == dataSize else {
      throw .noncontiguousData(
        name: layout.last?.name ?? "(none)",
        reason: "the tensors end at byte \(position) of \(dataSize) data bytes; the rest is unused")
    }
    if let hex = header.checksum {
      let isHexDigit = { (c: UInt8) in
        (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
      }
      guard hex.utf8.count == 8, hex.utf8.allSatisfy(isHexDigit), let stored = UInt32(hex, radix: 16) else {
        throw .invalidMetadata(key: checksumMetadataKey, reason: "'\(hex)' is not 8 hexadecimal digits")
      }
      let found = CRC32.checksum(of: data[dataStart...])
      guard found == stored else { throw .checksumMismatch(expected: stored, found: found) }
    }

    var tensors = NamedTensors<S>()
    data.withUnsafeBytes { raw in
      for t in layout {
        let count = (t.end - t.begin) / (t.dtype == "F32" ? 4 : 8)
        let rows = t.shape.count >= 2 ? t.shape[0] : 1
        let columns = rows == 0 ? 0 : count / rows
        var values = Matrix<S>(rows: rows, columns: columns)
        let base = dataStart - start + t.begin
        values.withUnsafeMutableBufferPointer { out in
          if t.dtype == "F32" {
            for k in 0..<count {
              let bits = UInt32(
                littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * k, as: UInt32.self))
              out[k] = S(Float(bitPattern: bits))
            }
          } else {
            for k in 0..<count {
              let bits = UInt64(
                littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * k, as: UInt64.self))
              out[k] = S(Double(bitPattern: bits))
            }
          }
        }
        tensors.append(name: t.name, shape: t.shape, values: values)
      }
    }
    return (tensors, header.metadata)
  }

  struct HeaderEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]
    enum CodingKeys: String, CodingKey {
      case dtype, shape
      case dataOffsets = "data_offsets"
    }
  }

  struct Header: Decodable {
    var tensors: [(String, HeaderEntry)] = []
    /// The `__metadata__`, without the checksum entry.
    var metadata: [String: String] = [:]
    /// The recorded CRC-32 of the data section, if any, as written (checked by `decode`).
    var checksum: String?

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      for key in container.allKeys {
        if key.stringValue == "__metadata__" {
          metadata = try container.decode([String: String].self, forKey: key)
          checksum = metadata.removeValue(forKey: SafeTensors.checksumMetadataKey)
        } else {
          tensors.append((key.stringValue, try container.decode(HeaderEntry.self, forKey: key)))
        }
      }
    }
  }

  static func parseHeader(_ bytes: Data) throws(SafeTensorsError) -> Header {
    guard bytes.first == UInt8(ascii: "{") else {
      throw .malformedHeader(reason: "the header does not start with '{'")
    }
    do {
      return try JSONDecoder().decode(Header.self, from: bytes)
    } catch {
      throw .malformedHeader(reason: "\(error)")
    }
  }
}
