public import DiffusionProcesses
public import LinearAlgebra

extension Sampler {
  /// Samples the global rows `rows` of a process that is only a ``LinearGaussianSDE``: prior,
  /// one of the kinds that need no scalar kernel, and Tweedie's step under the matrix kernel
  /// (``LinearTweedieDenoiser``) when ``denoises``. On critically-damped Langevin diffusion the
  /// state is `(x, v)`, `2d` columns, for `dimension = d`.
  @inlinable
  func sampleLinearBatch(rows: Range<Int>, dimension: Int) throws(SamplingError) -> BatchOutcome<Scalar> {
    try sampleBatch(
      rows: rows, columns: stateDimension(dimension),
      tweedie: { LinearTweedieDenoiser(process: process, score: $0) }, run: runLinear(_:_:noise:recorder:))
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
      return try integrateReverse(
        EulerMaruyama(process: process, score: model), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise,
        recorder: &recorder)
    case .probabilityFlow(let integration):
      return try runProbabilityFlow(integration, model, &x, recorder: &recorder)
    case .sra(let steps, let spacing):
      return try integrateReverse(
        RosslerSRA1(process: process, score: model), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise,
        recorder: &recorder)
    case .adaptiveSDE(let controller):
      return try runAdaptiveSDE(controller, model, &x, noise: &noise, recorder: &recorder)
    case .symmetricSplitting(let steps, let spacing):
      guard let phaseSpace else { preconditionFailure("Sampler: sscs without critically-damped Langevin") }
      return try integrateReverse(
        SymmetricSplittingSampler(process: phaseSpace, score: model), &x,
        over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
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
