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
/// ```swift
/// let data: Matrix<Float> = try NumPyFile.read(from: url)
/// let source = try DatasetSource(data, conditioningColumns: 1, order: .epochShuffle)
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
    self.data = data
    self.conditioningColumns = conditioningColumns
    self.order = order
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
    precondition(
      batch.columns == columns,
      "DatasetSource: a batch of \(batch.shapeDescription) for \(columns)-column rows")
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

  /// μ and σ of every column of the data (data and conditions).
  ///
  /// - Returns: the standardiser.
  /// - Throws: `DataError.tooFewRows` for fewer than two rows.
  public func fitStandardizer() throws(DataError) -> Standardizer {
    try Standardizer(fitting: data)
  }
}
