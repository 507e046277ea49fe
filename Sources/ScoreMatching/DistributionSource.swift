public import Datasets
public import LinearAlgebra

/// Fresh samples from a `Datasets.DataDistribution` at every step (infinite data, as the W1
/// benchmark's checkerboard): the batch of step `k` is `distribution.sample(count: n, using:
/// &rng)` with the step's generator.
///
/// `DataDistribution.sample` returns a new matrix, so this source makes one allocation per step
/// (the batch is then copied into the trainer's buffer); everything else in a step is
/// allocation-free. Conditioning columns are the distribution's own
/// (`JointFamilyDistribution` puts θ last).
///
/// ```swift
/// let source = DistributionSource<Checkerboard, Float>(Checkerboard())
/// let conditional = DistributionSource<JointFamilyDistribution<RingFamily>, Float>(RingFamily().joint)
/// ```
public struct DistributionSource<Distribution: DataDistribution, Scalar: BLASScalar>: TrainingDataSource {
  /// The distribution sampled.
  public let distribution: Distribution

  /// A source of fresh samples of `distribution` in precision `Scalar`.
  ///
  /// - Parameter distribution: the data distribution.
  public init(_ distribution: Distribution) {
    self.distribution = distribution
  }

  /// The distribution's dimension (conditioning columns included).
  public var columns: Int { distribution.dimension }
  /// The distribution's conditioning columns.
  public var conditioningColumns: Int { distribution.conditioningColumns }

  /// Draws `n` fresh samples from the step's generator.
  @inlinable
  public mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Scalar>, step: Int, seed: UInt64, using rng: inout G
  ) {
    checkBatchColumns(batch)
    let sample: Matrix<Scalar> = distribution.sample(count: batch.rows, using: &rng)
    batch.assign(sample)
  }

  /// μ and σ of each column, fitted on `count` samples drawn with `Xoshiro256(seed: seed, stream:
  /// 2⁶⁴ − 3)` (a stream no training step uses).
  ///
  /// - Parameters:
  ///   - count: the number of samples (10 000 by default).
  ///   - seed: the training seed.
  /// - Returns: the standardiser of every column (data and conditions).
  /// - Throws: `DataError` when the samples are not finite.
  public func fitStandardizer(count: Int = 10_000, seed: UInt64) throws(DataError) -> Standardizer {
    var rng = Xoshiro256(seed: seed, stream: UInt64.max - 2)
    let sample: Matrix<Double> = distribution.sample(count: count, using: &rng)
    return try Standardizer(fitting: sample, source: distribution.description)
  }
}
