public import Datasets
public import ScoreNetworks

/// Why training stopped or could not start: a non-finite loss, gradient or parameter (naming
/// the step), unusable data, or a checkpoint that cannot be written or does not fit.
///
/// When a step fails, the trainer is left as it was before that step and no checkpoint is
/// written, so the last good checkpoint on disk is intact.
///
/// ```swift
/// do { try trainer.train() } catch { print(error) }   // "Step 17: the loss is nan; …"
/// ```
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The loss of step `step` (counted from 1) is NaN or infinite.
  case nonFiniteLoss(step: Int, value: Double)
  /// The gradient of step `step` has a NaN or infinite global norm.
  case nonFiniteGradient(step: Int, norm: Double)
  /// After step `step`'s update the parameter tensor `tensor` holds a NaN or an infinity.
  case nonFiniteParameters(step: Int, tensor: String)
  /// The training data is unusable (non-finite values, too few rows, wrong columns).
  case invalidData(DataError)
  /// The configuration is invalid (what is wrong).
  case invalidConfiguration(String)
  /// The checkpoint at `path` could not be written or read (the safetensors error: unreadable,
  /// malformed, corrupted, misshapen tensors).
  case checkpointFile(path: String, SafeTensorsError)
  /// The checkpoint at `path` does not fit this trainer (what differs).
  case incompatibleCheckpoint(path: String, reason: String)

  /// A sentence saying what went wrong and where.
  public var description: String {
    let advice = "lower the learning rate, clip gradients, or check the data"
    switch self {
    case .nonFiniteLoss(let step, let value):
      return "Step \(step): the loss is \(value); training stopped (\(advice)). No checkpoint was written."
    case .nonFiniteGradient(let step, let norm):
      return
        "Step \(step): the gradient norm is \(norm); training stopped (\(advice)). No checkpoint was written."
    case .nonFiniteParameters(let step, let tensor):
      return "Step \(step): parameter \(tensor) is no longer finite; training stopped (\(advice))."
    case .invalidData(let error): return "Training data: \(error)"
    case .invalidConfiguration(let reason): return "Training configuration: \(reason)"
    case .checkpointFile(let path, .unreadable(_, let reason)),
      .checkpointFile(let path, .unwritable(_, let reason)):
      return "Checkpoint \(path): \(reason)"
    case .checkpointFile(let path, let error): return "Checkpoint \(path): \(error)"
    case .incompatibleCheckpoint(let path, let reason): return "Checkpoint \(path) does not fit: \(reason)"
    }
  }

  /// The step that failed, for the non-finite cases.
  public var step: Int? {
    switch self {
    case .nonFiniteLoss(let step, _), .nonFiniteGradient(let step, _), .nonFiniteParameters(let step, _):
      return step
    default: return nil
    }
  }
}
