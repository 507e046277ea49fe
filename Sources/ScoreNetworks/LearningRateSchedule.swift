import RealModule

/// A learning rate as a function of the number of updates already taken.
///
/// ```swift
/// let schedule = WarmupCosineSchedule<Float>(peak: 1e-3, warmupSteps: 500, totalSteps: 50_000)
/// adam.learningRate = schedule.learningRate(at: adam.step)
/// ```
public protocol LearningRateSchedule<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BinaryFloatingPoint
  /// The learning rate of the update that follows `step` completed updates (0 for the first).
  func learningRate(at step: Int) -> Scalar
}

/// The same learning rate at every step.
public struct ConstantLearningRate<Scalar: BinaryFloatingPoint & Sendable>: LearningRateSchedule {
  /// η.
  public var value: Scalar
  /// The schedule η, η, η, ….
  public init(_ value: Scalar) { self.value = value }
  /// η.
  public func learningRate(at step: Int) -> Scalar { value }
}

/// Linear warm-up to a peak, then cosine decay to a floor (Goyal et al. 2017 for the warm-up;
/// Loshchilov & Hutter 2017, SGDR, for the cosine):
///
///     η(s) = η_peak · (s + 1)/W                                  for s < W,
///     η(s) = η_min + (η_peak − η_min) · ½(1 + cos(π · p)),  p = min(1, (s − W)/(T − W))   for s ≥ W,
///
/// where `s` counts completed updates, `W` is the warm-up length and `T` the total number of
/// updates; after `T` the rate stays at `η_min`. With `W = 0` it is a pure cosine decay.
public struct WarmupCosineSchedule<Scalar: BinaryFloatingPoint & Sendable>: LearningRateSchedule {
  /// η_peak, reached at the last warm-up step.
  public var peak: Scalar
  /// W.
  public var warmupSteps: Int
  /// T.
  public var totalSteps: Int
  /// η_min, the final rate.
  public var minimum: Scalar

  /// The schedule above.
  public init(peak: Scalar, warmupSteps: Int, totalSteps: Int, minimum: Scalar = 0) {
    precondition(
      warmupSteps >= 0 && totalSteps > warmupSteps,
      "WarmupCosineSchedule: need 0 ≤ warmupSteps < totalSteps, got \(warmupSteps), \(totalSteps)")
    self.peak = peak
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
    self.minimum = minimum
  }

  /// η(step).
  public func learningRate(at step: Int) -> Scalar {
    if step < warmupSteps { return peak * Scalar(step + 1) / Scalar(warmupSteps) }
    let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
    let cosine = (1 + Double.cos(Double.pi * progress)) / 2
    return minimum + (peak - minimum) * Scalar(cosine)
  }
}
