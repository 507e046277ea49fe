public import LinearAlgebra

/// Where a matrix holds NaN or infinite entries.
public struct NonFiniteReport: Sendable, Equatable {
  /// The first non-finite entry in row-major order, 0-based.
  public let firstRow: Int
  /// The column of the first non-finite entry, 0-based.
  public let firstColumn: Int
  /// The value of the first non-finite entry (NaN, +∞ or −∞).
  public let firstValue: Double
  /// The number of non-finite entries.
  public let count: Int

  @usableFromInline
  init(firstRow: Int, firstColumn: Int, firstValue: Double, count: Int) {
    self.firstRow = firstRow
    self.firstColumn = firstColumn
    self.firstValue = firstValue
    self.count = count
  }
}

extension Matrix {
  /// The location of the first NaN or infinite entry and the number of them, or `nil` when every
  /// entry is finite.
  ///
  /// ```swift
  /// if let bad = x.nonFiniteReport() { print("row \(bad.firstRow) is \(bad.firstValue)") }
  /// ```
  ///
  /// - Complexity: O(rows · columns), no allocation.
  @inlinable
  public func nonFiniteReport() -> NonFiniteReport? {
    let c = columns
    return withUnsafeBufferPointer { e -> NonFiniteReport? in
      var first = -1
      var count = 0
      for k in 0..<e.count where !e[k].isFinite {
        if first < 0 { first = k }
        count += 1
      }
      guard first >= 0 else { return nil }
      return NonFiniteReport(
        firstRow: first / Swift.max(c, 1), firstColumn: first % Swift.max(c, 1),
        firstValue: Double(e[first]), count: count)
    }
  }
}

/// Throws when `data` holds a NaN or an infinity, naming `source` and the first bad entry.
///
/// Loading keeps non-finite values (they may be meaningful to the caller); call this before
/// training, where a single NaN would poison every parameter.
///
/// ```swift
/// let x: Matrix<Float> = try NumPyFile.read(from: url)
/// try checkFinite(x, source: url.lastPathComponent)
/// ```
///
/// - Parameters:
///   - data: the samples, one per row.
///   - source: a name for the data in the message, such as the file name.
/// - Throws: ``DataError/nonFinite(source:row:column:value:count:)``.
@inlinable
public func checkFinite<S: BLASScalar>(_ data: Matrix<S>, source: String) throws(DataError) {
  if let bad = data.nonFiniteReport() {
    throw DataError.nonFinite(
      source: source, row: bad.firstRow, column: bad.firstColumn, value: bad.firstValue, count: bad.count)
  }
}
