import Datasets
import LinearAlgebra
import RealModule
import ScoreNetworks

/// What a ``Trainer`` changes from step to step: the weights, their average, the optimizer and
/// the loss statistics. All of it goes into a checkpoint.
@usableFromInline
struct TrainerState<Network: ScoreNetwork>: Sendable {
  @usableFromInline typealias Scalar = Network.Scalar
  @usableFromInline var network: Network
  @usableFromInline var ema: ExponentialMovingAverage<Network.Parameters>
  /// The optimizer the configuration names.
  @usableFromInline var optimizer: any Optimizer<Scalar>
  /// The learning rate by step.
  @usableFromInline let schedule: any LearningRateSchedule<Double>
  @usableFromInline var step = 0
  @usableFromInline var lastLoss = Double.nan
  @usableFromInline var lastGradientNorm = Double.nan
  @usableFromInline var lastLearningRate = Double.nan
  /// The un-normalised EMA of the loss and the number of losses in it.
  @usableFromInline var lossAccumulator = 0.0
  @usableFromInline var lossCount = 0
  /// Where early stopping stands in a validated run (`nil` before one starts); saved in
  /// checkpoints.
  @usableFromInline var earlyStopping: EarlyStoppingState<Network.Parameters>? = nil

  init(network: Network, configuration: TrainingConfiguration) {
    self.network = network
    self.ema = ExponentialMovingAverage(
      network.parameters, decay: Scalar(configuration.emaDecay), warmup: configuration.emaWarmup)
    self.optimizer = configuration.makeOptimizer(Scalar.self)
    self.schedule = configuration.learningRateSchedule
  }

  /// One optimizer step at `learningRate`, then the EMA update.
  @inlinable
  mutating func update(along gradients: Network.Parameters, learningRate: Scalar) {
    optimizer.learningRate = learningRate
    optimizer.update(&network.parameters, along: gradients)
    ema.update(toward: network.parameters)
    step += 1
  }

  /// The name of the first parameter tensor holding a NaN or an infinity, or `nil`.
  @inlinable
  func firstNonFiniteTensor() -> String? {
    let parameters = network.parameters
    for k in 0..<parameters.tensorCount where !parameters.tensor(at: k).isFinite {
      return parameters.tensorName(at: k)
    }
    return nil
  }

  /// Records a step's statistics.
  @inlinable
  mutating func record(loss: Double, gradientNorm: Double, learningRate: Double, smoothing: Double) {
    lastLoss = loss
    lastGradientNorm = gradientNorm
    lastLearningRate = learningRate
    lossAccumulator = smoothing * lossAccumulator + (1 - smoothing) * loss
    lossCount += 1
  }

  /// The bias-corrected EMA of the loss, `acc / (1 − βⁿ)`.
  @inlinable
  func smoothedLoss(decay: Double) -> Double {
    guard lossCount > 0 else { return .nan }
    return lossAccumulator / (1 - Double.pow(decay, lossCount))
  }

  /// The optimizer's named state tensors.
  var optimizerState: NamedTensors<Scalar> { optimizer.namedState(for: network.parameters) }

  /// The optimizer's update count.
  var optimizerStep: Int { optimizer.step }
}

/// A ``Trainer``'s per-step buffers, made once.
@usableFromInline
struct TrainerBuffers<Network: ScoreNetwork>: Sendable {
  @usableFromInline typealias Scalar = Network.Scalar
  /// The source's rows, `n × (d + k)`.
  @usableFromInline var raw: Matrix<Scalar>
  /// `x₀`, standardised, `n × d`.
  @usableFromInline var x0: Matrix<Scalar>
  /// The batch, its encoded conditions (`n × networkColumns`), the network's buffers and the
  /// gradient.
  @usableFromInline var loss: LossBuffers<Network>
  /// Each row block's copy of its rows and its buffers, when ``Trainer/threads`` splits the batch.
  @usableFromInline var rowBlocks = RowBlocks<Network>()
  /// The standardisation of every source column, or `nil`.
  @usableFromInline let standardizer: Standardizer?
  @usableFromInline var dataColumns: Int
  /// The seed of the current step's ``Dropout`` masks (drawn by `drawBatch` when the dropout
  /// rate is positive).
  @usableFromInline var dropoutSeed: UInt64 = 0

  @usableFromInline
  init(
    network: Network, rows: Int, columns: Int, dataColumns: Int, conditionColumns: Int,
    standardizer: Standardizer?
  ) {
    raw = Matrix(rows: rows, columns: columns)
    x0 = Matrix(rows: rows, columns: dataColumns)
    loss = LossBuffers(
      network: network, rows: rows, dimension: network.inputDimension, conditionColumns: conditionColumns)
    self.standardizer = standardizer
    self.dataColumns = dataColumns
  }

  /// Standardises ``raw`` in place (``Standardizer/transform(_:)``), then splits it into `x₀`
  /// and encoded conditions, dropping each row's condition with probability `dropout` (one coin
  /// per row from `rng`, drawn only when `dropout > 0`).
  @inlinable
  mutating func split<G: RandomNumberGenerator>(
    encoding: ConditionEncoding, dropout: Double, using rng: inout G
  ) {
    standardizer?.transform(&raw)
    let (n, c, d) = (raw.rows, raw.columns, dataColumns)
    let k = encoding.dimension
    let width = encoding.networkColumns
    let hasMask = encoding.hasMaskColumn
    raw.withUnsafeBufferPointer { r in
      x0.withUnsafeMutableBufferPointer { x in
        for i in 0..<n {
          for j in 0..<d { x[i * d + j] = r[i * c + j] }
        }
      }
      guard width > 0 else { return }
      loss.conditions.withUnsafeMutableBufferPointer { e in
        for i in 0..<n {
          for j in 0..<k { e[i * width + j] = r[i * c + d + j] }
          if hasMask { e[i * width + k] = 1 }
        }
      }
    }
    guard dropout > 0 && width > 0 else { return }
    for i in 0..<n where 1 - Double.randomOpenUnit(using: &rng) < dropout {
      encoding.dropCondition(row: i, in: &loss.conditions)
    }
  }
}
