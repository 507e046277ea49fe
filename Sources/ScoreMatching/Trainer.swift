public import Datasets
public import DiffusionProcesses
public import LinearAlgebra
public import ScoreNetworks

/// The training loop: denoising score matching of any ``ScoreNetwork`` (an ``MLP`` by default)
/// for a ``LinearGaussianSDE`` (a ``GaussianSDE``, or a matrix kernel such as ``LinearSDE`` and
/// ``CriticallyDampedLangevin``, whose network is as wide as the process's state) on batches from a ``TrainingDataSource``, with an
/// optimizer, a learning-rate schedule, gradient clipping, an EMA of the weights, condition
/// dropout, progress and evaluation callbacks, and checkpoints that resume bit-identically.
///
/// Step `k` (counting completed steps from 0) draws everything from one generator,
/// `Xoshiro256(seed: configuration.seed, stream: k)`, in this order: the source's rows, the
/// condition-dropout coins (one per row, when dropout is on), the times, the noise, and (when
/// ``TrainingConfiguration/dropout`` is positive) the seed of the step's ``Dropout`` masks. The weights
/// are initialised from stream `2⁶⁴ − 1`. So the run is a function of the seed alone, and a
/// checkpoint needs no generator state: resuming at step `k` rebuilds step `k`'s generator.
///
/// A step is: rows → split into `x₀` (the first `d` columns) and conditions (the last `k`),
/// both standardised when a ``Standardizer`` is given (a source whose rows are standardised
/// already, ``TrainingDataSource/appliedStandardizer``, needs none) → conditions encoded (and dropped
/// with probability `p`) → ``DenoisingScoreMatching/prepare(_:into:using:)`` → forward,
/// loss and `∂L/∂f`, backward (over row blocks on several threads when ``threads`` > 1) →
/// checks that the loss and the gradient norm are finite (else a ``TrainingError`` naming the
/// step, with the trainer unchanged) → clipping → update by the ``Optimizer`` at the rate of the
/// ``LearningRateSchedule`` → EMA update. With a ``DatasetSource`` nothing is allocated after the first step; a
/// ``DistributionSource`` allocates its fresh samples.
///
/// ```swift
/// let source = DistributionSource<Checkerboard, Float>(Checkerboard())
/// var trainer = try Trainer(
///   process: VPSDE<Float>(), architecture: MLPConfiguration(inputDimension: 2), source: source,
///   configuration: TrainingConfiguration(seed: 1, steps: 5_000))
/// try trainer.train(checkpoint: CheckpointPolicy(url: ckpt, interval: 1_000)) { p in
///   print(p.step, p.smoothedLoss, p.stepsPerSecond)
/// }
/// try trainer.trainedModel().save(to: modelURL)
/// ```
///
/// Any other network trains the same way, named by its type:
///
/// ```swift
/// var trainer = try Trainer(
///   process: VPSDE<Float>(), network: ResidualMLP<Float>.self,
///   architecture: ResidualMLPConfiguration(inputDimension: 2), source: source)
/// ```
public struct Trainer<Network: ScoreNetwork, Process: LinearGaussianSDE, Source: TrainingDataSource>: Sendable
where Source.Scalar == Process.Scalar, Network.Scalar == Process.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The run's settings.
  public let configuration: TrainingConfiguration
  /// The loss.
  public let objective: DenoisingScoreMatching<Process>
  /// How conditions enter the network.
  public let conditionEncoding: ConditionEncoding
  /// The standardisation the trainer applies to every source column (data then conditions) of
  /// each batch, in ``Scalar``, or `nil`.
  public let standardizer: Standardizer?
  /// The standardisation of the rows the network learns from, which the trained model records:
  /// ``standardizer`` when the trainer applies one, else the source's
  /// ``TrainingDataSource/appliedStandardizer`` (applied in `Double` when the source was made),
  /// else `nil`.
  public var effectiveStandardizer: Standardizer? { standardizer ?? source.appliedStandardizer }
  /// The data.
  public var source: Source

  /// The number of threads a step's forward and backward pass runs on (1 by default).
  ///
  /// With `threads > 1` and a batch of at least `2 × 64` rows, each step cuts the prepared batch
  /// into `min(threads, n / 64)` contiguous row blocks, computes each block's loss and gradient
  /// concurrently with its own buffers (made on the first such step and reused), and combines
  /// them in block order: with block `b` holding `m_b` of the `n` rows,
  /// `L = Σ_b (m_b/n) L_b` and `∇L = Σ_b (m_b/n) ∇L_b`. The random draws (rows, condition
  /// dropout, times, noise) are made on the whole batch before the split, so the data a step sees
  /// does not depend on `threads`.
  ///
  /// Results are bit-identical run to run for a given `threads`, and agree to rounding (not bit
  /// for bit) across different values, because the gradient is summed in another order. The
  /// setting is not saved in checkpoints. The trainer never changes OpenBLAS's own threading:
  /// set ``BLAS/threadCount`` to 1 yourself when using more than one trainer thread, to avoid
  /// oversubscribing the cores (2 trainer threads over 2-thread OpenBLAS on 2 cores made the W1
  /// step about 7 times slower than either alone). Must be at least 1.
  ///
  /// ```swift
  /// BLAS.threadCount = 1
  /// trainer.threads = 2
  /// try trainer.train()
  /// ```
  public var threads = 1 {
    didSet { precondition(threads >= 1, "Trainer.threads must be at least 1, got \(threads)") }
  }

  @usableFromInline var state: TrainerState<Network>
  @usableFromInline var buffers: TrainerBuffers<Network>

  /// A trainer at step 0 with freshly initialised weights.
  ///
  /// - Parameters:
  ///   - process: the forward SDE.
  ///   - network: the network's type, such as `ResidualMLP<Float>.self`.
  ///   - architecture: the network's configuration; its input dimension must be the source's `d`
  ///     and its condition dimension the encoding's columns (`k`, plus 1 when
  ///     `configuration.conditionDropout > 0`; see ``ConditionEncoding/training(conditioningColumns:conditionDropout:)``).
  ///   - source: the training rows.
  ///   - configuration: the run's settings.
  ///   - standardizer: μ and σ of every source column (see ``DatasetSource/fitStandardizer()``),
  ///     applied to each batch in ``Scalar``, or `nil` to train on the rows as the source gives
  ///     them. Must be `nil` for a source whose rows are standardised already
  ///     (``TrainingDataSource/appliedStandardizer``).
  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` naming the first inconsistency.
  public init(
    process: Process, network: Network.Type, architecture: Network.Configuration, source: Source,
    configuration: TrainingConfiguration = TrainingConfiguration(), standardizer: Standardizer? = nil
  ) throws(TrainingError) {
    if let failure = configuration.validationFailure { throw .invalidConfiguration(failure) }
    let k = source.conditioningColumns
    let d = source.dataColumns
    guard d >= 1 && k >= 0 else {
      throw .invalidConfiguration("the source has \(source.columns) columns, \(k) of them conditions")
    }
    guard Scalar(configuration.loss.smallTimeCutoff) < process.endTime else {
      throw .invalidConfiguration(
        "the small-time cutoff \(configuration.loss.smallTimeCutoff) is not below T = \(process.endTime)")
    }
    if let reason = DenoisingScoreMatching.unsupportedOptions(process: process, options: configuration.loss) {
      throw .invalidConfiguration(reason)
    }
    if configuration.dropout > 0 && !Network.supportsDropout {
      throw .invalidConfiguration("the \(Network.architectureName) network does not implement dropout")
    }
    if configuration.conditionDropout > 0 && k == 0 {
      throw .invalidConfiguration("condition dropout needs conditioning columns; the source has none")
    }
    let encoding = ConditionEncoding.training(
      conditioningColumns: k, conditionDropout: configuration.conditionDropout)
    if let failure = Network.validationFailure(of: architecture) {
      throw .invalidConfiguration("the \(Network.architectureName) architecture: \(failure)")
    }
    var rng = Xoshiro256(seed: configuration.seed, stream: UInt64.max)
    let network = Network(configuration: architecture, using: &rng)
    guard process.stateDimension(dataDimension: d) > 0 else {
      throw .invalidConfiguration("the process does not take data of \(d) columns")
    }
    guard network.inputDimension == process.stateDimension(dataDimension: d) else {
      throw .invalidConfiguration(
        "the network takes \(network.inputDimension) columns, the process's state for the source's \(d) "
          + "data columns has \(process.stateDimension(dataDimension: d))")
    }
    guard network.conditionDimension == encoding.networkColumns else {
      throw .invalidConfiguration(
        "the network takes \(network.conditionDimension) condition columns; \(k) conditioning columns"
          + (encoding.hasMaskColumn ? " plus the dropout mask" : "") + " need \(encoding.networkColumns)")
    }
    if let standardizer, standardizer.dimension != source.columns {
      throw .invalidConfiguration(
        "the standardizer has \(standardizer.dimension) columns, the source \(source.columns)")
    }
    if let applied = source.appliedStandardizer {
      guard standardizer == nil else {
        throw .invalidConfiguration(
          "the source's rows are standardised already (its appliedStandardizer); a second "
            + "standardizer would standardise them twice — pass none")
      }
      guard applied.dimension == source.columns else {
        throw .invalidConfiguration(
          "the source's applied standardizer has \(applied.dimension) columns, the source \(source.columns)")
      }
    }
    self.configuration = configuration
    self.objective = DenoisingScoreMatching(process: process, options: configuration.loss)
    self.conditionEncoding = encoding
    self.standardizer = standardizer
    self.source = source
    self.state = TrainerState(network: network, configuration: configuration)
    self.buffers = TrainerBuffers(
      network: network, rows: configuration.batchSize, columns: source.columns, dataColumns: d,
      conditionColumns: encoding.networkColumns, standardizer: standardizer)
  }

  /// The network with its current (not averaged) weights.
  public var network: Network { state.network }
  /// The exponential moving average of the weights.
  public var averagedParameters: Network.Parameters { state.ema.average }
  /// The network with the EMA weights: the one to sample with.
  public var averagedNetwork: Network {
    var copy = state.network
    copy.parameters = state.ema.average
    return copy
  }
  /// Steps completed (the next step's generator is `Xoshiro256(seed:, stream: completedSteps)`).
  public var completedSteps: Int { state.step }
  /// The loss of the last step (NaN before the first).
  public var lastLoss: Double { state.lastLoss }
  /// The bias-corrected EMA of the loss (NaN before the first step).
  public var smoothedLoss: Double { state.smoothedLoss(decay: configuration.lossSmoothing) }
  /// The optimizer's state tensors (Adam's moments or SGD's momentum), named as in a checkpoint.
  public var optimizerState: NamedTensors<Scalar> { state.optimizerState }
  /// The optimizer's update count.
  public var optimizerStep: Int { state.optimizerStep }
  /// The last step's batch (times, noise, perturbed points, targets, weights).
  public var lastBatch: DenoisingBatch<Scalar> { buffers.loss.batch }
  /// The last step's encoded network conditions (`n × networkColumns`; rows of zeros and mask 0
  /// were dropped), or `nil` for unconditional training.
  public var lastConditions: Matrix<Scalar>? {
    conditionEncoding.networkColumns > 0 ? buffers.loss.conditions : nil
  }
  /// The last step's clean data `x₀` (standardised), `n × d`.
  public var lastData: Matrix<Scalar> { buffers.x0 }
  /// The last step's gradient `∂L/∂θ` of the batch loss with respect to the weights, after
  /// clipping when ``TrainingConfiguration/gradientClipNorm`` is set (zeros before the first step
  /// of this trainer value).
  public var lastGradients: Network.Parameters { buffers.loss.gradients }

  /// The score model of the EMA weights (in standardised units when a standardiser is used).
  public var scoreModel: NetworkScoreModel<Network, Process> {
    NetworkScoreModel(
      network: averagedNetwork, process: objective.process,
      parameterization: configuration.loss.parameterization,
      conditionEncoding: conditionEncoding)
  }

  /// Takes one training step (see the type's discussion) and returns its loss.
  ///
  /// - Returns: the loss of the batch before the update.
  /// - Throws: ``TrainingError/nonFiniteLoss(step:value:)`` or
  ///   ``TrainingError/nonFiniteGradient(step:norm:)`` with the trainer unchanged, or
  ///   ``TrainingError/nonFiniteParameters(step:tensor:)`` when the update itself overflowed
  ///   (the trainer then holds the bad weights: resume from the last checkpoint).
  @inlinable
  @discardableResult
  public mutating func step() throws(TrainingError) -> Scalar {
    let condition = drawBatch()
    let loss = batchLossAndGradient(condition: condition)
    return try applyGradients(loss: loss)
  }

  /// Draws the next step's whole batch from its generator (rows, dropout coins, times, noise)
  /// into ``buffers``, and returns its encoded conditions, or `nil` for unconditional training.
  @inlinable
  mutating func drawBatch() -> Matrix<Scalar>? {
    let k = state.step
    let seed = configuration.seed
    var rng = Xoshiro256(seed: seed, stream: UInt64(k))
    source.fill(&buffers.raw, step: k, seed: seed, using: &rng)
    buffers.split(encoding: conditionEncoding, dropout: configuration.conditionDropout, using: &rng)
    objective.prepare(buffers.x0, into: &buffers.loss.batch, using: &rng)
    if configuration.dropout > 0 { buffers.dropoutSeed = rng.next() }
    return conditionEncoding.networkColumns > 0 ? buffers.loss.conditions : nil
  }

  /// The rest of a step once `buffers.loss.gradients` holds the batch's gradient and `loss` its
  /// loss: the finiteness checks, clipping, the optimizer and EMA updates and the statistics.
  @inlinable
  mutating func applyGradients(loss: Scalar) throws(TrainingError) -> Scalar {
    let k = state.step
    guard loss.isFinite else { throw .nonFiniteLoss(step: k + 1, value: Double(loss)) }
    let norm: Scalar
    if let clip = configuration.gradientClipNorm {
      norm = buffers.loss.gradients.clipGlobalNorm(to: Scalar(clip))
    } else {
      norm = buffers.loss.gradients.squaredNorm().squareRoot()
    }
    guard norm.isFinite else { throw .nonFiniteGradient(step: k + 1, norm: Double(norm)) }
    let rate = state.schedule.learningRate(at: k)
    state.update(along: buffers.loss.gradients, learningRate: Scalar(rate))
    if let bad = state.firstNonFiniteTensor() {
      throw .nonFiniteParameters(step: k + 1, tensor: bad)
    }
    state.record(
      loss: Double(loss), gradientNorm: Double(norm), learningRate: rate,
      smoothing: configuration.lossSmoothing)
    return loss
  }

  /// Trains until `finalStep`, reporting progress, evaluating and writing checkpoints.
  ///
  /// - Parameters:
  ///   - finalStep: the step to stop at (``TrainingConfiguration/steps`` by default).
  ///   - checkpoint: where and how often to write checkpoints (`nil`: never).
  ///   - evaluation: held-out rows and how often to evaluate on them (`nil`: never).
  ///   - progressInterval: call `progress` after every this many steps (and after the last).
  ///   - progress: receives a ``TrainingProgress``.
  ///   - evaluated: receives each ``EvaluationResult``.
  /// - Throws: the ``TrainingError`` of a failed step (the last checkpoint on disk is the last
  ///   good one), or of a checkpoint that cannot be written.
  @inlinable
  public mutating func train(
    until finalStep: Int? = nil, checkpoint: CheckpointPolicy? = nil,
    evaluation: EvaluationPolicy<Scalar>? = nil, progressInterval: Int = 1,
    progress: (TrainingProgress) -> Void = { _ in }, evaluated: (EvaluationResult) -> Void = { _ in }
  ) throws(TrainingError) {
    let target = finalStep ?? configuration.steps
    let clock = ContinuousClock()
    let start = clock.now
    let firstStep = state.step
    while state.step < target {
      try step()
      let done = state.step
      if done % max(progressInterval, 1) == 0 || done == target {
        progress(progressReport(target: target, firstStep: firstStep, elapsed: clock.now - start))
      }
      if let evaluation, done % evaluation.interval == 0 {
        evaluated(evaluate(on: evaluation.data))
      }
      if let checkpoint, done % checkpoint.interval == 0 || done == target {
        try saveCheckpoint(to: checkpoint.url)
      }
    }
  }

  /// The progress after ``completedSteps`` of a call that started at `firstStep` `elapsed` ago
  /// and runs to `target`.
  @usableFromInline
  func progressReport(target: Int, firstStep: Int, elapsed: Duration) -> TrainingProgress {
    let done = state.step
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let rate = seconds > 0 ? Double(done - firstStep) / seconds : 0
    return TrainingProgress(
      step: done, totalSteps: target, loss: state.lastLoss,
      smoothedLoss: state.smoothedLoss(decay: configuration.lossSmoothing),
      learningRate: state.lastLearningRate, gradientNorm: state.lastGradientNorm, stepsPerSecond: rate,
      elapsedSeconds: seconds, estimatedSecondsRemaining: rate > 0 ? Double(target - done) / rate : 0)
  }

  /// The loss of the current and of the EMA weights on held-out rows, with times, noise and
  /// batches fixed by the seed (`Xoshiro256(seed:, stream: 2⁶⁴ − 2)`), so that evaluations at
  /// different steps are comparable. No condition is dropped.
  ///
  /// - Parameter heldOut: rows in the source's layout and units, `m × (d + k)`: standardised
  ///   like the source's rows when it has an ``TrainingDataSource/appliedStandardizer`` (for
  ///   `Double` rows, `source.appliedStandardizer!.transformed(rows, as: Scalar.self)`).
  /// - Returns: both losses (means over the rows).
  @inlinable
  public func evaluate(on heldOut: Matrix<Scalar>) -> EvaluationResult {
    precondition(
      heldOut.columns == source.columns,
      "Trainer.evaluate: held-out rows \(heldOut.shapeDescription) for a \(source.columns)-column source")
    var scratch = heldOutBatch(heldOut, drawsPerRow: 1, stream: UInt64.max - 1)
    let current = loss(of: state.network, on: &scratch)
    let averaged = loss(of: averagedNetwork, on: &scratch)
    return EvaluationResult(step: state.step, loss: current, averagedLoss: averaged)
  }
}

extension Trainer {
  /// A trainer of an ``MLP`` at step 0 with freshly initialised weights (see
  /// ``init(process:network:architecture:source:configuration:standardizer:)``).
  ///
  /// - Parameters:
  ///   - process: the forward SDE.
  ///   - architecture: the MLP; `inputDimension` must be the source's `d` and
  ///     `conditionDimension` the encoding's columns.
  ///   - source: the training rows.
  ///   - configuration: the run's settings.
  ///   - standardizer: μ and σ of every source column, or `nil` (always `nil` for a source with
  ///     an ``TrainingDataSource/appliedStandardizer``).
  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` naming the first inconsistency.
  public init(
    process: Process, architecture: MLPConfiguration, source: Source,
    configuration: TrainingConfiguration = TrainingConfiguration(), standardizer: Standardizer? = nil
  ) throws(TrainingError) where Network == MLP<Process.Scalar> {
    try self.init(
      process: process, network: MLP<Scalar>.self, architecture: architecture, source: source,
      configuration: configuration, standardizer: standardizer)
  }
}
