public import Foundation
public import LinearAlgebra

/// Where and how often a ``Trainer`` writes its checkpoint (one safetensors file, replaced
/// atomically each time).
public struct CheckpointPolicy: Sendable {
  /// The checkpoint file.
  public var url: URL
  /// Write after every `interval` steps, and after the last step.
  public var interval: Int

  /// A policy.
  ///
  /// - Parameters:
  ///   - url: the file, such as `run.ckpt.safetensors`.
  ///   - interval: steps between writes (≥ 1).
  public init(url: URL, interval: Int) {
    precondition(interval >= 1, "CheckpointPolicy: interval must be at least 1, got \(interval)")
    self.url = url
    self.interval = interval
  }
}

/// Held-out rows and how often a ``Trainer`` evaluates its loss on them.
public struct EvaluationPolicy<Scalar: BLASScalar>: Sendable {
  /// Held-out rows in the source's layout, `m × (d + k)` (in data units; the trainer
  /// standardises them).
  public var data: Matrix<Scalar>
  /// Evaluate after every `interval` steps.
  public var interval: Int

  /// A policy.
  ///
  /// - Parameters:
  ///   - data: held-out rows.
  ///   - interval: steps between evaluations (≥ 1).
  public init(data: Matrix<Scalar>, interval: Int) {
    precondition(interval >= 1, "EvaluationPolicy: interval must be at least 1, got \(interval)")
    self.data = data
    self.interval = interval
  }
}
