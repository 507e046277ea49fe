public import LinearAlgebra
public import ScoreNetworks

/// Which first-order optimizer a ``Trainer`` uses (see ScoreNetworks' `Adam` and `SGD`).
public enum OptimizerKind: Sendable, Codable, Hashable {
  /// Adam with PyTorch's defaults β = (0.9, 0.999), ε = 10⁻⁸ (Kingma & Ba 2015).
  case adam
  /// AdamW: Adam with decoupled weight decay λ (Loshchilov & Hutter 2019).
  case adamW(weightDecay: Double)
  /// SGD with momentum μ, optionally Nesterov's form.
  case sgd(momentum: Double, nesterov: Bool)
}

/// The learning rate over training (see ScoreNetworks' `WarmupCosineSchedule`).
public enum LearningRateScheduleKind: Sendable, Codable, Hashable {
  /// The same rate at every step.
  case constant
  /// Linear warm-up over `warmupSteps` to the peak rate, then cosine decay to `minimum` at the
  /// last step (``TrainingConfiguration/steps``).
  case warmupCosine(warmupSteps: Int, minimum: Double)
}

/// Everything that defines a training run besides the data, the network's architecture and the
/// process: stored in every checkpoint, so that a run can resume from the file alone.
///
/// The defaults are the W1 benchmark's (`shared/bench/torch_ref.py`): batch 512, Adam at 10⁻³,
/// ε-prediction with `λ = σ²`, no clipping; plus an EMA of the weights with decay 0.999
/// (Song & Ermon 2020), which sampling uses, warmed up as score_sde does (``emaWarmup``).
///
/// ```swift
/// var configuration = TrainingConfiguration(seed: 7, steps: 20_000)
/// configuration.schedule = .warmupCosine(warmupSteps: 500, minimum: 1e-5)
/// configuration.gradientClipNorm = 1
/// configuration.loss.weighting = .likelihood
/// ```
public struct TrainingConfiguration: Sendable, Codable, Hashable {
  /// The seed of everything random: the initial weights (`Xoshiro256(seed:, stream: 2⁶⁴ − 1)`)
  /// and step `k`'s data, times, noise and condition dropout (`Xoshiro256(seed:, stream: k)`).
  public var seed: UInt64
  /// `n`, the rows per step.
  public var batchSize: Int
  /// The number of optimizer steps of the whole run (the cosine schedule ends here).
  public var steps: Int
  /// The optimizer.
  public var optimizer: OptimizerKind
  /// The peak learning rate η.
  public var learningRate: Double
  /// The learning-rate schedule.
  public var schedule: LearningRateScheduleKind
  /// δ of the exponential moving average of the weights (0 keeps the last weights).
  public var emaDecay: Double
  /// Whether the EMA's n-th update uses `δₙ = min(δ, (1 + n)/(10 + n))` (score_sde's
  /// `num_updates`; TensorFlow's `ExponentialMovingAverage(num_updates:)`) instead of `δ`.
  ///
  /// `true` by default. Without it the average after `n` steps still holds `δⁿ` of the random
  /// initial weights — 0.999²⁰⁰ ≈ 82 % after 200 steps, whose samples are then noise of
  /// standard deviation ~100 on unit-variance data. With it the initial weights' share is
  /// `∏ₖ₌₁ⁿ (1 + k)/(10 + k) = 10!·(n + 1)!/(n + 10)! ≈ 3.6·10⁶/n⁹` (5·10⁻¹⁵ at n = 200), the
  /// average spans roughly the last `(10 + n)/9` steps (a ninth of the run so far), and `δ` takes
  /// over from step `n = (10δ − 1)/(1 − δ)` on (8 990 for δ = 0.999), so long runs are unchanged
  /// in all but their first few thousand averaging steps. A checkpoint stores the flag and the
  /// update count, so resuming continues the same sequence.
  public var emaWarmup: Bool
  /// The largest global gradient norm (PyTorch's `clip_grad_norm_`), or `nil` for none.
  public var gradientClipNorm: Double?
  /// The loss.
  public var loss: DenoisingOptions
  /// The probability of replacing a row's condition by the unconditional token ∅ (classifier-
  /// free guidance training; Ho & Salimans 2021 use 0.1–0.2). 0 for none.
  public var conditionDropout: Double
  /// The decay of the smoothed loss reported to progress callbacks (bias-corrected EMA).
  public var lossSmoothing: Double
  /// p, the rate of ``Dropout`` on the network's hidden units during training steps (0: none,
  /// the default). Inference, evaluation and likelihoods never drop units. Files written before
  /// the field existed read as 0.
  public var dropout: Double

  /// A configuration; every parameter has the W1 benchmark's default.
  ///
  /// - Parameters:
  ///   - seed: the run's seed (0).
  ///   - batchSize: rows per step (512).
  ///   - steps: total steps (10 000).
  ///   - optimizer: `.adam`.
  ///   - learningRate: 10⁻³.
  ///   - schedule: `.constant`.
  ///   - emaDecay: 0.999.
  ///   - emaWarmup: `true`.
  ///   - gradientClipNorm: `nil` (no clipping).
  ///   - loss: ``DenoisingOptions`` defaults (ε-prediction, `λ = σ²`).
  ///   - conditionDropout: 0.
  ///   - lossSmoothing: 0.98.
  ///   - dropout: 0 (no dropout).
  public init(
    seed: UInt64 = 0, batchSize: Int = 512, steps: Int = 10_000, optimizer: OptimizerKind = .adam,
    learningRate: Double = 1e-3, schedule: LearningRateScheduleKind = .constant, emaDecay: Double = 0.999,
    emaWarmup: Bool = true, gradientClipNorm: Double? = nil, loss: DenoisingOptions = DenoisingOptions(),
    conditionDropout: Double = 0, lossSmoothing: Double = 0.98, dropout: Double = 0
  ) {
    self.seed = seed
    self.batchSize = batchSize
    self.steps = steps
    self.optimizer = optimizer
    self.learningRate = learningRate
    self.schedule = schedule
    self.emaDecay = emaDecay
    self.emaWarmup = emaWarmup
    self.gradientClipNorm = gradientClipNorm
    self.loss = loss
    self.conditionDropout = conditionDropout
    self.lossSmoothing = lossSmoothing
    self.dropout = dropout
  }

  /// The first invalid setting, described, or `nil` when every setting is valid.
  public var validationFailure: String? {
    if batchSize < 1 { return "batchSize must be at least 1, got \(batchSize)" }
    if steps < 0 { return "steps must be non-negative, got \(steps)" }
    if !(learningRate >= 0 && learningRate.isFinite) {
      return "learningRate must be finite and non-negative, got \(learningRate)"
    }
    if !(emaDecay >= 0 && emaDecay <= 1) { return "emaDecay must lie in [0, 1], got \(emaDecay)" }
    if let c = gradientClipNorm, !(c > 0 && c.isFinite) {
      return "gradientClipNorm must be positive and finite (nil for no clipping), got \(c)"
    }
    if !(conditionDropout >= 0 && conditionDropout < 1) {
      return "conditionDropout must lie in [0, 1), got \(conditionDropout)"
    }
    if !(dropout >= 0 && dropout < 1) { return "dropout must lie in [0, 1), got \(dropout)" }
    if !(lossSmoothing >= 0 && lossSmoothing < 1) {
      return "lossSmoothing must lie in [0, 1), got \(lossSmoothing)"
    }
    if !(loss.smallTimeCutoff > 0 && loss.smallTimeCutoff.isFinite) {
      return "loss.smallTimeCutoff must be positive, got \(loss.smallTimeCutoff)"
    }
    switch schedule {
    case .constant: break
    case .warmupCosine(let warmup, let minimum):
      if warmup < 0 || warmup >= max(steps, 1) {
        return "the warm-up (\(warmup) steps) must be shorter than the run (\(steps) steps)"
      }
      if !(minimum >= 0 && minimum <= learningRate) {
        return "the schedule's minimum \(minimum) must lie in [0, learningRate = \(learningRate)]"
      }
    }
    switch optimizer {
    case .adam: break
    case .adamW(let decay):
      if !(decay >= 0 && decay.isFinite) { return "AdamW's weight decay must be non-negative, got \(decay)" }
    case .sgd(let momentum, _):
      if !(momentum >= 0 && momentum.isFinite) {
        return "SGD's momentum must be non-negative, got \(momentum)"
      }
    }
    return nil
  }

  /// The learning-rate schedule this configuration names: ``ConstantLearningRate`` or
  /// ``WarmupCosineSchedule`` from ``learningRate`` over ``steps`` (at least one step past the
  /// warm-up).
  public var learningRateSchedule: any LearningRateSchedule<Double> {
    switch schedule {
    case .constant: return ConstantLearningRate(learningRate)
    case .warmupCosine(let warmup, let minimum):
      return WarmupCosineSchedule(
        peak: learningRate, warmupSteps: warmup, totalSteps: max(steps, warmup + 1), minimum: minimum)
    }
  }

  /// The learning rate of the update that follows `step` completed updates
  /// (``learningRateSchedule`` at `step`).
  ///
  /// - Parameter step: completed updates.
  /// - Returns: `η` for a constant schedule; the warm-up/cosine value otherwise.
  public func learningRate(at step: Int) -> Double { learningRateSchedule.learningRate(at: step) }

  /// The optimizer this configuration names, at ``learningRate``, in precision `Scalar`.
  ///
  /// - Parameter scalar: the precision.
  /// - Returns: an ``Adam`` (AdamW with decoupled decay) or an ``SGD``.
  public func makeOptimizer<Scalar: BLASScalar>(_ scalar: Scalar.Type) -> any Optimizer<Scalar> {
    let rate = Scalar(learningRate)
    switch optimizer {
    case .adam: return Adam(learningRate: rate)
    case .adamW(let decay): return Adam.adamW(learningRate: rate, weightDecay: Scalar(decay))
    case .sgd(let momentum, let nesterov):
      return SGD(learningRate: rate, momentum: Scalar(momentum), nesterov: nesterov)
    }
  }
}

extension TrainingConfiguration {
  /// Reads a configuration; ``dropout`` is optional (0 when absent, as in files written before
  /// it existed).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      seed: try c.decode(UInt64.self, forKey: .seed), batchSize: try c.decode(Int.self, forKey: .batchSize),
      steps: try c.decode(Int.self, forKey: .steps),
      optimizer: try c.decode(OptimizerKind.self, forKey: .optimizer),
      learningRate: try c.decode(Double.self, forKey: .learningRate),
      schedule: try c.decode(LearningRateScheduleKind.self, forKey: .schedule),
      emaDecay: try c.decode(Double.self, forKey: .emaDecay),
      emaWarmup: try c.decode(Bool.self, forKey: .emaWarmup),
      gradientClipNorm: try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm),
      loss: try c.decode(DenoisingOptions.self, forKey: .loss),
      conditionDropout: try c.decode(Double.self, forKey: .conditionDropout),
      lossSmoothing: try c.decode(Double.self, forKey: .lossSmoothing),
      dropout: try c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0)
  }
}
