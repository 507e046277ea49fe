/// A dense, row-major matrix of `Float` or `Double` with copy-on-write value semantics.
///
/// Rows are samples and columns are dimensions: a batch of `n` points in `d` dimensions is an
/// `n × d` matrix. Element `(i, j)` lives at `elements[i * columns + j]`.
///
/// ```swift
/// var a = Matrix<Double>([[1, 2], [3, 4]])
/// a[0, 1] = 5
/// let b = a * a.transposed()   // BLAS gemm
/// ```
///
/// Per-step code (training, sampling) should use the in-place and `into:` forms, which do not
/// allocate once their outputs exist.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
  @usableFromInline var _rows: Int
  @usableFromInline var _columns: Int
  @usableFromInline var storage: [Scalar]

  /// The number of rows (samples).
  @inlinable public var rows: Int { _rows }
  /// The number of columns (dimensions).
  @inlinable public var columns: Int { _columns }
  /// The entries in row-major order; `elements.count == rows * columns`.
  @inlinable public var elements: [Scalar] { storage }

  /// A matrix with every entry equal to `value`.
  @inlinable
  public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape \(rows)×\(columns) must be non-negative")
    precondition(
      !rows.multipliedReportingOverflow(by: columns).overflow,
      "Matrix shape \(rows)×\(columns): the element count overflows Int")
    self._rows = rows
    self._columns = columns
    self.storage = [Scalar](repeating: value, count: rows * columns)
  }

  /// A matrix over `elements` in row-major order.
  @inlinable
  public init(rows: Int, columns: Int, elements: [Scalar]) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape \(rows)×\(columns) must be non-negative")
    precondition(
      !rows.multipliedReportingOverflow(by: columns).overflow,
      "Matrix shape \(rows)×\(columns): the element count overflows Int")
    precondition(
      elements.count == rows * columns,
      "Matrix \(rows)×\(columns) needs \(rows * columns) elements, got \(elements.count)")
    self._rows = rows
    self._columns = columns
    self.storage = elements
  }

  /// A matrix from an array of equally long rows.
  @inlinable
  public init(_ rowArrays: [[Scalar]]) {
    let columns = rowArrays.first?.count ?? 0
    for (i, row) in rowArrays.enumerated() {
      precondition(row.count == columns, "Row \(i) has \(row.count) entries, row 0 has \(columns)")
    }
    self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.flatMap { $0 })
  }

  /// An `n × n` identity matrix.
  @inlinable
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n { m.storage[i * n + i] = 1 }
    return m
  }

  /// A square matrix with `diagonal` on its diagonal.
  @inlinable
  public init(diagonal: [Scalar]) {
    let n = diagonal.count
    self.init(rows: n, columns: n)
    for i in 0..<n { storage[i * n + i] = diagonal[i] }
  }

  /// `(rows, columns)`.
  @inlinable public var shape: (rows: Int, columns: Int) { (rows, columns) }

  /// The number of entries, `rows * columns`.
  @inlinable public var count: Int { elements.count }

  /// A text description of the shape, such as `"3×2"`, for error messages.
  @inlinable public var shapeDescription: String { "\(rows)×\(columns)" }

  /// Whether `other` has this matrix's rows and columns.
  @inlinable
  public func hasShape<T: BLASScalar>(of other: Matrix<T>) -> Bool {
    rows == other.rows && columns == other.columns
  }

  /// The entry in row `row` and column `column`.
  @inlinable
  public subscript(row: Int, column: Int) -> Scalar {
    get {
      precondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "Index (\(row), \(column)) out of range for a \(shapeDescription) matrix")
      return elements[row * columns + column]
    }
    set {
      precondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "Index (\(row), \(column)) out of range for a \(shapeDescription) matrix")
      storage[row * columns + column] = newValue
    }
  }

  /// Row `i` as an array.
  @inlinable
  public func row(_ i: Int) -> [Scalar] {
    precondition(i >= 0 && i < rows, "Row \(i) out of range for a \(shapeDescription) matrix")
    return Array(elements[(i * columns)..<((i + 1) * columns)])
  }

  /// Column `j` as an array.
  @inlinable
  public func column(_ j: Int) -> [Scalar] {
    precondition(j >= 0 && j < columns, "Column \(j) out of range for a \(shapeDescription) matrix")
    return (0..<rows).map { elements[$0 * columns + j] }
  }

  /// The rows in `range`, as a new matrix.
  @inlinable
  public func rows(_ range: Range<Int>) -> Matrix {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= rows,
      "Rows \(range) out of range for a \(shapeDescription) matrix")
    return Matrix(
      rows: range.count, columns: columns,
      elements: Array(elements[(range.lowerBound * columns)..<(range.upperBound * columns)]))
  }

  /// Copies rows `range` of `source` into this matrix's rows `destination ..< destination +
  /// range.count`, without allocating; the column counts must match. Gathering a block of rows,
  /// scattering a block into a larger result and moving rows between tiles are all this call.
  ///
  /// ```swift
  /// var result = Matrix<Double>(rows: 10, columns: 2)
  /// result.copyRows(0..<4, of: block, to: 6)   // block's rows 0–3 become result's rows 6–9
  /// ```
  @inlinable
  public mutating func copyRows(_ range: Range<Int>, of source: Matrix, to destination: Int) {
    precondition(
      columns == source.columns && range.lowerBound >= 0 && range.upperBound <= source.rows
        && destination >= 0 && destination + range.count <= rows,
      "copyRows: rows \(range) of a \(source.shapeDescription) matrix to row \(destination) of a \(shapeDescription) one"
    )
    let (c, from, to) = (columns, range.lowerBound * columns, destination * columns)
    storage.withUnsafeMutableBufferPointer { target in
      source.storage.withUnsafeBufferPointer { s in
        for k in 0..<(range.count * c) { target[to + k] = s[from + k] }
      }
    }
  }

  /// Overwrites row `i` with `values`.
  @inlinable
  public mutating func setRow(_ i: Int, to values: [Scalar]) {
    precondition(i >= 0 && i < rows, "Row \(i) out of range for a \(shapeDescription) matrix")
    precondition(values.count == columns, "Row of \(values.count) values for a \(shapeDescription) matrix")
    let c = columns
    storage.withUnsafeMutableBufferPointer { e in
      for j in 0..<c { e[i * c + j] = values[j] }
    }
  }

  /// Changes the shape, keeping the row-major entries; `rows * columns` must not change.
  @inlinable
  public func reshaped(rows: Int, columns: Int) -> Matrix {
    Matrix(rows: rows, columns: columns, elements: elements)
  }

  /// Resizes in place to `rows × columns`, reusing the storage when the count is unchanged.
  /// Entries are unspecified afterwards (zero when the storage grows); use it to recycle a
  /// buffer whose contents will be overwritten.
  @inlinable
  public mutating func resize(rows: Int, columns: Int) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape \(rows)×\(columns) must be non-negative")
    let n = rows * columns
    if n != elements.count {
      if n < elements.count {
        storage.removeLast(storage.count - n)
      } else {
        storage.append(contentsOf: repeatElement(0, count: n - storage.count))
      }
    }
    self._rows = rows
    self._columns = columns
  }

  /// The transpose, as a new matrix.
  @inlinable
  public func transposed() -> Matrix {
    var t = Matrix(rows: columns, columns: rows)
    storage.withUnsafeBufferPointer { a in
      t.storage.withUnsafeMutableBufferPointer { b in
        for i in 0..<rows {
          for j in 0..<columns { b[j * rows + i] = a[i * columns + j] }
        }
      }
    }
    return t
  }

  /// A matrix of the same shape with `transform` applied to each entry.
  @inlinable
  public func map(_ transform: (Scalar) throws -> Scalar) rethrows -> Matrix {
    Matrix(rows: rows, columns: columns, elements: try elements.map(transform))
  }

  /// Calls `body` with the row-major entries.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with mutable access to the row-major entries (the shape cannot change).
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress
      let count = buffer.count
      let result = try body(&buffer)
      precondition(buffer.baseAddress == base && buffer.count == count, "The buffer must not be replaced")
      return result
    }
  }

  /// True when every entry is finite (no NaN, no infinity).
  @inlinable
  public var isFinite: Bool {
    storage.withUnsafeBufferPointer { e in
      var ok = true
      for x in e where !x.isFinite { ok = false }
      return ok
    }
  }
}

extension Matrix: CustomStringConvertible {
  /// The shape and the rows, one per line.
  public var description: String {
    var lines = ["Matrix<\(Scalar.self)> \(shapeDescription)"]
    for i in 0..<min(rows, 12) {
      lines.append("  " + row(i).map { "\($0)" }.joined(separator: " "))
    }
    if rows > 12 { lines.append("  … \(rows - 12) more rows") }
    return lines.joined(separator: "\n")
  }
}
