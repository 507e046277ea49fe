public import Datasets
public import LinearAlgebra

/// Where a ``Trainer``'s batches come from: something that fills a preallocated `n × columns`
/// matrix with the rows of training step `step`.
///
/// Each row is `(x₁ … x_d, c₁ … c_k)`: the data, then ``conditioningColumns`` condition columns
/// (physical parameters), the layout of `Datasets.ParameterizedFamily.joint`. A source must be
/// a deterministic function of `(step, seed)` and the draws it makes from `rng` (the step's own
/// generator), so that resuming from a checkpoint reproduces the uninterrupted run.
///
/// ```swift
/// let fresh = DistributionSource<Checkerboard, Float>(Checkerboard())        // new samples each step
/// let fixed = try DatasetSource(data, order: .epochShuffle)                   // rows of a data set
/// ```
public protocol TrainingDataSource<Scalar>: Sendable {
  /// The precision.
  associatedtype Scalar: BLASScalar

  /// The number of columns of a row, `d + k`.
  var columns: Int { get }
  /// `k`, the trailing condition columns of each row (0 for unconditional data).
  var conditioningColumns: Int { get }
  /// The standardisation the rows already carry, or `nil` (the default) for rows in data units.
  ///
  /// A source that standardised its data itself — fitted in `Double` on the data's own precision,
  /// then rounded to ``Scalar`` (``DatasetSource/init(standardizing:conditioningColumns:order:source:)``)
  /// — returns that ``Standardizer`` of every column (data then conditions). A ``Trainer`` then
  /// applies no standardisation of its own and records this one in the model it makes, so that
  /// samples map back to data units.
  var appliedStandardizer: Standardizer? { get }

  /// Overwrites every row of `batch` (`n × columns`) with the rows of training step `step`.
  ///
  /// - Parameters:
  ///   - batch: the preallocated batch.
  ///   - step: the number of steps completed before this one (0 for the first).
  ///   - seed: the training seed.
  ///   - rng: the step's generator, `Xoshiro256(seed: seed, stream: step)`.
  mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Scalar>, step: Int, seed: UInt64, using rng: inout G)
}

extension TrainingDataSource {
  /// `nil`: the rows are in data units.
  public var appliedStandardizer: Standardizer? { nil }

  /// `d = columns − k`, the dimension of the data the network models.
  public var dataColumns: Int { columns - conditioningColumns }

  /// Stops unless `batch` has this source's ``columns``: the first line of every `fill`.
  @inlinable
  public func checkBatchColumns(_ batch: Matrix<Scalar>) {
    precondition(
      batch.columns == columns,
      "\(Self.self): a batch of \(batch.shapeDescription) for \(columns)-column rows")
  }
}
