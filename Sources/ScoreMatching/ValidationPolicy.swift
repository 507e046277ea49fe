public import LinearAlgebra
public import ScoreNetworks

/// Held-out rows, how often a ``Trainer`` measures its averaged weights on them, and when it
/// stops: the settings of ``Trainer/train(until:validation:checkpoint:progressInterval:likelihood:progress:validated:)``.
///
/// The held-out loss is the denoising loss of the EMA weights (those a model file keeps) on the
/// held-out rows, each row taken ``drawsPerRow`` times with its own time and noise. The times and
/// the noise are drawn once, from `Xoshiro256(seed: configuration.seed, stream: 2⁶⁴ − 3)`, and
/// kept for the whole run (common random numbers): two evaluations differ only because the
/// weights did, so the curve has no sampling noise of its own and a fall is a real improvement.
///
/// ```swift
/// let split = trainTestSplit(rows, testFraction: 0.2, using: &rng)
/// let policy = ValidationPolicy(data: split.test, interval: 100, patience: 10)
/// let outcome = try trainer.train(validation: policy)
/// try trainer.trainedModel(keeping: outcome).save(to: url)   // the best averaged weights
/// ```
public struct ValidationPolicy<Scalar: BLASScalar>: Sendable {
  /// Held-out rows in the source's layout and units, `m × (d + k)`: standardised like the
  /// source's rows when it has an ``TrainingDataSource/appliedStandardizer``.
  public var data: Matrix<Scalar>
  /// Evaluate after every `interval` steps (and after the last step).
  public var interval: Int
  /// Stop after this many evaluations in a row without an improvement of the best held-out
  /// loss, or `nil` to train every step.
  public var patience: Int?
  /// The (time, noise) pairs drawn for each held-out row: more pairs lower the variance of the
  /// held-out loss as an estimate of the expected loss (not its step-to-step noise, which the
  /// fixed draws already remove).
  public var drawsPerRow: Int
  /// An evaluation improves on the best when its loss is below `best − minimumImprovement`.
  public var minimumImprovement: Double
  /// Measure the held-out NLL (with the `likelihood` closure given to
  /// ``Trainer/train(until:validation:checkpoint:progressInterval:likelihood:progress:validated:)``)
  /// at every `likelihoodInterval`-th evaluation, counting from the first, and at the last; `nil`
  /// for never. The closure bounds the cost (a subsample, a fixed-step solver): the denoising loss
  /// is a bound on the NLL that can improve while the NLL itself worsens (memorisation), which
  /// this shows as training goes.
  public var likelihoodInterval: Int? = nil

  /// A policy.
  ///
  /// - Parameters:
  ///   - data: held-out rows (at least one).
  ///   - interval: steps between evaluations (≥ 1).
  ///   - patience: evaluations without improvement before stopping (≥ 1), or `nil` for never.
  ///   - drawsPerRow: (time, noise) pairs per held-out row (≥ 1; 8 by default).
  ///   - minimumImprovement: the decrease that counts as an improvement (≥ 0; 0 by default).
  public init(
    data: Matrix<Scalar>, interval: Int, patience: Int? = nil, drawsPerRow: Int = 8,
    minimumImprovement: Double = 0
  ) {
    precondition(data.rows >= 1, "ValidationPolicy: no held-out rows")
    precondition(interval >= 1, "ValidationPolicy: interval must be at least 1, got \(interval)")
    precondition(patience.map { $0 >= 1 } ?? true, "ValidationPolicy: patience must be at least 1")
    precondition(drawsPerRow >= 1, "ValidationPolicy: drawsPerRow must be at least 1, got \(drawsPerRow)")
    precondition(
      minimumImprovement >= 0 && minimumImprovement.isFinite,
      "ValidationPolicy: minimumImprovement must be finite and non-negative, got \(minimumImprovement)")
    self.data = data
    self.interval = interval
    self.patience = patience
    self.drawsPerRow = drawsPerRow
    self.minimumImprovement = minimumImprovement
  }
}

/// One held-out evaluation during training.
public struct ValidationPoint: Sendable, Equatable, Codable {
  /// Steps completed.
  public var step: Int
  /// The held-out denoising loss of the averaged (EMA) weights.
  public var loss: Double
  /// The smoothed training loss at that step.
  public var trainingLoss: Double
  /// Whether this evaluation set a new best.
  public var isBest: Bool
  /// The held-out NLL of the averaged weights when it was measured at this evaluation
  /// (``ValidationPolicy/likelihoodInterval``), else `nil`.
  public var negativeLogLikelihood: Double?

  /// A point.
  public init(
    step: Int, loss: Double, trainingLoss: Double, isBest: Bool, negativeLogLikelihood: Double? = nil
  ) {
    self.step = step
    self.loss = loss
    self.trainingLoss = trainingLoss
    self.isBest = isBest
    self.negativeLogLikelihood = negativeLogLikelihood
  }
}

/// What a validated run kept: the best averaged weights, when they were reached, and the
/// held-out curve.
public struct ValidationOutcome<Parameters: Sendable>: Sendable {
  /// The EMA weights at ``bestStep``.
  public var bestParameters: Parameters
  /// The step whose averaged weights had the lowest held-out loss.
  public var bestStep: Int
  /// That loss.
  public var bestLoss: Double
  /// Every evaluation, in order.
  public var history: [ValidationPoint]
  /// Whether training stopped before its final step because the held-out loss had not improved
  /// for ``ValidationPolicy/patience`` evaluations.
  public var stoppedEarly: Bool

  /// The summary a model file records.
  public var summary: ValidationSummary {
    ValidationSummary(
      bestStep: bestStep, bestLoss: bestLoss, evaluations: history.count, stoppedEarly: stoppedEarly,
      lastStep: history.last?.step ?? bestStep)
  }
}

/// How a validated run ended, recorded in a model file's ``TrainingSummary/validation``.
public struct ValidationSummary: Sendable, Codable, Hashable {
  /// The step whose averaged weights the model holds.
  public var bestStep: Int
  /// Their held-out denoising loss.
  public var bestLoss: Double
  /// The number of held-out evaluations.
  public var evaluations: Int
  /// Whether patience ran out before the final step.
  public var stoppedEarly: Bool
  /// The last step trained.
  public var lastStep: Int
  /// The fraction of the data held out, when the split was made from one file.
  public var heldOutFraction: Double?
  /// The number of held-out rows.
  public var heldOutRows: Int?

  /// A summary.
  public init(
    bestStep: Int, bestLoss: Double, evaluations: Int, stoppedEarly: Bool, lastStep: Int,
    heldOutFraction: Double? = nil, heldOutRows: Int? = nil
  ) {
    self.bestStep = bestStep
    self.bestLoss = bestLoss
    self.evaluations = evaluations
    self.stoppedEarly = stoppedEarly
    self.lastStep = lastStep
    self.heldOutFraction = heldOutFraction
    self.heldOutRows = heldOutRows
  }
}

/// Where early stopping stands: the best averaged weights so far, their step and held-out loss,
/// the evaluations since the last improvement and the curve. A ``Trainer`` keeps it while a
/// validated run goes and writes it into every checkpoint, so that a resumed run keeps the best
/// weights and continues the patience count instead of starting afresh.
public struct EarlyStoppingState<Parameters: ParameterGroup>: Sendable {
  /// The best averaged weights so far.
  public var bestParameters: Parameters
  /// Their step.
  public var bestStep: Int
  /// Their held-out loss (`+∞` before the first evaluation).
  public var bestLoss: Double
  /// Evaluations in a row without an improvement.
  public var evaluationsWithoutImprovement: Int
  /// Every evaluation so far, in order.
  public var history: [ValidationPoint]

  /// The state before any evaluation, with `parameters` as the best so far.
  ///
  /// - Parameters:
  ///   - parameters: the averaged weights at `step`.
  ///   - step: the step.
  public init(parameters: Parameters, step: Int) {
    bestParameters = parameters
    bestStep = step
    bestLoss = .infinity
    evaluationsWithoutImprovement = 0
    history = []
  }
}

extension ValidationOutcome where Parameters: ParameterGroup {
  /// What a run that ended in `stopping` kept.
  @usableFromInline
  init(_ stopping: EarlyStoppingState<Parameters>, stoppedEarly: Bool) {
    self.init(
      bestParameters: stopping.bestParameters, bestStep: stopping.bestStep, bestLoss: stopping.bestLoss,
      history: stopping.history, stoppedEarly: stoppedEarly)
  }
}
