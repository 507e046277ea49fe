public import DiffusionProcesses
import LinearAlgebra

extension Sampler {
  /// Draws the samples of global rows `rows` of a run: rows `rows` of what
  /// `sample(count: rows.upperBound, dimension: dimension)` draws, bit for bit.
  ///
  /// Every sample draws its noise from its own stream (``RowStreams``) and is evaluated at its
  /// global place in the model's tiles (``SamplingOptions/tileRows``), so a run cut into row
  /// ranges — one per process or machine (``RowShard``) — and concatenated in order is the
  /// unsharded run. The adaptive kinds (``SamplerKind/adaptiveSDE(_:)`` and adaptive
  /// probability flow) choose their steps per batch: for them the identity needs
  /// ``SamplingOptions/batchSize`` set and `rows.lowerBound` a multiple of it, so that every
  /// batch holds the same samples in both runs.
  ///
  /// ```swift
  /// let rows = try RowShard(parsing: "3/4").rows(of: 100_000, alignment: 512)
  /// let part = try sampler.sample(rows: rows, dimension: 2).samples
  /// ```
  ///
  /// - Parameters:
  ///   - rows: the global indices of the samples, `rows.lowerBound ≥ 0`; may be empty.
  ///   - dimension: `d`.
  /// - Returns: the samples (`rows.count × d`), statistics and the recorded trajectory.
  /// - Throws: ``SamplingError`` when a state becomes non-finite or the adaptive solver fails.
  @inlinable
  public func sample(rows: Range<Int>, dimension: Int) throws(SamplingError) -> SamplingResult<Scalar> {
    try sample(count: rows.count, dimension: dimension, firstRow: rows.lowerBound)
  }
}
