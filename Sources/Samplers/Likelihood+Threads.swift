public import DiffusionProcesses
public import LinearAlgebra

extension ProbabilityFlowLikelihood {
  /// `log p_ε(xᵢ)` for every row of `data`, the rows cut into `threads` contiguous blocks that
  /// are integrated concurrently.
  ///
  /// Each point's ODE is independent of the others, so with fixed-step integration the blocks
  /// give the same values as one call over all rows, to rounding (a matrix product may round a
  /// row differently in a smaller product). With adaptive integration each block chooses its
  /// own steps from its own error, so the values agree to the tolerance. Each block is paired
  /// with its own rows of the score model (``ScoreModel/restricted(toRows:)``: one condition per
  /// point stays with its point). Set
  /// ``BLAS/threadCount`` to 1 first to keep the cores from being oversubscribed.
  ///
  /// ```swift
  /// BLAS.threadCount = 1
  /// let result = try likelihood.logLikelihood(of: data, threads: 2)
  /// ```
  ///
  /// - Parameters:
  ///   - data: `n × d` points.
  ///   - firstRow: the global index of `data`'s first row (it keys the Hutchinson probes).
  ///   - terminalLogDensity: `log p_T` of the latents, called once on all of them; `nil` uses
  ///     the prior.
  ///   - threads: the number of blocks, at least 1 (fewer when there are fewer rows).
  /// - Returns: the log-likelihoods, latents and costs (evaluations and steps are the largest
  ///   over the blocks; the wall time is the whole call's).
  /// - Throws: ``SamplingError`` when the solve of a block fails (of the failing blocks, the one
  ///   with the lowest rows).
  @inlinable
  public func logLikelihood(
    of data: Matrix<Scalar>, firstRow: Int = 0, terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])? = nil,
    threads: Int
  ) throws(SamplingError) -> LikelihoodResult<Scalar> {
    precondition(threads >= 1, "ProbabilityFlowLikelihood: threads must be at least 1, got \(threads)")
    let n = data.rows
    let ranges = RowBlockPartition.blocks(rows: n, count: threads)
    guard ranges.count > 1 else {
      return try logLikelihood(of: data, firstRow: firstRow, terminalLogDensity: terminalLogDensity)
    }
    return try logLikelihood(
      of: data, firstRow: firstRow, blocks: ranges, workers: ranges.count,
      terminalLogDensity: terminalLogDensity)
  }

  /// `log p_ε(xᵢ)` for every row of `data`, each of the local row ranges `blocks` (a partition
  /// of `data`'s rows, in order) integrated on its own with its own rows of the score model,
  /// `workers` at a time; the prior term is evaluated once on all the latents. The one
  /// implementation of the threaded and the fixed-block likelihoods.
  @inlinable
  func logLikelihood(
    of data: Matrix<Scalar>, firstRow: Int, blocks ranges: [Range<Int>], workers: Int,
    terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])?
  ) throws(SamplingError) -> LikelihoodResult<Scalar> {
    let n = data.rows
    let clock = ContinuousClock()
    let started = clock.now
    let outcomes = mapConcurrently(ranges, workers: workers) { _, rows in
      Result { () throws(SamplingError) in
        try ProbabilityFlowLikelihood(
          process: flow.process, score: flow.model.restricted(toRows: rows), divergence: divergence,
          integration: integration, startTime: startTime
        ).logLikelihood(of: data.rows(rows), firstRow: firstRow + rows.lowerBound)
      }
    }
    let d = data.columns
    var latents = Matrix<Scalar>(rows: n, columns: d)
    var integrals: [Scalar] = []
    integrals.reserveCapacity(n)
    var statistics = SamplingStatistics()
    for (b, outcome) in outcomes.enumerated() {
      let block = try outcome.get()
      latents.copyRows(0..<block.latents.rows, of: block.latents, to: ranges[b].lowerBound)
      integrals += block.divergenceIntegrals
      statistics.merge(block.statistics)
    }
    let prior = terminalLogDensity?(latents) ?? flow.process.priorLogDensity(latents)
    statistics.wallTime = clock.now - started
    return LikelihoodResult(
      logLikelihoods: zip(prior, integrals).map { $0 + $1 }, priorLogDensities: prior,
      divergenceIntegrals: integrals, latents: latents, statistics: statistics)
  }
}
