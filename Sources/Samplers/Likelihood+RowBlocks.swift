public import LinearAlgebra

extension ProbabilityFlowLikelihood {
  /// `log p_ε(xᵢ)` for every row of `data`, integrated in fixed blocks of global rows run on
  /// `threads` threads, so that every value is bit-identical whatever the thread count and
  /// however the data are split into calls (``RowShard``).
  ///
  /// Row `i` of `data` is global row `g = firstRow + i`; the blocks are the global ranges
  /// `[m·blockRows, (m+1)·blockRows)` cut by `data`'s own range, each integrated on its own
  /// (its own adaptive steps, its own matrix products), with its own rows of the score model
  /// (``ScoreModel/restricted(toRows:)``). A point's value thus depends only on the points of
  /// its block. Two calls that together cover a range, split at a multiple of `blockRows`,
  /// give the values of one call over the whole range, bit for bit — which
  /// ``logLikelihood(of:firstRow:terminalLogDensity:threads:)``, whose blocks follow the
  /// thread count, does not promise.
  ///
  /// ```swift
  /// BLAS.threadCount = 1
  /// let shard = try RowShard(parsing: "2/4").rows(of: data.rows, alignment: 125)
  /// let part = try likelihood.logLikelihood(
  ///   of: data.rows(shard), firstRow: shard.lowerBound, blockRows: 125, threads: 2)
  /// ```
  ///
  /// - Parameters:
  ///   - data: `n × d` points.
  ///   - firstRow: the global index of `data`'s first row (it places the blocks and keys the
  ///     Hutchinson probes).
  ///   - blockRows: the rows per block, at least 1.
  ///   - threads: the blocks integrated at once, at least 1; the values do not depend on it.
  ///   - terminalLogDensity: `log p_T` of the latents, called once on all of them; `nil` uses
  ///     the prior.
  /// - Returns: the log-likelihoods, latents and costs (evaluations and steps are the largest
  ///   over the blocks; the wall time is the whole call's).
  /// - Throws: ``SamplingError`` when the solve of a block fails (of the failing blocks, the one
  ///   with the lowest rows).
  @inlinable
  public func logLikelihood(
    of data: Matrix<Scalar>, firstRow: Int, blockRows: Int, threads: Int,
    terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])? = nil
  ) throws(SamplingError) -> LikelihoodResult<Scalar> {
    precondition(blockRows >= 1, "ProbabilityFlowLikelihood: blockRows must be at least 1, got \(blockRows)")
    precondition(threads >= 1, "ProbabilityFlowLikelihood: threads must be at least 1, got \(threads)")
    precondition(firstRow >= 0, "ProbabilityFlowLikelihood: firstRow must be non-negative, got \(firstRow)")
    let n = data.rows
    let ranges = Self.globalBlocks(rows: n, firstRow: firstRow, blockRows: blockRows)
    return try logLikelihood(
      of: data, firstRow: firstRow, blocks: ranges, workers: Swift.max(1, Swift.min(threads, ranges.count)),
      terminalLogDensity: terminalLogDensity)
  }

  /// The local row ranges of `rows` rows starting at global row `firstRow`, cut at every
  /// multiple of `blockRows`.
  @inlinable
  static func globalBlocks(rows n: Int, firstRow: Int, blockRows: Int) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    while start < n {
      let global = firstRow + start
      let end = Swift.min(n, start + blockRows - global % blockRows)
      ranges.append(start..<end)
      start = end
    }
    return ranges
  }
}
