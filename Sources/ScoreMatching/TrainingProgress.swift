/// What a ``Trainer`` reports to its progress callback (a command-line tool turns it into a
/// progress bar).
public struct TrainingProgress: Sendable, Equatable {
  /// Steps completed.
  public var step: Int
  /// The step training runs to.
  public var totalSteps: Int
  /// The loss of the last step.
  public var loss: Double
  /// An exponential moving average of the loss (bias-corrected, decay
  /// ``TrainingConfiguration/lossSmoothing``).
  public var smoothedLoss: Double
  /// The learning rate of the last step.
  public var learningRate: Double
  /// The global gradient norm of the last step, before clipping.
  public var gradientNorm: Double
  /// Steps per second since this call to ``Trainer/train(until:checkpoint:evaluation:progressInterval:progress:evaluated:)``
  /// started.
  public var stepsPerSecond: Double
  /// Seconds since that call started.
  public var elapsedSeconds: Double
  /// The estimated seconds to ``totalSteps`` at the current rate.
  public var estimatedSecondsRemaining: Double

  /// A progress report.
  public init(
    step: Int, totalSteps: Int, loss: Double, smoothedLoss: Double, learningRate: Double,
    gradientNorm: Double,
    stepsPerSecond: Double, elapsedSeconds: Double, estimatedSecondsRemaining: Double
  ) {
    self.step = step
    self.totalSteps = totalSteps
    self.loss = loss
    self.smoothedLoss = smoothedLoss
    self.learningRate = learningRate
    self.gradientNorm = gradientNorm
    self.stepsPerSecond = stepsPerSecond
    self.elapsedSeconds = elapsedSeconds
    self.estimatedSecondsRemaining = estimatedSecondsRemaining
  }
}

/// The held-out loss at a step, for the evaluation callback.
public struct EvaluationResult: Sendable, Equatable {
  /// Steps completed.
  public var step: Int
  /// The loss of the current weights on the held-out rows.
  public var loss: Double
  /// The loss of the EMA weights (those a model file keeps) on the same rows.
  public var averagedLoss: Double

  /// An evaluation result.
  public init(step: Int, loss: Double, averagedLoss: Double) {
    self.step = step
    self.loss = loss
    self.averagedLoss = averagedLoss
  }
}
