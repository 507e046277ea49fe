public import Datasets
public import LinearAlgebra

/// Batches of rows drawn from a memory-mapped `.npy` file (``MappedNumPyFile``), standardised
/// in `Double` row by row: training on data larger than memory, with resident memory bounded
/// by the batch and a few megabytes of mapped pages, not by the file.
///
/// The rows are standardised as ``DatasetSource/init(standardizing:conditioningColumns:order:source:)``
/// standardises them — z = (x − μ) / σ computed in `Double` from the file's values and rounded
/// once to `Scalar` — with μ and σ fitted in one streaming pass over the training rows
/// (``Standardizer/Accumulator``) unless a standardiser is given.
///
/// Each row of a batch is a uniformly random training row, drawn from the step's generator as
/// ``DatasetSource/RowOrder/withReplacement`` draws it (`⌊m·u⌋`, `m` training rows, 64-bit `u`),
/// so for the same standardiser, held-out rows and seed a ``Trainer`` on this source and on a
/// ``DatasetSource`` of the same training rows (``DatasetSource/RowOrder/withReplacement``)
/// makes the same weights, bit for bit. Epoch shuffles are not offered: a permutation of the
/// rows takes 8 bytes per row (537 MB for 67 million rows), the memory the map is there to
/// save; a run of a few thousand steps over a file of millions of rows sees each row at most a
/// few times either way.
///
/// Held-out rows (``heldOutRows``, sorted file rows) are skipped without copying anything: the
/// r-th training row is file row `r + j`, `j` the number of held-out rows `h_k` with
/// `h_k − k ≤ r` (binary search). The file's columns may be reordered (``columnOrder``), so
/// that condition columns come last.
///
/// Pages touched by the draws are released from the resident set whenever they may add up to
/// ``residentBudgetBytes``, so memory does not grow with the steps. Each row drawn counts
/// ``largestFaultBytes``: a page fault maps more than the row's page — Linux maps neighbouring
/// pages already in the page cache (`fault_around_bytes`) and, with large folios in the page
/// cache, a whole folio of up to 2 MiB — whatever `madvise` says. (Counting a row's pages
/// only, a 300-step run on a 2 GB file peaked at 275 MB resident.)
///
/// ```swift
/// let file = try MappedNumPyFile(url: URL(fileURLWithPath: "big.npy"))
/// let source = try MappedDataSource<Float>(file)          // one pass fits μ and σ
/// var trainer = try Trainer(process: VPSDE<Float>(), architecture: mlp, source: source)
/// ```
public struct MappedDataSource<Scalar: BLASScalar>: TrainingDataSource {
  /// The mapped file.
  public let file: MappedNumPyFile
  /// The file column of each column of a row: data columns, then conditions.
  public let columnOrder: [Int]
  /// `k`, the trailing condition columns.
  public let conditioningColumns: Int
  /// The file rows held out (ascending), never drawn.
  public let heldOutRows: [Int]
  /// The standardisation every row carries.
  public let standardizer: Standardizer
  /// The data's name in error messages.
  public let name: String
  /// The mapped bytes that may become resident between two releases of the pages.
  public static var residentBudgetBytes: Int { 64 << 20 }
  /// The most bytes one page fault on the map can make resident: a large folio of the page
  /// cache, at most a 2 MiB huge page on x86-64 and ARM64 with 4 KiB pages.
  public static var largestFaultBytes: Int { 2 << 20 }

  /// `hₖ − k` for the held-out rows: the number of training rows before each.
  @usableFromInline let trainingRowsBefore: [Int]
  /// The row being converted.
  @usableFromInline var row: [Double]
  /// Bytes (rounded up to pages) read since the last release.
  @usableFromInline var bytesSinceRelease = 0

  /// A source over the rows of `file` less `heldOutRows`, standardised.
  ///
  /// - Parameters:
  ///   - file: the mapped `.npy` file.
  ///   - conditioningColumns: `k`, the trailing condition columns of ``columnOrder`` (0 by default).
  ///   - columnOrder: the file column of each row column, a permutation of the file's columns
  ///     (the identity by default).
  ///   - heldOutRows: file rows never drawn, such as a validation split (none by default).
  ///   - standardizer: μ and σ of every row column, or `nil` (the default) to fit them in one
  ///     pass over the training rows.
  ///   - source: a name for the data in error messages (the file's name by default).
  /// - Throws: `DataError.wrongColumnCount` when no column is data, `DataError.tooFewRows`
  ///   for fewer than two training rows, and when fitting the errors of
  ///   ``Standardizer/Accumulator/standardizer(source:)`` (a non-finite entry naming its file
  ///   row, a constant column naming its row column).
  public init(
    _ file: MappedNumPyFile, conditioningColumns: Int = 0, columnOrder: [Int]? = nil, heldOutRows: [Int] = [],
    standardizer: Standardizer? = nil, source: String? = nil
  ) throws(DataError) {
    let name = source ?? file.name
    let order = columnOrder ?? Array(0..<file.columns)
    precondition(
      order.count == file.columns && Set(order) == Set(0..<file.columns),
      "MappedDataSource: column order \(order) is not a permutation of the file's \(file.columns) columns")
    guard conditioningColumns >= 0 && order.count > conditioningColumns else {
      throw .wrongColumnCount(source: name, expected: conditioningColumns + 1, actual: order.count)
    }
    let held = heldOutRows.sorted()
    for (k, h) in held.enumerated() {
      precondition(
        h >= 0 && h < file.rows, "MappedDataSource: held-out row \(h) of a file of \(file.rows) rows")
      precondition(k == 0 || held[k - 1] != h, "MappedDataSource: held-out row \(h) given twice")
    }
    guard file.rows - held.count >= 2 else {
      throw .tooFewRows(source: name, needed: 2, actual: file.rows - held.count)
    }
    self.file = file
    self.columnOrder = order
    self.conditioningColumns = conditioningColumns
    self.heldOutRows = held
    self.name = name
    self.trainingRowsBefore = held.enumerated().map { $0.element - $0.offset }
    self.row = [Double](repeating: 0, count: file.columns)
    if let standardizer {
      precondition(
        standardizer.dimension == order.count,
        "MappedDataSource: a standardiser of \(standardizer.dimension) columns for \(order.count)-column rows"
      )
      self.standardizer = standardizer
    } else {
      self.standardizer = try Self.fitStandardizer(
        file, columnOrder: order, heldOutRows: held, source: name)
    }
  }

  /// Fits μ and σ of the row columns in one pass over the rows of `file` less `heldOutRows`
  /// (sorted), releasing the pages read as it goes.
  ///
  /// - Parameters:
  ///   - file: the mapped file.
  ///   - columnOrder: the file column of each row column.
  ///   - heldOutRows: file rows left out of the fit, ascending.
  ///   - source: a name for the data in error messages.
  ///   - visit: called with every file row (held-out ones too), its columns in `columnOrder`,
  ///     before the fit is finished: a caller's own checks ride on the same pass.
  /// - Returns: the standardiser.
  /// - Throws: the errors of ``Standardizer/Accumulator/standardizer(source:)``; a non-finite
  ///   entry is named by its file row and row column.
  public static func fitStandardizer(
    _ file: MappedNumPyFile, columnOrder: [Int], heldOutRows: [Int] = [], source: String,
    visiting visit: ((Int, UnsafeBufferPointer<Double>) -> Void)? = nil
  ) throws(DataError) -> Standardizer {
    var fit = Standardizer.Accumulator(columns: columnOrder.count)
    var raw = [Double](repeating: 0, count: file.columns)
    var ordered = [Double](repeating: 0, count: columnOrder.count)
    var nextHeldOut = 0
    let block = max(1, (8 << 20) / max(1, file.columns * file.elementSize))
    file.advise(.sequential)
    defer { file.advise(.random) }
    var start = 0
    while start < file.rows {
      let end = min(file.rows, start + block)
      raw.withUnsafeMutableBufferPointer { r in
        ordered.withUnsafeMutableBufferPointer { o in
          for i in start..<end {
            file.loadRow(i, into: r)
            for (j, c) in columnOrder.enumerated() { o[j] = r[c] }
            visit?(i, UnsafeBufferPointer(o))
            if nextHeldOut < heldOutRows.count && heldOutRows[nextHeldOut] == i {
              nextHeldOut += 1
              continue
            }
            fit.add(UnsafeBufferPointer(o), row: i)
          }
        }
      }
      file.releaseResidentPages(rows: start..<end)
      start = end
    }
    return try fit.standardizer(source: source)
  }

  /// The columns of a row.
  public var columns: Int { columnOrder.count }
  /// The number of rows drawn from: the file's rows less the held-out ones.
  public var trainingRows: Int { file.rows - heldOutRows.count }
  /// ``standardizer``: the rows are standardised.
  public var appliedStandardizer: Standardizer? { standardizer }

  /// The file row of training row `r` (`0 ≤ r <` ``trainingRows``): `r` plus the number of
  /// held-out rows before it.
  @inlinable
  public func fileRow(ofTrainingRow r: Int) -> Int {
    Self.fileRow(ofTrainingRow: r, trainingRowsBefore: trainingRowsBefore)
  }

  /// `r` plus the number of held-out rows `h_k` with `h_k − k ≤ r` (`before[k] = h_k − k`,
  /// non-decreasing), by binary search.
  @inlinable
  static func fileRow(ofTrainingRow r: Int, trainingRowsBefore before: [Int]) -> Int {
    var (lo, hi) = (0, before.count)
    while lo < hi {
      let mid = (lo + hi) / 2
      if before[mid] <= r { lo = mid + 1 } else { hi = mid }
    }
    return r + lo
  }

  /// Fills `batch` with standardised uniformly random training rows, drawn from `rng`.
  @inlinable
  public mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Scalar>, step: Int, seed: UInt64, using rng: inout G
  ) {
    checkBatchColumns(batch)
    let (m, c, b) = (trainingRows, columns, batch.rows)
    let before = trainingRowsBefore
    let bytesPerRow = max(Self.largestFaultBytes, file.columns * file.elementSize + MappedFile.pageSize)
    let file = self.file
    let order = columnOrder
    let mu = standardizer.means
    let sigma = standardizer.standardDeviations
    let budget = Self.residentBudgetBytes
    var touched = bytesSinceRelease
    row.withUnsafeMutableBufferPointer { r in
      batch.withUnsafeMutableBufferPointer { dst in
        for i in 0..<b {
          let r64 = rng.next().multipliedFullWidth(by: UInt64(m)).high
          let index = Self.fileRow(ofTrainingRow: Int(r64), trainingRowsBefore: before)
          file.loadRow(index, into: r)
          // As Standardizer.transformed(_:as:): (x − μ) / σ in Double, rounded once.
          for j in 0..<c { dst[i * c + j] = Scalar((r[order[j]] - mu[j]) / sigma[j]) }
          touched += bytesPerRow
          if touched >= budget {
            file.releaseResidentPages()
            touched = 0
          }
        }
      }
    }
    bytesSinceRelease = touched
  }
}
