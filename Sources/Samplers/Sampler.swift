public import DiffusionProcesses
public import LinearAlgebra

/// The single entry point from a score model to samples: draws the prior per sample, runs the
/// chosen sampler (``SamplerKind``) over batches, optionally denoises, and reports the cost.
///
/// Each sample `i` draws all its randomness (prior, step noise, observation noise) from stream
/// `i` of ``SamplingOptions/seed`` (``RowStreams``), and the model is evaluated in fixed tiles
/// of rows aligned to the global index (``SamplingOptions/tileRows``), so the same seed gives
/// bit-identical samples whatever ``SamplingOptions/batchSize`` and ``SamplingOptions/threads``
/// are — except with adaptive integration, whose step sizes are chosen per batch (results then
/// agree to the tolerance).
/// With several threads, batches run concurrently (set ``BLAS/threadCount`` to 1 to avoid
/// oversubscribing the cores). The probability-flow kinds run through
/// ``ODEIntegration/integrate(_:along:from:to:process:observer:)``, the same code as
/// ``LatentMap`` and ``ProbabilityFlowLikelihood``.
///
/// ```swift
/// let sde = VPSDE<Double>()
/// let oracle = try GaussianMixtureScore(weights: [0.3, 0.7], means: [[-2, 0], [2, 0]],
///                                       standardDeviations: [0.3, 0.3], process: sde)
/// let sampler = Sampler(process: sde, score: oracle, options: SamplingOptions(kind: .dpmSolver(steps: 10)))
/// let result = try sampler.sample(count: 1000, dimension: 2)
/// print(result.samples.columnMeans(), result.statistics.scoreEvaluations)   // NFE 10
/// ```
///
/// **Linear processes.** Any ``LinearGaussianSDE`` — a ``LinearSDE`` with matrix drift and
/// noise, critically-damped Langevin diffusion — samples through the same front end with the
/// kinds that need only the general protocol: Euler–Maruyama, the probability-flow kinds
/// (`euler`, `heun`, `ode`, `adaptive`), `sra` and `adaptive-sde` when the diffusion is scalar,
/// and `sscs` (``SymmetricSplittingSampler``) for critically-damped Langevin. The kinds written
/// in a scalar kernel (predictor–corrector, ancestral, DPM-Solver, the EDM family) and
/// observations need a ``GaussianSDE``; for any other process the initializer throws a
/// ``SamplerConfigurationError`` naming the kinds it takes. Tweedie's final step uses the
/// matrix kernel (``LinearTweedieDenoiser``).
///
/// ```swift
/// let linear = try LinearSDE(drift: f, noise: l)
/// let sampler = try Sampler(process: linear, score: oracle, options: SamplingOptions(kind: .eulerMaruyama(steps: 500)))
/// ```
///
/// **Critically-damped Langevin diffusion.** A sampler built on a ``CriticallyDampedLangevin``
/// (or a ``StandardLinearSDE`` holding one, as a trained model's) runs on the augmented state
/// `(x, v)` — its model scores `2d` columns, positions then velocities — but speaks in data
/// dimensions, as every process does through ``LinearGaussianSDE/stateDimension(dataDimension:)``:
/// `sample(count:dimension:)` takes `d`, draws `(x, v)` from the prior `N(0, I) ⊗ N(0, M I)`,
/// integrates to `ε` and returns the positions `x` as ``SamplingResult/samples`` (`count × d`)
/// and the velocities as ``SamplingResult/velocities``; trajectories record the whole state. It
/// takes `sscs` besides the general kinds, and it never takes Tweedie's step (``denoises``).
///
/// ```swift
/// let cld = CriticallyDampedLangevin<Double>(dimension: 2)
/// let oracle = try cld.oracle(weights: [1], means: [[1, -0.5]], covariances: [c])
/// let sampler = try Sampler(process: cld, score: oracle, options: SamplingOptions(kind: .symmetricSplitting(steps: 50)))
/// let x = try sampler.sample(count: 1000, dimension: 2).samples   // 1000 × 2 positions
/// ```
public struct Sampler<Process: LinearGaussianSDE, Model: ScoreModel>: ScoreComposition
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// Which sampler and how. A kind or setting the process does not take (see
  /// ``validateOptions()``) set after construction stops ``sample(count:dimension:firstRow:)``
  /// with a precondition failure.
  public var options: SamplingOptions<Scalar>
  /// The critically-damped Langevin diffusion the process is (for `sscs`), or `nil`.
  public let phaseSpace: CriticallyDampedLangevin<Scalar>?
  /// Whether the process's kernel is scalar (``GaussianSDE``), so that every kind applies.
  public let hasScalarKernel: Bool
  /// Samples one batch of global rows in a given dimension: the scalar-kernel path, specialised
  /// for the ``GaussianSDE`` when the process is one, or the linear path.
  @usableFromInline let batchSampler:
    @Sendable (Sampler, Range<Int>, Int) throws(SamplingError) -> BatchOutcome<Scalar>

  /// A sampler for `process` with the score `model`: every kind but `sscs`.
  @inlinable
  public init(process: Process, score model: Model, options: SamplingOptions<Scalar> = SamplingOptions())
  where Process: GaussianSDE {
    self.process = process
    self.model = model
    self.options = options
    phaseSpace = nil
    hasScalarKernel = true
    batchSampler = { sampler, rows, dimension throws(SamplingError) in
      try sampler.sampleScalarKernelBatch(rows: rows, dimension: dimension)
    }
  }

  /// A sampler for `forward` with the score `model`.
  @available(*, deprecated, renamed: "init(process:score:options:)")
  @inlinable
  public init(forward: Process, score model: Model, options: SamplingOptions<Scalar> = SamplingOptions())
  where Process: GaussianSDE {
    self.init(process: forward, score: model, options: options)
  }

  /// A sampler for any linear process with the score `model`, checked against the kinds the
  /// process takes (``validateOptions()``). A process whose type is a ``GaussianSDE`` only at
  /// run time (a generic caller's) gets the scalar-kernel path all the same; a
  /// ``CriticallyDampedLangevin`` (or a ``StandardLinearSDE`` holding one) is sampled on its
  /// augmented state and takes `sscs`.
  /// - Throws: ``SamplerConfigurationError`` when `options` ask for what the process lacks.
  @inlinable
  public init(process: Process, score model: Model, options: SamplingOptions<Scalar>)
    throws(SamplerConfigurationError)
  {
    self.process = process
    self.model = model
    self.options = options
    phaseSpace = Self.criticallyDampedLangevin(in: process)
    if let scalar = Self.scalarKernelBatchSampler(Process.self) {
      hasScalarKernel = true
      batchSampler = scalar
    } else {
      hasScalarKernel = false
      batchSampler = { sampler, rows, dimension throws(SamplingError) in
        try sampler.sampleLinearBatch(rows: rows, dimension: dimension)
      }
    }
    try validateOptions()
  }

  /// The critically-damped Langevin diffusion `process` is (directly or in a
  /// ``StandardLinearSDE``), or `nil`.
  @inlinable
  static func criticallyDampedLangevin(in process: Process) -> CriticallyDampedLangevin<Scalar>? {
    if let cld = process as? CriticallyDampedLangevin<Scalar> { return cld }
    if case .criticallyDampedLangevin(let cld)? = process as? StandardLinearSDE<Scalar> { return cld }
    return nil
  }

  /// The scalar-kernel batch sampler when `type` is a ``GaussianSDE`` at run time, else `nil`.
  @inlinable
  static func scalarKernelBatchSampler(
    _ type: Process.Type
  ) -> (@Sendable (Sampler, Range<Int>, Int) throws(SamplingError) -> BatchOutcome<Scalar>)? {
    guard let gaussian = type as? any GaussianSDE<Scalar>.Type else { return nil }
    return scalarKernelBatchSampler(opening: gaussian)
  }

  /// The scalar-kernel path for `G`, the process's own type opened as a ``GaussianSDE``.
  @inlinable
  static func scalarKernelBatchSampler<G: GaussianSDE>(
    opening _: G.Type
  ) -> @Sendable (Sampler, Range<Int>, Int) throws(SamplingError) -> BatchOutcome<Scalar>
  where G.Scalar == Scalar {
    { sampler, rows, dimension throws(SamplingError) in
      // `G` is `Process`: the cast only restates it.
      let scalar = Sampler<G, Model>(
        process: sampler.process as! G, score: sampler.model, options: sampler.options)
      return try scalar.sampleScalarKernelBatch(rows: rows, dimension: dimension)
    }
  }

  /// Checks ``options`` against the process: throws for a kind that needs a scalar kernel
  /// (``SamplerName/needsScalarKernel``) or a scalar diffusion on a process without one, for
  /// `sscs` without critically-damped Langevin, for an observation without a scalar kernel,
  /// and for denoising critically-damped Langevin samples.
  @inlinable
  public func validateOptions() throws(SamplerConfigurationError) {
    let name = options.kind.name
    if name.needsPhaseSpace && phaseSpace == nil { throw .needsCriticallyDampedLangevin(name) }
    if hasScalarKernel { return }
    let matrixDiffusion = process.noiseFactor != nil
    let alternatives = SamplerName.linearProcessCases(
      phaseSpace: phaseSpace != nil, matrixDiffusion: matrixDiffusion)
    if name.needsScalarKernel { throw .needsScalarKernel(name, alternatives: alternatives) }
    if matrixDiffusion && name.needsScalarDiffusion {
      throw .needsScalarDiffusion(name, alternatives: alternatives)
    }
    if options.observation != nil { throw .observationNeedsScalarKernel }
    if phaseSpace != nil && options.denoise == true { throw .denoisingNeedsPositionScore }
  }

  /// Whether sampling ends with Tweedie's step: ``SamplingOptions/resolvedDenoise``, except
  /// for critically-damped Langevin diffusion, which never denoises — its positions end at `ε`
  /// with no fresh noise (noise enters through the velocity), and a model trained by hybrid
  /// score matching gives no position score for the step to use.
  @inlinable
  public var denoises: Bool { phaseSpace == nil && options.resolvedDenoise }

  /// The number of columns of the state the sampler integrates for `dimension`-dimensional
  /// samples (``LinearGaussianSDE/stateDimension(dataDimension:)``): `2d` on critically-damped
  /// Langevin's `(x, v)`, else `d`.
  @inlinable
  func stateDimension(_ dimension: Int) -> Int {
    let columns = process.stateDimension(dataDimension: dimension)
    precondition(columns >= dimension, "Sampler: the process does not run on \(dimension)-dimensional data")
    return columns
  }

  /// The grid the fixed-step kinds use, from `T` to `ε`; `nil` for adaptive integration.
  @inlinable
  public var grid: TimeGrid<Scalar>? {
    switch options.kind {
    case .eulerMaruyama(let steps, let spacing), .predictorCorrector(let steps, let spacing, _),
      .ancestral(let steps, let spacing), .dpmSolver(let steps, _, let spacing),
      .probabilityFlow(.euler(let steps, let spacing)), .probabilityFlow(.heun(let steps, let spacing)),
      .probabilityFlow(.rungeKutta4(let steps, let spacing)), .edmHeun(let steps, let spacing, _),
      .eulerAncestral(let steps, _, let spacing), .ddim(let steps, _, let spacing),
      .dpmSolverSDE(let steps, _, let spacing), .sra(let steps, let spacing),
      .symmetricSplitting(let steps, let spacing):
      return grid(steps: steps, spacing: spacing)
    case .probabilityFlow(.adaptive), .adaptiveSDE: return nil
    }
  }

  /// `steps` steps of `spacing` from `T` to `ε`.
  @inlinable
  func grid(steps: Int, spacing: TimeGrid<Scalar>.Spacing) -> TimeGrid<Scalar> {
    TimeGrid(spacing: spacing, steps: steps, process: process, to: smallTime)
  }

  /// `ε` (``SamplingOptions/resolvedSmallTime(for:)``).
  @inlinable
  var smallTime: Scalar { options.resolvedSmallTime(for: process) }

  /// Draws `count` samples of dimension `dimension`.
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - dimension: `d` (for critically-damped Langevin, the data's, half the state's).
  ///   - firstRow: the global index of the first sample (to continue a run in pieces).
  /// - Returns: the samples (`count × d`; with critically-damped Langevin the positions, and
  ///   the velocities beside them), statistics and the recorded trajectory.
  /// - Throws: ``SamplingError`` when a state becomes non-finite or the adaptive solver fails.
  @inlinable
  public func sample(
    count: Int, dimension: Int, firstRow: Int = 0
  ) throws(SamplingError) -> SamplingResult<Scalar> {
    precondition(count >= 0 && dimension >= 1, "sample(count: \(count), dimension: \(dimension))")
    precondition(firstRow >= 0, "sample: firstRow must be non-negative, got \(firstRow)")
    precondition(
      options.observation == nil || (options.kind.isStochastic && options.kind.name != .adaptiveSDE),
      "Observations need a fixed-step reverse-SDE sampler (em, pc, ancestral, sra, edm-heun, euler-a, "
        + "ddim, dpm-sde), got \(options.kind.name.rawValue)")
    precondition(options.threads >= 1, "SamplingOptions.threads must be at least 1, got \(options.threads)")
    precondition(
      options.tileRows.map { $0 >= 1 } ?? true,
      "SamplingOptions.tileRows must be at least 1, got \(options.tileRows!)")
    do { try validateOptions() } catch { preconditionFailure("Sampler: \(error)") }
    let columns = stateDimension(dimension)
    let clock = ContinuousClock()
    let started = clock.now
    let batches = RowBlockPartition.blocks(rows: count, size: Swift.max(1, options.batchSize ?? count))
    // Batch b always covers the same global rows; which thread runs it does not matter.
    let outcomes = mapConcurrently(batches, workers: options.threads) { _, rows in
      Result { () throws(SamplingError) in
        try batchSampler(self, (firstRow + rows.lowerBound)..<(firstRow + rows.upperBound), dimension)
      }
    }
    var samples = Matrix<Scalar>(rows: count, columns: columns)
    var statistics = SamplingStatistics()
    var trajectory: [TrajectorySnapshot<Scalar>] = []
    for (b, outcome) in outcomes.enumerated() {
      let batch = try outcome.get()
      samples.copyRows(0..<batch.samples.rows, of: batch.samples, to: batches[b].lowerBound)
      statistics.merge(batch.statistics)
      trajectory += batch.trajectory
    }
    statistics.wallTime = clock.now - started
    if columns > dimension {
      return SamplingResult(
        samples: samples.columnBlock(0..<dimension), velocities: samples.columnBlock(dimension..<columns),
        statistics: statistics, trajectory: trajectory)
    }
    return SamplingResult(samples: samples, statistics: statistics, trajectory: trajectory)
  }
}

extension Sampler where Process: GaussianSDE {
  /// Samples the global rows `rows` with a scalar kernel: prior, sampler, optional denoising and
  /// observation.
  @inlinable
  func sampleScalarKernelBatch(rows: Range<Int>, dimension: Int) throws(SamplingError) -> BatchOutcome<Scalar>
  {
    try sampleBatch(
      rows: rows, columns: dimension, tweedie: { TweedieDenoiser(process: process, score: $0) },
      run: run(_:_:noise:recorder:))
  }

  /// Runs the configured kind on one batch: a kind that needs neither the scalar kernel nor an
  /// observation as on any linear process (``runLinear(_:_:noise:recorder:)``), the others here —
  /// the scalar-kernel kinds, and the reverse-SDE kinds wrapped in ``ObservationReplacement``.
  @inlinable
  func run(
    _ model: RowTiledScore<Model>, _ x: inout Matrix<Scalar>, noise: inout RowStreams,
    recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics {
    if options.observation == nil && !options.kind.name.needsScalarKernel {
      return try runLinear(model, &x, noise: &noise, recorder: &recorder)
    }
    switch options.kind {
    case .eulerMaruyama(let steps, let spacing):
      return try runReverse(
        EulerMaruyama(process: process, score: model), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
    case .ancestral(let steps, let spacing):
      return try runReverse(
        AncestralSampler(process: process, score: model), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
    case .predictorCorrector(let steps, let spacing, let corrector):
      let pc = PredictorCorrector(
        predictor: ReverseDiffusionPredictor(process: process, score: model),
        corrector: LangevinCorrector(process: process, score: model, options: corrector))
      return try runReverse(
        pc, &x, over: grid(steps: steps, spacing: spacing), noise: &noise, recorder: &recorder)
    case .probabilityFlow, .adaptiveSDE, .symmetricSplitting:
      preconditionFailure("Sampler: \(options.kind.name.rawValue) takes no observation")
    case .dpmSolver(let steps, let order, let spacing):
      let solver = DPMSolver(process: process, score: model, order: order)
      let grid = grid(steps: steps, spacing: spacing)
      var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
      let evaluations = try solver.integrate(&x, over: grid, workspace: &workspace) { i, t, state in
        recorder.record(step: i + 1, time: t, states: state)
      }
      return SamplingStatistics(scoreEvaluations: evaluations, acceptedSteps: grid.steps)
    case .edmHeun(let steps, let spacing, let churn):
      return try runReverse(
        EDMHeun(process: process, score: model, churn: churn, steps: steps), &x,
        over: grid(steps: steps, spacing: spacing), noise: &noise, recorder: &recorder)
    case .eulerAncestral(let steps, let eta, let spacing):
      return try runReverse(
        EulerAncestral(process: process, score: model, eta: eta), &x,
        over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
    case .ddim(let steps, let eta, let spacing):
      return try runReverse(
        DDIM(process: process, score: model, eta: eta), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
    case .dpmSolverSDE(let steps, let order, let spacing):
      return try runReverse(
        DPMSolverSDE(process: process, score: model, order: order), &x,
        over: grid(steps: steps, spacing: spacing), noise: &noise, recorder: &recorder)
    case .sra(let steps, let spacing):
      return try runReverse(
        RosslerSRA1(process: process, score: model), &x, over: grid(steps: steps, spacing: spacing),
        noise: &noise, recorder: &recorder)
    }
  }

  /// Runs a reverse-SDE sampler over `grid`, wrapped in ``ObservationReplacement`` when there
  /// is an observation.
  @inlinable
  func runReverse<Solver: ReverseSDESolver>(
    _ solver: Solver, _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, noise: inout RowStreams,
    recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics where Solver.Scalar == Scalar {
    if let observation = options.observation {
      let wrapped = ObservationReplacement(base: solver, process: process, observation: observation)
      var workspace = wrapped.makeWorkspace(rows: x.rows, columns: x.columns)
      wrapped.replaceObserved(&x, at: process.endTime, noise: &noise, workspace: &workspace)
      return try integrateReverse(
        wrapped, &x, over: grid, noise: &noise, workspace: &workspace, recorder: &recorder)
    }
    return try integrateReverse(solver, &x, over: grid, noise: &noise, recorder: &recorder)
  }
}

extension Sampler {
  /// One batch of the global rows `rows`, for any process: the score tiled by rows
  /// (``RowTiledScore``) and the rows' streams, the prior draw (`columns` wide) and its snapshot,
  /// `run` (the configured kind), Tweedie's step by the denoiser `tweedie` makes for the tiled
  /// score when the sampler ``denoises``, the observation if there is one, and the final snapshot.
  @inlinable
  func sampleBatch<Denoiser: TweedieDenoising>(
    rows: Range<Int>, columns: Int, tweedie: (RowTiledScore<Model>) -> Denoiser,
    run: (
      RowTiledScore<Model>, inout Matrix<Scalar>, inout RowStreams, inout TrajectoryRecorder<Scalar>
    ) throws(SamplingError) -> SamplingStatistics
  ) throws(SamplingError) -> BatchOutcome<Scalar> where Denoiser.Scalar == Scalar {
    let model = RowTiledScore(
      base: self.model, tileRows: options.tileRows ?? Swift.max(1, rows.count),
      firstRow: options.tileRows == nil ? 0 : rows.lowerBound)
    var noise = RowStreams(seed: options.seed, rows: rows)
    var x = samplePrior(of: process, dimension: columns, streams: &noise)
    var recorder = TrajectoryRecorder<Scalar>(stride: options.trajectoryStride, firstRow: rows.lowerBound)
    recorder.record(step: 0, time: process.endTime, states: x, force: true)
    var statistics = try run(model, &x, &noise, &recorder)
    if denoises { try denoise(&x, with: tweedie(model), statistics: &statistics) }
    options.observation?.impose(on: &x, firstRow: rows.lowerBound)
    recorder.record(step: statistics.acceptedSteps, time: smallTime, states: x, force: true)
    statistics.batches = 1
    return BatchOutcome(samples: x, statistics: statistics, trajectory: recorder.snapshots)
  }

  /// Tweedie's step at `ε` by `denoiser`, counted as one score evaluation.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` when it leaves a state that is not finite.
  @inlinable
  func denoise<Denoiser: TweedieDenoising>(
    _ x: inout Matrix<Scalar>, with denoiser: Denoiser, statistics: inout SamplingStatistics
  ) throws(SamplingError) where Denoiser.Scalar == Scalar {
    var workspace = denoiser.makeWorkspace(rows: x.rows, columns: x.columns)
    denoiser.denoise(&x, at: smallTime, workspace: &workspace)
    statistics.scoreEvaluations += 1
    guard x.isFinite else { throw .nonFinite(step: statistics.acceptedSteps, time: Double(smallTime)) }
  }

  /// Integrates the probability-flow ODE of `model` from `T` to `ε` on one batch with
  /// `integration`, recording the trajectory.
  @inlinable
  func runProbabilityFlow(
    _ integration: ODEIntegration<Scalar>, _ model: RowTiledScore<Model>, _ x: inout Matrix<Scalar>,
    recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics {
    try integration.integrate(
      &x, along: ProbabilityFlowODE(process: process, score: model), from: process.endTime, to: smallTime,
      process: process
    ) { i, t, state in
      recorder.record(step: i + 1, time: t, states: state)
    }
  }

  /// Runs ``AdaptiveReverseSDESolver`` from `T` to `ε` on one batch, each row driven by a
  /// ``BrownianPaths`` keyed by one draw from its stream.
  @inlinable
  func runAdaptiveSDE(
    _ controller: PIController<Scalar>, _ model: RowTiledScore<Model>, _ x: inout Matrix<Scalar>,
    noise: inout RowStreams, recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics {
    let solver = AdaptiveReverseSDESolver(process: process, score: model, controller: controller)
    var paths = BrownianPaths(
      streams: &noise, dimension: x.columns, over: Double(smallTime)...Double(process.endTime))
    var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
    return try solver.integrate(
      &x, from: process.endTime, to: smallTime, along: &paths, workspace: &workspace
    ) { i, t, state in
      recorder.record(step: i + 1, time: t, states: state)
    }
  }

  /// Runs `solver` over `grid` on one batch with a workspace made for it, recording the
  /// trajectory.
  @inlinable
  func integrateReverse<Solver: ReverseSDESolver>(
    _ solver: Solver, _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, noise: inout RowStreams,
    recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics where Solver.Scalar == Scalar {
    var workspace = solver.makeWorkspace(rows: x.rows, columns: x.columns)
    return try integrateReverse(
      solver, &x, over: grid, noise: &noise, workspace: &workspace, recorder: &recorder)
  }

  /// Runs `solver` over `grid` on one batch, recording the trajectory.
  @inlinable
  func integrateReverse<Solver: ReverseSDESolver>(
    _ solver: Solver, _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, noise: inout RowStreams,
    workspace: inout Solver.Workspace, recorder: inout TrajectoryRecorder<Scalar>
  ) throws(SamplingError) -> SamplingStatistics where Solver.Scalar == Scalar {
    let evaluations = try solver.integrate(&x, over: grid, noise: &noise, workspace: &workspace) {
      i, t, state in
      recorder.record(step: i + 1, time: t, states: state)
    }
    return SamplingStatistics(scoreEvaluations: evaluations, acceptedSteps: grid.steps)
  }
}

/// The samples of a ``Sampler`` run, what they cost, and the recorded trajectory.
public struct SamplingResult<Scalar: BLASScalar>: Sendable {
  /// The samples, `count × d`, in global-index order (for critically-damped Langevin diffusion,
  /// the positions `x`).
  public let samples: Matrix<Scalar>
  /// For critically-damped Langevin diffusion, the velocities `v` that end beside the positions
  /// (`count × d`, row `i` with sample `i`); `nil` for every other process.
  public let velocities: Matrix<Scalar>?
  /// Score evaluations, steps and wall time.
  public let statistics: SamplingStatistics
  /// Snapshots every ``SamplingOptions/trajectoryStride`` steps, batch by batch (empty unless a
  /// stride was set); with critically-damped Langevin, of the whole state `(x, v)`.
  public let trajectory: [TrajectorySnapshot<Scalar>]

  /// A result from its parts.
  @inlinable
  public init(
    samples: Matrix<Scalar>, velocities: Matrix<Scalar>? = nil, statistics: SamplingStatistics,
    trajectory: [TrajectorySnapshot<Scalar>]
  ) {
    self.samples = samples
    self.velocities = velocities
    self.statistics = statistics
    self.trajectory = trajectory
  }
}

/// The particles of one batch after a given number of steps.
public struct TrajectorySnapshot<Scalar: BLASScalar>: Sendable, Equatable {
  /// Steps taken so far (0 for the prior draw; the final snapshot is after denoising and
  /// observation, if any).
  public let step: Int
  /// The time of the state.
  public let time: Scalar
  /// The global index of the batch's first sample.
  public let firstRow: Int
  /// The particles, one per row.
  public let states: Matrix<Scalar>

  /// A snapshot from its parts.
  @inlinable
  public init(step: Int, time: Scalar, firstRow: Int, states: Matrix<Scalar>) {
    self.step = step
    self.time = time
    self.firstRow = firstRow
    self.states = states
  }
}

/// What one batch produced.
@usableFromInline
struct BatchOutcome<Scalar: BLASScalar>: Sendable {
  @usableFromInline let samples: Matrix<Scalar>
  @usableFromInline let statistics: SamplingStatistics
  @usableFromInline let trajectory: [TrajectorySnapshot<Scalar>]

  @inlinable
  init(samples: Matrix<Scalar>, statistics: SamplingStatistics, trajectory: [TrajectorySnapshot<Scalar>]) {
    self.samples = samples
    self.statistics = statistics
    self.trajectory = trajectory
  }
}

/// Collects snapshots every `stride` steps (nothing when `stride` is nil).
@usableFromInline
struct TrajectoryRecorder<Scalar: BLASScalar> {
  @usableFromInline let stride: Int?
  @usableFromInline let firstRow: Int
  @usableFromInline var snapshots: [TrajectorySnapshot<Scalar>] = []

  @inlinable
  init(stride: Int?, firstRow: Int) {
    precondition(stride.map { $0 >= 1 } ?? true, "A trajectory stride must be at least 1, got \(stride!)")
    self.stride = stride
    self.firstRow = firstRow
  }

  @inlinable
  mutating func record(step: Int, time: Scalar, states: Matrix<Scalar>, force: Bool = false) {
    guard let stride, force || step % stride == 0 else { return }
    if force, let last = snapshots.last, last.step == step, last.time == time, last.states == states {
      return
    }
    snapshots.append(TrajectorySnapshot(step: step, time: time, firstRow: firstRow, states: states))
  }
}
