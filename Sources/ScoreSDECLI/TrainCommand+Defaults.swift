import ScoreMatching

/// The size-aware settings `train` was given on the command line (`nil`: chosen from the data's
/// size by ``SizeAwareDefaults`` once the rows are read).
struct SizeAwareChoices: Equatable {
  var width: Int?
  var depth: Int?
  var steps: Int?
  var batch: Int?
  var dropout: Double?
  var weightDecay: Double?

  /// The settings in force: each given value, else the default's.
  func resolved(with defaults: SizeAwareDefaults) -> SizeAwareDefaults {
    SizeAwareDefaults(
      width: width ?? defaults.width, depth: depth ?? defaults.depth, steps: steps ?? defaults.steps,
      batchSize: batch ?? defaults.batchSize, dropout: dropout ?? defaults.dropout,
      weightDecay: weightDecay ?? defaults.weightDecay)
  }

  /// The help text of `train`'s size-aware options: the rule in words.
  static let ruleHelp =
    "Default for data files of fewer than \(SizeAwareDefaults.largeDataRows) training rows (n rows, d "
    + "columns): width 64 or 128 (64·⌈(n·d)^¼/4⌉), depth 3, batch the power of two ≥ n/2 in 64…512, "
    + "dropout 0.1, weight decay 0.01; otherwise width 128, depth 3, batch 512, no dropout or decay. Steps: "
    + "\(SizeAwareDefaults.dataFileSteps) for a data file (early stopping ends most small-table runs sooner), "
    + "10000 for a built-in density. The values used "
    + "are recorded in the model file."
}

extension TrainingSettings {
  /// The settings with ``SizeAwareChoices`` resolved for `defaults`: the width, the depth, the
  /// steps (and the warm-up/cosine schedule that spans them), the batch, dropout and weight decay.
  func resolvingSizes(_ defaults: SizeAwareDefaults) -> TrainingSettings {
    guard let choices = sizeAwareChoices else { return self }
    let chosen = choices.resolved(with: defaults)
    var copy = self
    copy.sizeAwareChoices = nil
    copy.width = chosen.width
    copy.depth = chosen.depth
    copy.configuration.steps = chosen.steps
    copy.configuration.batchSize = chosen.batchSize
    copy.configuration.dropout = chosen.dropout
    copy.configuration.optimizer = chosen.weightDecay > 0 ? .adamW(weightDecay: chosen.weightDecay) : .adam
    let rate = copy.configuration.learningRate
    copy.configuration.schedule = .warmupCosine(
      warmupSteps: min(500, chosen.steps / 10), minimum: rate / 20)
    return copy
  }
}
