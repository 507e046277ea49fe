public import Foundation

/// The CRC-32 of IEEE 802.3, zlib, gzip and PNG: the cyclic redundancy check with the generator
/// polynomial `0x04C11DB7`, bits processed least significant first (the reflected polynomial
/// `0xEDB88320`), initial value and final XOR `0xFFFFFFFF`.
///
/// It is the checksum of Python's `zlib.crc32(data)` and of `binascii.crc32`, so a file's
/// checksum can be verified without this library. It detects every error burst of at most 32
/// bits (in particular every flipped bit) and misses a random corruption with probability 2⁻³².
/// It is not a cryptographic hash: it guards against accidents, not against tampering.
///
/// Computed eight bytes at a time by slicing (Kounavis & Berry 2005, "A Systematic Approach to
/// Building High Performance Software-based CRC Generators"): eight 256-entry tables, where
/// `T₀` is the byte-wise table and `Tₖ[i] = (Tₖ₋₁[i] >> 8) ⊕ T₀[Tₖ₋₁[i] & 0xFF]` advances a
/// byte's contribution by `k` more zero bytes, so that eight bytes cost eight lookups.
///
/// ```swift
/// CRC32.checksum(of: Array("123456789".utf8))    // 0xCBF43926, the standard check value
/// var crc = CRC32()
/// crc.update(with: Array("12345".utf8))
/// crc.update(with: Array("6789".utf8))            // the same value, computed in pieces
/// ```
public struct CRC32: Sendable, Hashable {
  /// The running register, `crc ⊕ 0xFFFFFFFF`.
  var register: UInt32 = 0xFFFF_FFFF

  /// The checksum of no bytes (0).
  public init() {}

  /// The checksum of the bytes given so far.
  public var value: UInt32 { register ^ 0xFFFF_FFFF }

  /// The checksum as eight lowercase hexadecimal digits, such as `"cbf43926"`.
  public var hexDigits: String { Self.hexDigits(value) }

  /// Eight lowercase hexadecimal digits of `value`, zero-padded.
  static func hexDigits(_ value: UInt32) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }

  /// The checksum of `bytes`.
  ///
  /// - Parameter bytes: the data, such as a `Data` or a `[UInt8]`.
  /// - Returns: the CRC-32.
  public static func checksum(of bytes: some DataProtocol) -> UInt32 {
    var crc = CRC32()
    crc.update(with: bytes)
    return crc.value
  }

  /// Continues the checksum over `bytes`.
  ///
  /// - Parameter bytes: the next bytes.
  public mutating func update(with bytes: some DataProtocol) {
    for region in bytes.regions {
      region.withUnsafeBytes { update(with: $0) }
    }
  }

  /// Continues the checksum over the bytes in `buffer`.
  ///
  /// - Parameter buffer: the next bytes.
  /// - Complexity: O(n), eight table lookups per eight bytes.
  public mutating func update(with buffer: UnsafeRawBufferPointer) {
    var crc = register
    let n = buffer.count
    var k = 0
    Self.tables.withUnsafeBufferPointer { t in
      while k + 8 <= n {
        let low = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: k, as: UInt32.self)) ^ crc
        let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: k + 4, as: UInt32.self))
        crc =
          t[7 << 8 | Int(low & 0xFF)] ^ t[6 << 8 | Int((low >> 8) & 0xFF)]
          ^ t[5 << 8 | Int((low >> 16) & 0xFF)] ^ t[4 << 8 | Int(low >> 24)]
          ^ t[3 << 8 | Int(high & 0xFF)] ^ t[2 << 8 | Int((high >> 8) & 0xFF)]
          ^ t[1 << 8 | Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
        k += 8
      }
      while k < n {
        crc = t[Int((crc ^ UInt32(buffer[k])) & 0xFF)] ^ (crc >> 8)
        k += 1
      }
    }
    register = crc
  }

  /// `T₀ … T₇`, 256 entries each, one after the other.
  static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var c = UInt32(i)
      for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      t[i] = c
    }
    for k in 1..<8 {
      for i in 0..<256 {
        let previous = t[(k - 1) << 8 | i]
        t[k << 8 | i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
      }
    }
    return t
  }()
}
