/// Why a safetensors file could not be read, written, or loaded into a model.
///
/// Every failure that depends on a file's contents is one of these, thrown, never a trap: a
/// truncated file, an absurd header length, a malformed header, a shape whose element count
/// overflows, data offsets outside the file, data whose checksum does not match, or tensors that
/// do not match the architecture.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read (the operating system's reason).
  case unreadable(path: String, reason: String)
  /// The file could not be written (the operating system's reason); nothing was left behind.
  case unwritable(path: String, reason: String)
  /// The file has fewer than the 8 bytes of the header length.
  case truncated(byteCount: Int)
  /// The header claims `length` bytes, more than the `available` bytes after the length field
  /// (or more than the 100 MB the format allows).
  case headerTooLarge(length: UInt64, available: Int)
  /// The JSON header is not valid (what was wrong).
  case malformedHeader(reason: String)
  /// A tensor has a data type other than `F32` or `F64`.
  case unsupportedDType(name: String, dtype: String)
  /// A tensor's shape has a negative dimension or an element count that overflows `Int`.
  case invalidShape(name: String, shape: [Int])
  /// A tensor's `data_offsets` are not `[begin, end]` with `0 ≤ begin ≤ end ≤ dataSize`.
  case offsetsOutOfRange(name: String, offsets: [Int], dataSize: Int)
  /// A tensor's byte range does not hold exactly `shape.product × size(dtype)` bytes.
  case sizeMismatch(name: String, shape: [Int], dtype: String, byteCount: Int)
  /// The tensors' byte ranges overlap, leave a gap, or do not end at the end of the file.
  case noncontiguousData(name: String, reason: String)
  /// A tensor the model needs is not in the file.
  case missingTensor(name: String)
  /// The file holds a tensor the model does not have.
  case unexpectedTensor(name: String)
  /// A tensor has another shape than the model's: the file is for another architecture.
  case shapeMismatch(name: String, expected: [Int], found: [Int])
  /// A metadata entry is missing or cannot be parsed.
  case invalidMetadata(key: String, reason: String)
  /// The data section's CRC-32 is `found`, not the `expected` value its header records
  /// (``SafeTensors/checksumMetadataKey``): the file was damaged after it was written (a flipped
  /// bit on disk or in a copy, an edited byte).
  case checksumMismatch(expected: UInt32, found: UInt32)

  /// A sentence saying what was wrong and where.
  public var description: String {
    switch self {
    case .unreadable(let path, let reason): return "Cannot read \(path): \(reason)"
    case .unwritable(let path, let reason): return "Cannot write \(path): \(reason)"
    case .truncated(let n): return "Truncated safetensors file: \(n) bytes, the header length alone needs 8"
    case .headerTooLarge(let length, let available):
      return
        "Safetensors header length \(length) exceeds the \(available) bytes available (or the 100 MB limit)"
    case .malformedHeader(let reason): return "Malformed safetensors header: \(reason)"
    case .unsupportedDType(let name, let dtype):
      return "Tensor \(name): unsupported dtype \(dtype) (need F32 or F64)"
    case .invalidShape(let name, let shape):
      return "Tensor \(name): invalid shape \(shape) (negative dimension or element count overflow)"
    case .offsetsOutOfRange(let name, let offsets, let dataSize):
      return "Tensor \(name): data_offsets \(offsets) outside the \(dataSize) data bytes"
    case .sizeMismatch(let name, let shape, let dtype, let byteCount):
      return "Tensor \(name): shape \(shape) of \(dtype) does not fill its \(byteCount) bytes"
    case .noncontiguousData(let name, let reason): return "Tensor \(name): \(reason)"
    case .missingTensor(let name): return "Tensor \(name) is missing from the file"
    case .unexpectedTensor(let name): return "The file has tensor \(name), which the model does not have"
    case .shapeMismatch(let name, let expected, let found):
      return
        "Tensor \(name) has shape \(found) in the file, the model needs \(expected) (another architecture?)"
    case .invalidMetadata(let key, let reason): return "Metadata \(key): \(reason)"
    case .checksumMismatch(let expected, let found):
      return
        "The file is corrupted: its tensor data have CRC-32 \(CRC32.hexDigits(found)), its header records "
        + "\(CRC32.hexDigits(expected)) (damaged on disk or in a copy; use an intact copy)"
    }
  }
}
