public import DiffusionProcesses
public import LinearAlgebra

/// How far a grid evaluation has got, for a progress bar: reported after each chunk of points.
public struct GridProgress: Sendable, Equatable {
  /// Points evaluated so far.
  public var completedPoints: Int
  /// Points in the grid.
  public var totalPoints: Int
  /// Seconds since the evaluation started.
  public var elapsedSeconds: Double

  /// A progress report.
  public init(completedPoints: Int, totalPoints: Int, elapsedSeconds: Double) {
    self.completedPoints = completedPoints
    self.totalPoints = totalPoints
    self.elapsedSeconds = elapsedSeconds
  }

  /// The seconds left at the rate so far (infinite before the first chunk).
  public var estimatedSecondsRemaining: Double {
    completedPoints > 0
      ? elapsedSeconds / Double(completedPoints) * Double(totalPoints - completedPoints) : .infinity
  }
}

/// `log ρ` at every point of a ``DensityGrid``: what
/// ``ProbabilityFlowLikelihood/logDensity(on:chunkSize:blockRows:threads:toModelCoordinates:logJacobian:terminalLogDensity:progress:)``
/// returns.
public struct GridLogDensity<Scalar: BLASScalar>: Sendable {
  /// The grid.
  public let grid: DensityGrid<Scalar>
  /// `log ρ(x_r)` in nats at every point, in the grid's point order (first axis fastest).
  public let logDensities: [Scalar]
  /// Evaluations and steps (the largest over the chunks) and the wall time of the whole grid.
  public let statistics: SamplingStatistics

  /// A result from its parts.
  public init(grid: DensityGrid<Scalar>, logDensities: [Scalar], statistics: SamplingStatistics) {
    grid.requireOneValuePerPoint(logDensities, in: "GridLogDensity")
    self.grid = grid
    self.logDensities = logDensities
    self.statistics = statistics
  }

  /// The values of a two-axis grid as an `n_y × nₓ` matrix: entry `[i_y, iₓ]` is
  /// `log ρ(x[iₓ], y[i_y])`, NumPy's `np.meshgrid(x, y)` layout (`indexing='xy'`), row 0 at the
  /// lowest `y`.
  public var matrix: Matrix<Scalar> {
    precondition(
      grid.axes.count == 2, "GridLogDensity.matrix needs two axes, the grid has \(grid.axes.count)")
    return Matrix(rows: grid.shape[0], columns: grid.shape[1], elements: logDensities)
  }

  /// `∫ ρ` over the box the axes span, by the trapezoid rule on `exp(log ρ)`
  /// (``DensityGrid/trapezoidIntegral(of:)``): close to 1 when the box holds the mass, the grid
  /// resolves the density, and the density is a normalised one (on a slice, the integral is the
  /// unnormalised conditional density's mass).
  public var integratedDensity: Scalar {
    grid.trapezoidIntegral(of: logDensities.map { Scalar.exp($0) })
  }
}

extension ProbabilityFlowLikelihood {
  /// The model's log-density `log ρ` at every point of `grid`: the probability-flow ODE's exact
  /// log-likelihood (Song et al. 2021, §4.3) of each point, in chunks of `chunkSize` points, each
  /// chunk integrated in fixed blocks of `blockRows` global rows, `threads` at a time
  /// (``logLikelihood(of:firstRow:blockRows:threads:terminalLogDensity:)``), with `progress`
  /// called after each chunk.
  ///
  /// With `toModelCoordinates`, the grid is in the data's own units and the model sees
  /// `u = T(x)` (a standardisation `u = (x − μ)/σ`, say); then by the change of variables
  ///
  ///     log ρₓ(x) = log p_u(T(x)) + log |det ∂T/∂x|,
  ///
  /// the last term being `logJacobian` (`−Σⱼ log σⱼ` for a standardisation), so that the values
  /// are a density in the data's units that integrates to 1 over them.
  ///
  /// A point's value is that of ``logLikelihood(of:firstRow:blockRows:threads:terminalLogDensity:)``
  /// on its block, so it is the same number, bit for bit, as any other caller that evaluates the
  /// same points with the same `blockRows` (`score-sde nll` uses blocks of 125), whatever the
  /// chunk size and the thread count.
  ///
  /// ```swift
  /// let grid = try DensityGrid<Double>(parsing: "-4:4:200,-4:4:200", dimension: 2)
  /// let density = try likelihood.logDensity(on: grid, threads: 2) { print($0.completedPoints) }
  /// let logRho = density.matrix           // 200 × 200, [i_y, iₓ]
  /// ```
  ///
  /// - Parameters:
  ///   - grid: the points; its dimension is the model's.
  ///   - chunkSize: points per chunk (the granularity of progress reports), at least 1;
  ///     rounded up to a multiple of `blockRows`, so that no chunk cuts a block.
  ///   - blockRows: the points per integration block (``logLikelihood(of:firstRow:blockRows:threads:terminalLogDensity:)``),
  ///     at least 1: every point's value depends only on the points of its block of global
  ///     rows, not on `chunkSize` or `threads`.
  ///   - threads: blocks integrated at once, at least 1.
  ///   - toModelCoordinates: maps a chunk of grid points in place to the model's coordinates
  ///     (`nil`: the grid is in model coordinates).
  ///   - logJacobian: `log |det ∂T/∂x|`, a constant, added to every value.
  ///   - terminalLogDensity: `log p_T` of the latents of a chunk; `nil` uses the prior.
  ///   - progress: called after each chunk.
  /// - Returns: `log ρ` at every point, in the grid's point order.
  /// - Throws: ``SamplingError`` when the solve of a chunk fails.
  @inlinable
  public func logDensity(
    on grid: DensityGrid<Scalar>, chunkSize: Int = 500, blockRows: Int = 125, threads: Int = 1,
    toModelCoordinates: ((inout Matrix<Scalar>) -> Void)? = nil, logJacobian: Scalar = 0,
    terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])? = nil, progress: (GridProgress) -> Void = { _ in }
  ) throws(SamplingError) -> GridLogDensity<Scalar> {
    precondition(chunkSize >= 1, "ProbabilityFlowLikelihood.logDensity: chunkSize must be at least 1")
    precondition(threads >= 1, "ProbabilityFlowLikelihood.logDensity: threads must be at least 1")
    precondition(blockRows >= 1, "ProbabilityFlowLikelihood.logDensity: blockRows must be at least 1")
    // Chunks of whole blocks, so that no chunk cuts a block.
    let wholeBlocks = (chunkSize + blockRows - 1) / blockRows * blockRows
    let clock = ContinuousClock()
    let started = clock.now
    let total = grid.pointCount
    var values: [Scalar] = []
    values.reserveCapacity(total)
    var statistics = SamplingStatistics()
    for first in stride(from: 0, to: total, by: wholeBlocks) {
      let rows = first..<min(total, first + wholeBlocks)
      var x = grid.points(rows)
      toModelCoordinates?(&x)
      let chunk = try ProbabilityFlowLikelihood(
        process: flow.process, score: flow.model.restricted(toRows: rows), divergence: divergence,
        integration: integration, startTime: startTime
      ).logLikelihood(
        of: x, firstRow: first, blockRows: blockRows, threads: threads, terminalLogDensity: terminalLogDensity
      )
      values += chunk.logLikelihoods.map { $0 + logJacobian }
      statistics.merge(chunk.statistics)
      let elapsed = clock.now - started
      progress(
        GridProgress(
          completedPoints: rows.upperBound, totalPoints: total,
          elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
      )
    }
    statistics.wallTime = clock.now - started
    return GridLogDensity(grid: grid, logDensities: values, statistics: statistics)
  }
}
