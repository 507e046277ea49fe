public import Foundation
public import LinearAlgebra

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) as matrices.
///
/// Supported element types are IEEE floats of 4 or 8 bytes in any byte order: `'<f4'`,
/// `'<f8'`, `'>f4'`, `'>f8'` (swapped on reading), and `'='`/`'|'` (native order). A 2-D array
/// becomes a matrix (C or Fortran order); a 1-D array of length n becomes an n × 1 column.
/// A finite 8-byte value that `Float` cannot hold (|x| > 3.4e38) is an error when reading as
/// `Float`, not an infinity; NaN and infinities in the file are kept as they are.
/// Anything else — integer, object or structured dtypes, 0-D or 3-D arrays, a truncated file,
/// a shape whose size overflows or exceeds the file — is a ``FileFormatError`` naming the file;
/// nothing is allocated for a claimed size before the file is known to hold it.
///
/// Writing uses format 1.0, dtype `'<f4'` for `Float` and `'<f8'` for `Double`, C order and a
/// header padded to 64 bytes as NumPy does, and replaces the file atomically. Reading back a
/// written file gives the same bits.
///
/// ```swift
/// try NumPyFile.write(samples, to: URL(fileURLWithPath: "samples.npy"))
/// let x: Matrix<Double> = try NumPyFile.read(from: URL(fileURLWithPath: "samples.npy"))
/// ```
///
/// In Python: `np.load("samples.npy")` and `np.save("data.npy", x.astype(np.float32))`.
public enum NumPyFile {
  /// Reads a `.npy` file into a matrix, converting its element type to `S`.
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - type: the precision of the result.
  /// - Returns: the array as an `n × d` matrix (`n × 1` for a 1-D array).
  /// - Throws: ``FileFormatError`` saying what is wrong with the file.
  public static func read<S: BLASScalar>(from url: URL, as type: S.Type = S.self) throws(FileFormatError)
    -> Matrix<S>
  {
    return try decode(try FileFormatError.bytes(of: url), file: url.relativePath)
  }

  /// Decodes the bytes of a `.npy` file.
  ///
  /// - Parameters:
  ///   - bytes: the whole file.
  ///   - file: the file's name, for error messages.
  /// - Returns: the array as a matrix.
  /// - Throws: ``FileFormatError``.
  public static func decode<S: BLASScalar>(_ bytes: [UInt8], file: String) throws(FileFormatError) -> Matrix<
    S
  > {
    let header = try NumPyHeader(parsing: bytes, file: file)
    let (itemSize, swapped) = try elementType(header.dataType, file: file)
    let (rows, columns) = try header.matrixShape(file: file)
    let count = try header.checkDataSize(
      rows: rows, columns: columns, itemSize: itemSize, fileSize: bytes.count, file: file)
    var m = Matrix<S>(
      rows: header.fortranOrder ? columns : rows, columns: header.fortranOrder ? rows : columns)
    var firstOutOfRange: (index: Int, value: Double)? = nil
    bytes.withUnsafeBytes { raw in
      let payload = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
      m.withUnsafeMutableBufferPointer { e in
        if itemSize == MemoryLayout<S>.size {
          // Same width: copy the bits (exact, NaN payloads included), swapping bytes if needed.
          let out = UnsafeMutableRawBufferPointer(e)
          out.copyMemory(from: payload)
          if swapped { reverseEachItem(out, itemSize: itemSize) }
        } else if itemSize == 4 {
          for k in 0..<count {
            let bits = payload.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)
            e[k] = S(Float(bitPattern: swapped ? bits.byteSwapped : bits))
          }
        } else {
          for k in 0..<count {
            let bits = payload.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)
            let value = Double(bitPattern: swapped ? bits.byteSwapped : bits)
            e[k] = S(value)
            if value.isFinite && !e[k].isFinite && firstOutOfRange == nil { firstOutOfRange = (k, value) }
          }
        }
      }
    }
    if let (k, value) = firstOutOfRange {
      // Fortran order stores the transpose in C order.
      let (row, column) = header.fortranOrder ? (k % rows, k / rows) : (k / columns, k % columns)
      throw FileFormatError.outOfRange(
        "\(value) (row \(row + 1), column \(column + 1))", as: S.self, file: file)
    }
    // Fortran order stores the transpose in C order.
    return header.fortranOrder ? m.transposed() : m
  }

  /// The item size of a supported `descr` and whether its bytes must be swapped on this machine.
  static func elementType(_ descr: String, file: String) throws(FileFormatError) -> (size: Int, swapped: Bool)
  {
    let hostIsLittle = 1.littleEndian == 1
    var code = Substring(descr)
    var littleEndian = hostIsLittle
    switch code.first {
    case "<":
      littleEndian = true
      code = code.dropFirst()
    case ">":
      littleEndian = false
      code = code.dropFirst()
    case "=", "|":
      code = code.dropFirst()
    default: break
    }
    let size: Int
    switch code {
    case "f4": size = 4
    case "f8": size = 8
    default:
      throw FileFormatError(
        file: file, kind: .unsupportedDataType,
        detail: "dtype '\(descr)' is not supported (only 4- and 8-byte floats: '<f4', '<f8', '>f4', '>f8')")
    }
    return (size, littleEndian != hostIsLittle)
  }

  /// Reverses the bytes of each `itemSize`-byte item in place.
  static func reverseEachItem(_ buffer: UnsafeMutableRawBufferPointer, itemSize: Int) {
    var start = 0
    while start + itemSize <= buffer.count {
      var lo = start
      var hi = start + itemSize - 1
      while lo < hi {
        buffer.swapAt(lo, hi)
        lo += 1
        hi -= 1
      }
      start += itemSize
    }
  }

  /// The header of a `.npy` file (format 1.0, little-endian, C order) for a `rows × columns`
  /// array of `S`, padded so that the data start at a multiple of 64 bytes. The data follow as
  /// `rows · columns` little-endian values, row by row: write the header, then the rows as they
  /// come (``encodedRows(_:)``), to stream a file larger than memory.
  ///
  /// - Parameters:
  ///   - rows: the number of rows.
  ///   - columns: the number of columns.
  ///   - type: `Float` gives dtype `'<f4'`, `Double` `'<f8'`.
  /// - Returns: the header's bytes.
  public static func header<S: BLASScalar>(rows: Int, columns: Int, of type: S.Type = S.self) -> [UInt8] {
    let itemSize = MemoryLayout<S>.size
    precondition(itemSize == 4 || itemSize == 8, "NumPyFile writes 4- or 8-byte floats, not \(S.self)")
    var dict = "{'descr': '<f\(itemSize)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    // Pad with spaces so that the data start at a multiple of 64 bytes, then end with a newline.
    let unpadded = 10 + dict.utf8.count + 1
    dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let headerLength = dict.utf8.count
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    bytes.append(UInt8(headerLength & 0xFF))
    bytes.append(UInt8(headerLength >> 8))
    bytes.append(contentsOf: dict.utf8)
    return bytes
  }

  /// The data bytes of `matrix`'s rows in a `.npy` file: little-endian values, row by row.
  ///
  /// - Parameter matrix: the rows.
  /// - Returns: `matrix.count · MemoryLayout<S>.size` bytes.
  public static func encodedRows<S: BLASScalar>(_ matrix: Matrix<S>) -> [UInt8] {
    let itemSize = MemoryLayout<S>.size
    var bytes = [UInt8](repeating: 0, count: matrix.count * itemSize)
    bytes.withUnsafeMutableBytes { out in
      matrix.withUnsafeBufferPointer { e in out.copyMemory(from: UnsafeRawBufferPointer(e)) }
      if 1.littleEndian != 1 { reverseEachItem(out, itemSize: itemSize) }
    }
    return bytes
  }

  /// The bytes of a `.npy` file (format 1.0, little-endian, C order) holding `matrix`.
  ///
  /// - Parameter matrix: the data; `Float` gives dtype `'<f4'`, `Double` `'<f8'`.
  /// - Returns: the file's contents.
  public static func encode<S: BLASScalar>(_ matrix: Matrix<S>) -> [UInt8] {
    header(rows: matrix.rows, columns: matrix.columns, of: S.self) + encodedRows(matrix)
  }

  /// Writes `matrix` to a `.npy` file through an `OutputFile`: the destination is checked
  /// before anything is written and replaced atomically (a temporary file renamed into place),
  /// so an interrupted write never leaves a half-written file; a symbolic link is written
  /// through and a replaced file keeps its permissions.
  ///
  /// - Parameters:
  ///   - matrix: the data (`Float` → `'<f4'`, `Double` → `'<f8'`).
  ///   - url: the destination; an existing file is replaced.
  /// - Throws: ``FileFormatError`` of kind `unwritable`, saying why.
  public static func write<S: BLASScalar>(_ matrix: Matrix<S>, to url: URL) throws(FileFormatError) {
    try FileFormatError.write(encode(matrix), to: url)
  }
}
