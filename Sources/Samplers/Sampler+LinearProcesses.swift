public import DiffusionProcesses
public import LinearAlgebra

extension Sampler {
  /// Samples the global rows `rows` of a process that is only a ``LinearGaussianSDE``: prior,
  /// one of the kinds that need no scalar kernel, and Tweedie's step under the matrix kernel
  /// (``LinearTweedieDenoiser``) when ``denoises``. On critically-damped Langevin diffusion the
  /// state is `(x, v)`, `2d` columns, for `dimension = d`.
  @inlinable
  func sampleLinearBatch(rows: Range<Int>, dimension: Int) throws(SamplingError) -> BatchOutcome<Scalar> {
    let model = RowTiledScore(
      base: self.model, tileRows: options.tileRows ?? Swift.max(1, rows.count),
      firstRow: options.tileRows == nil ? 0 : rows.lowerBound)
    var noise = RowStreams(seed: options.seed, rows: rows)
    var x = samplePrior(of: process, dimension: stateDimension(dimension), streams: &noise)
    var recorder = TrajectoryRecorder<Scalar>(stride: options.trajectoryStride, firstRow: rows.lowerBound)
    recorder.record(step: 0, time: process.endTime, states: x, force: true)
    var statistics = try runLinear(model, &x, noise: &noise, recorder: &recorder)
    if denoises {
      let denoiser = LinearTweedieDenoiser(process: process, score: model)
      var workspace = denoiser.makeWorkspace(rows: x.rows, columns: x.columns)
      denoiser.denoise(&x, at: smallTime, workspace: &workspace)
      statistics.scoreEvaluations += 1
      guard x.isFinite else { throw .nonFinite(step: statistics.acceptedSteps, time: Double(smallTime)) }
    }
    recorder.record(step: statistics.acceptedSteps, time: smallTime, states: x, force: true)
    statistics.batches = 1
    return BatchOutcome(samples: x, statistics: statistics, trajectory: recorder.snapshots)
  }

  /// Runs the configured kind on one batch of a linear process (``validateOptions()`` has
  /// refused the others).
  @inlinable
  func runLinear(
    _ model: RowTiledScore<Model>, _ x: inout Matrix<Scalar>, noise: inout RowStreams,
    recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics {
    switch options.kind {
    case .eulerMaruyama(let steps, let spacing):
      let solver = EulerMaruyama(process: process, score: model)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      return try integrateReverse(
        solver, &x, over: grid(steps: steps, spacing: spacing), noise: &noise, workspace: &workspace,
        recorder: &recorder)
    case .probabilityFlow(let integration):
      return try integration.integrate(
        &x, along: ProbabilityFlowODE(process: process, score: model), from: process.endTime, to: smallTime,
        process: process
      ) { i, t, state in
        recorder.record(step: i + 1, time: t, states: state)
      }
    case .sra(let steps, let spacing):
      let solver = RosslerSRA1(process: process, score: model)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      return try integrateReverse(
        solver, &x, over: grid(steps: steps, spacing: spacing), noise: &noise, workspace: &workspace,
        recorder: &recorder)
    case .adaptiveSDE(let adaptive):
      return try runAdaptiveSDE(adaptive, model, &x, noise: &noise, recorder: &recorder)
    case .symmetricSplitting(let steps, let spacing):
      guard let phaseSpace else { preconditionFailure("Sampler: sscs without critically-damped Langevin") }
      let solver = SymmetricSplittingSampler(process: phaseSpace, score: model)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      return try integrateReverse(
        solver, &x, over: grid(steps: steps, spacing: spacing), noise: &noise, workspace: &workspace,
        recorder: &recorder)
    case .predictorCorrector, .ancestral, .dpmSolver, .edmHeun, .eulerAncestral, .ddim, .dpmSolverSDE:
      preconditionFailure("Sampler: \(options.kind.name.rawValue) needs a scalar kernel")
    }
  }
}

extension Matrix {
  /// The columns `range` of every row, as a new `rows × range.count` matrix.
  @inlinable
  func columnBlock(_ range: Range<Int>) -> Matrix {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= columns, "columnBlock(\(range)) of \(shapeDescription)")
    var block = Matrix(rows: rows, columns: range.count)
    for i in 0..<rows {
      for (k, j) in range.enumerated() { block[i, k] = self[i, j] }
    }
    return block
  }
}
