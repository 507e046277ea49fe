public import Foundation
public import LinearAlgebra

/// A NumPy `.npy` file read through a read-only memory map, row by row, so that a file larger
/// than memory can feed training: only the rows that are read become resident, and
/// ``releaseResidentPages(rows:)`` drops them again.
///
/// The file must hold a C-order (row-major) array of 4- or 8-byte IEEE floats (`'<f4'`, `'<f8'`,
/// `'>f4'`, `'>f8'`, native `'='`/`'|'`), 2-D (`n × d`) or 1-D (an `n × 1` column). A value reads
/// as ``NumPyFile/read(from:as:)`` reads it: ``rows(_:as:)`` gives bit for bit the same rows,
/// and ``loadRow(_:into:)`` gives row `i` exactly as `Double` (a 4-byte float widens exactly).
/// Anything else is a ``FileFormatError`` naming the file, found when the file is opened:
/// a Fortran-order array (its rows are not contiguous), an unsupported dtype, a 0-D or 3-D
/// shape, a truncated file or one with bytes after the data, a folder, a missing file.
///
/// The file must not change while it is mapped (a file cut short under the map stops the
/// process with `SIGBUS`, as every memory map does).
///
/// ```swift
/// let file = try MappedNumPyFile(url: URL(fileURLWithPath: "big.npy"))   // 67 108 864 × 8
/// var row = [Double](repeating: 0, count: file.columns)
/// row.withUnsafeMutableBufferPointer { file.loadRow(12_345, into: $0) }
/// let first: Matrix<Float> = try file.rows(0..<1000)
/// ```
///
/// In Python the same file is `np.load("big.npy", mmap_mode="r")`.
public final class MappedNumPyFile: @unchecked Sendable {
  /// The file's name as given, for messages.
  public let name: String
  /// The parsed header.
  public let header: NumPyHeader
  /// The number of rows, `n`.
  public let rows: Int
  /// The number of columns, `d` (1 for a 1-D array).
  public let columns: Int
  /// The bytes of one element, 4 or 8.
  public let elementSize: Int
  /// Whether the file's byte order is the opposite of this machine's.
  public let byteSwapped: Bool
  /// The mapping (kept alive with this object).
  @usableFromInline let mapping: MappedFile
  /// The first byte of the data.
  @usableFromInline let data: UnsafeRawPointer?

  /// Maps the `.npy` file at `url` and checks its header against its size.
  ///
  /// - Parameter url: the file.
  /// - Throws: ``FileFormatError``: `unreadable` (missing, a folder, no permission),
  ///   `badMagic`, `unsupportedVersion`, `unparseableHeader`, `unsupportedDataType`,
  ///   `unsupportedShape` (a 0-D or 3-D array, or Fortran order), `sizeOverflow`, `truncated`,
  ///   `trailingData`.
  public init(url: URL) throws(FileFormatError) {
    let file = url.relativePath
    let mapping: MappedFile
    do {
      mapping = try MappedFile(path: url.path)
    } catch {
      throw FileFormatError(file: file, kind: .unreadable, detail: error.reason)
    }
    let header = try NumPyHeader(parsing: Self.headerBytes(of: mapping.bytes), file: file)
    let (itemSize, swapped) = try NumPyFile.elementType(header.dataType, file: file)
    let (rows, columns) = try header.matrixShape(file: file)
    if header.fortranOrder && rows > 1 && columns > 1 {
      throw FileFormatError(
        file: file, kind: .unsupportedShape,
        detail:
          "the array is stored in Fortran (column-major) order, whose rows are not contiguous, so it cannot "
          + "be read row by row through a memory map; save it in C order "
          + "(np.save(path, np.ascontiguousarray(x)))")
    }
    _ = try header.checkDataSize(
      rows: rows, columns: columns, itemSize: itemSize, fileSize: mapping.size, file: file)
    self.name = file
    self.header = header
    self.rows = rows
    self.columns = columns
    self.elementSize = itemSize
    self.byteSwapped = swapped
    self.mapping = mapping
    self.data = mapping.bytes.baseAddress.map { $0 + header.dataOffset }
  }

  /// The bytes of the preamble and the header dictionary (as many as the file has of them), for
  /// ``NumPyHeader/init(parsing:file:)``.
  static func headerBytes(of bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var length = bytes.count
    if bytes.count >= 8 {
      let lengthBytes = bytes[6] == 1 ? 2 : 4
      if bytes.count >= 8 + lengthBytes {
        var headerLength = 0
        for k in 0..<lengthBytes { headerLength |= Int(bytes[8 + k]) << (8 * k) }
        length = min(bytes.count, 8 + lengthBytes + headerLength)
      }
    }
    return Array(bytes[0..<length])
  }

  /// The size of the data in bytes, `rows · columns · elementSize`.
  public var dataByteCount: Int { rows * columns * elementSize }

  /// Entry `k` (row-major) as `Double`: exact for both element sizes.
  @inlinable
  func value(at k: Int) -> Double {
    let p = data.unsafelyUnwrapped
    if elementSize == 4 {
      let bits = p.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)
      return Double(Float(bitPattern: byteSwapped ? bits.byteSwapped : bits))
    }
    let bits = p.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)
    return Double(bitPattern: byteSwapped ? bits.byteSwapped : bits)
  }

  /// Writes row `i` as `Double` into `row` (which has ``columns`` entries); allocates nothing.
  ///
  /// - Parameters:
  ///   - i: the row, `0 ≤ i < rows`.
  ///   - row: the destination.
  @inlinable
  public func loadRow(_ i: Int, into row: UnsafeMutableBufferPointer<Double>) {
    precondition(i >= 0 && i < rows, "MappedNumPyFile: row \(i) of a file of \(rows) rows")
    precondition(row.count == columns, "MappedNumPyFile: \(row.count) entries for \(columns)-column rows")
    let start = i * columns
    for j in 0..<columns { row[j] = value(at: start + j) }
  }

  /// The rows `range` as a matrix of `S`, converted as ``NumPyFile/read(from:as:)`` converts:
  /// the same bits when the file's element has `S`'s size, else the nearest value.
  ///
  /// - Parameters:
  ///   - range: rows within `0..<rows`.
  ///   - type: the precision of the result.
  /// - Returns: a `range.count × columns` matrix.
  /// - Throws: ``FileFormatError`` of kind `outOfRange` for a finite 8-byte value that `Float`
  ///   cannot hold, naming its row and column.
  public func rows<S: BLASScalar>(_ range: Range<Int>, as type: S.Type = S.self) throws(FileFormatError)
    -> Matrix<S>
  {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= rows, "MappedNumPyFile: rows \(range) of \(rows)")
    var m = Matrix<S>(rows: range.count, columns: columns)
    let offset = range.lowerBound * columns
    var firstOutOfRange: (index: Int, value: Double)? = nil
    m.withUnsafeMutableBufferPointer { e in
      guard !e.isEmpty, let p = data else { return }
      if elementSize == MemoryLayout<S>.size {
        // Same width: copy the bits (exact, NaN payloads included), swapping bytes if needed.
        let out = UnsafeMutableRawBufferPointer(e)
        out.copyMemory(from: UnsafeRawBufferPointer(start: p + offset * elementSize, count: out.count))
        if byteSwapped { NumPyFile.reverseEachItem(out, itemSize: elementSize) }
      } else {
        for k in 0..<e.count {
          let v = value(at: offset + k)
          e[k] = S(v)
          if v.isFinite && !e[k].isFinite && firstOutOfRange == nil { firstOutOfRange = (k, v) }
        }
      }
    }
    if let (k, value) = firstOutOfRange {
      throw FileFormatError.outOfRange(
        "\(value) (row \(range.lowerBound + k / columns + 1), column \(k % columns + 1))", as: S.self,
        file: name)
    }
    return m
  }

  /// Tells the operating system how rows will be read: in order (a pass over the file) or at
  /// random (training batches); a hint for its read-ahead.
  ///
  /// - Parameter pattern: sequential or random.
  public func advise(_ pattern: MappedFile.AccessPattern) { mapping.advise(pattern) }

  /// Drops the pages of rows `range` (all rows by default) from this process's resident set; the
  /// rows stay readable.
  ///
  /// - Parameter range: the rows whose whole pages are released.
  public func releaseResidentPages(rows range: Range<Int>? = nil) {
    guard let range else { return mapping.releaseResidentPages() }
    let rowBytes = columns * elementSize
    let start = header.dataOffset + range.lowerBound * rowBytes
    mapping.releaseResidentPages(start..<(header.dataOffset + range.upperBound * rowBytes))
  }
}
