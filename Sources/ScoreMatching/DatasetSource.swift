public import Datasets
public import LinearAlgebra

/// Batches of rows from a fixed data set (a `.npy` or CSV file, a simulation's output).
///
/// Two orders, both deterministic functions of `(step, seed)` so that resuming reproduces the
/// run exactly:
///
/// - ``RowOrder/withReplacement``: each row of a batch is a uniformly random row of the data,
///   drawn from the step's generator (`⌊n·u⌋` with 64-bit `u`).
/// - ``RowOrder/epochShuffle``: the data is visited in epochs, each a random permutation
///   (Fisher–Yates driven by `Xoshiro256(seed: seed, stream: 2⁶³ + epoch)`); row `i` of step `k`
///   is entry `p mod n` of epoch `⌊p/n⌋`'s permutation, `p = k·B + i`. Every row is seen once per
///   epoch; a batch may straddle two epochs. The current permutation is cached and recomputed in
///   place, so no step allocates.
///
/// Rows in data units are standardised by the ``Trainer`` batch by batch, in `Scalar`. Data
/// of a large offset or a tiny scale must not reach `Float` before standardisation (1e9 + N(0, 1)
/// in `Float` is 1e9 in steps of 64, 1e-50 is 0): read it in `Double` and let the source
/// standardise it in `Double` first, with ``init(standardizing:conditioningColumns:order:source:)``.
///
/// ```swift
/// let data: Matrix<Double> = try NumPyFile.read(from: url)
/// let source = try DatasetSource<Float>(standardizing: data, conditioningColumns: 1, source: "data.npy")
/// // train with no `standardizer:`; the model records source.appliedStandardizer
/// ```
public struct DatasetSource<Scalar: BLASScalar>: TrainingDataSource {
  /// How rows are picked.
  public enum RowOrder: String, Sendable, Codable, CaseIterable {
    /// Independent uniform rows (sampling with replacement).
    case withReplacement
    /// Random permutations, one per epoch (sampling without replacement).
    case epochShuffle
  }

  /// The rows, `n × (d + k)`.
  public let data: Matrix<Scalar>
  /// `k`, the trailing condition columns.
  public let conditioningColumns: Int
  /// How rows are picked.
  public let order: RowOrder
  /// The standardisation ``data`` already carries (see
  /// ``init(standardizing:conditioningColumns:order:source:)``), or `nil` for rows in data units.
  public let appliedStandardizer: Standardizer?
  /// The data's name in error messages, such as its file name.
  public let name: String
  @usableFromInline var permutation: [Int]
  @usableFromInline var permutationEpoch: Int
  @usableFromInline var permutationSeed: UInt64

  /// A source over the rows of `data`.
  ///
  /// - Parameters:
  ///   - data: at least one row; every entry finite.
  ///   - conditioningColumns: `k`, the trailing condition columns (0 by default).
  ///   - order: with replacement or epoch shuffles (the default).
  ///   - source: a name for the data in error messages.
  /// - Throws: `DataError.nonFinite` naming the first NaN or infinite entry,
  ///   `DataError.tooFewRows` for an empty data set, `DataError.wrongColumnCount` when the
  ///   data has no column besides the conditions.
  public init(
    _ data: Matrix<Scalar>, conditioningColumns: Int = 0, order: RowOrder = .epochShuffle,
    source: String = "training data"
  ) throws(DataError) {
    guard data.rows >= 1 else { throw .tooFewRows(source: source, needed: 1, actual: data.rows) }
    guard conditioningColumns >= 0 && data.columns > conditioningColumns else {
      throw .wrongColumnCount(source: source, expected: conditioningColumns + 1, actual: data.columns)
    }
    try checkFinite(data, source: source)
    self.init(
      checked: data, conditioningColumns: conditioningColumns, order: order, appliedStandardizer: nil,
      name: source)
  }

  /// A source over the rows of `data` standardised column by column in `Double`, then rounded to
  /// `Scalar`: row x becomes z = (x − μ) / σ with μ and σ fitted on `data` in its own precision
  /// (``Standardizer/init(fitting:source:)``), every operation in `Double` and one rounding at
  /// the end. The rows then have mean 0 and standard deviation 1 in every column, whatever the
  /// data's offset or scale, and ``appliedStandardizer`` records μ and σ for the trained model.
  ///
  /// Give the ``Trainer`` no `standardizer:` of its own for this source (it refuses both).
  ///
  /// ```swift
  /// let x: Matrix<Double> = try NumPyFile.read(from: url)   // 1e9 + N(0, 1): all 1e9 as Float
  /// let source = try DatasetSource<Float>(standardizing: x, source: "data.npy")
  /// source.appliedStandardizer!.means                      // [1e9], σ ≈ [1]
  /// ```
  ///
  /// - Parameters:
  ///   - data: at least two rows in data units, in any precision (`Double` for data that `Float`
  ///     cannot resolve); every entry finite, no column constant.
  ///   - conditioningColumns: `k`, the trailing condition columns (0 by default); they are
  ///     standardised too.
  ///   - order: with replacement or epoch shuffles (the default).
  ///   - source: a name for the data in error messages, such as the file name.
  /// - Throws: `DataError.wrongColumnCount` when the data has no column besides the conditions,
  ///   and the errors of ``Standardizer/init(fitting:source:)``: `DataError.tooFewRows` for fewer
  ///   than two rows, `DataError.nonFinite` naming the first NaN or infinite entry,
  ///   `DataError.constantColumn` naming a column whose rows are all equal.
  public init<Raw: BLASScalar>(
    standardizing data: Matrix<Raw>, conditioningColumns: Int = 0, order: RowOrder = .epochShuffle,
    source: String = "training data"
  ) throws(DataError) {
    guard conditioningColumns >= 0 && data.columns > conditioningColumns else {
      throw .wrongColumnCount(source: source, expected: conditioningColumns + 1, actual: data.columns)
    }
    let standardizer = try Standardizer(fitting: data, source: source)
    self.init(
      checked: standardizer.transformed(data, as: Scalar.self), conditioningColumns: conditioningColumns,
      order: order, appliedStandardizer: standardizer, name: source)
  }

  /// A source over rows already checked.
  init(
    checked data: Matrix<Scalar>, conditioningColumns: Int, order: RowOrder,
    appliedStandardizer: Standardizer?,
    name: String
  ) {
    self.data = data
    self.conditioningColumns = conditioningColumns
    self.order = order
    self.appliedStandardizer = appliedStandardizer
    self.name = name
    self.permutation = Array(0..<data.rows)
    self.permutationEpoch = -1
    self.permutationSeed = 0
  }

  /// The data's columns.
  public var columns: Int { data.columns }

  /// Copies the rows of step `step` into `batch`.
  @inlinable
  public mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Scalar>, step: Int, seed: UInt64, using rng: inout G
  ) {
    checkBatchColumns(batch)
    let (n, c, b) = (data.rows, columns, batch.rows)
    for i in 0..<b {
      let index: Int
      switch order {
      case .withReplacement:
        index = Int(rng.next().multipliedFullWidth(by: UInt64(n)).high)
      case .epochShuffle:
        let position = step * b + i
        let epoch = position / n
        if epoch != permutationEpoch || seed != permutationSeed { shuffle(epoch: epoch, seed: seed) }
        index = permutation[position - epoch * n]
      }
      data.withUnsafeBufferPointer { src in
        batch.withUnsafeMutableBufferPointer { dst in
          for j in 0..<c { dst[i * c + j] = src[index * c + j] }
        }
      }
    }
  }

  /// Makes ``permutation`` epoch `epoch`'s, in place.
  @inlinable
  mutating func shuffle(epoch: Int, seed: UInt64) {
    var rng = Xoshiro256(seed: seed, stream: (1 << 63) | UInt64(epoch))
    permutation.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] = i }
      var k = p.count
      while k > 1 {
        let j = Int(rng.next().multipliedFullWidth(by: UInt64(k)).high)
        k -= 1
        p.swapAt(k, j)
      }
    }
    permutationEpoch = epoch
    permutationSeed = seed
  }

  /// μ and σ of every column of ``data`` (data and conditions), for a ``Trainer`` to standardise
  /// each batch with, in `Scalar`.
  ///
  /// For rows already standardised (``appliedStandardizer`` is not `nil`) this is close to the
  /// identity and not wanted: the source carries its standardisation itself.
  ///
  /// - Returns: the standardiser.
  /// - Throws: `DataError.tooFewRows` for fewer than two rows, `DataError.constantColumn` for a
  ///   column whose rows are all equal, each naming the source.
  public func fitStandardizer() throws(DataError) -> Standardizer {
    try Standardizer(fitting: data, source: name)
  }
}
