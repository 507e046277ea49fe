public import LinearAlgebra

/// An exponential moving average of the weights (Polyak & Juditsky 1992), the weights a score
/// network is usually sampled with (Song & Ermon 2020, "Improved Techniques for Training
/// Score-Based Generative Models", §3.5):
///
///     θ̄ ← θ̄ − (1 − δ)(θ̄ − θ),   that is θ̄ ← δ θ̄ + (1 − δ) θ,
///
/// with decay δ = 0.999 by default. With `warmup`, the n-th update (n = 1, 2, …) uses
/// `δₙ = min(δ, (1 + n)/(10 + n))`, as score_sde's `ExponentialMovingAverage(use_num_updates)`,
/// so that the average forgets its random initial value quickly.
///
/// ```swift
/// var ema = ExponentialMovingAverage(model.parameters)
/// // after each optimizer step:
/// ema.update(toward: model.parameters)
/// // for sampling:
/// var sampler = model; sampler.parameters = ema.average
/// ```
public struct ExponentialMovingAverage<Parameters: ParameterGroup>: Sendable {
  /// The floating-point precision.
  public typealias Scalar = Parameters.Scalar
  /// θ̄.
  public var average: Parameters
  /// δ.
  public var decay: Scalar
  /// Whether the early updates use the smaller decay `(1 + n)/(10 + n)`.
  public var warmup: Bool
  /// n, the number of updates taken.
  public var updateCount = 0

  /// An average starting at `parameters`.
  public init(_ parameters: Parameters, decay: Scalar = 0.999, warmup: Bool = false) {
    precondition(decay >= 0 && decay <= 1, "ExponentialMovingAverage: decay must lie in [0, 1], got \(decay)")
    self.average = parameters
    self.decay = decay
    self.warmup = warmup
  }

  /// The decay the next update will use.
  @inlinable
  public var nextDecay: Scalar {
    guard warmup else { return decay }
    let n = Scalar(updateCount + 1)
    return Swift.min(decay, (1 + n) / (10 + n))
  }

  /// `θ̄ ← θ̄ − (1 − δ)(θ̄ − θ)` on every tensor, in place (no allocation).
  @inlinable
  public mutating func update(toward parameters: Parameters) {
    precondition(
      parameters.tensorCount == average.tensorCount,
      "ExponentialMovingAverage: \(parameters.tensorCount) tensors for an average of \(average.tensorCount)")
    let rate = 1 - nextDecay
    updateCount += 1
    for k in 0..<parameters.tensorCount {
      let theta = parameters.tensor(at: k)
      average.withMutableTensor(at: k) { a in
        precondition(a.count == theta.count, "ExponentialMovingAverage: tensor \(k) changed shape")
        a.withUnsafeMutableBufferPointer { pa in
          theta.withUnsafeBufferPointer { pt in
            for i in 0..<pa.count { pa[i] -= rate * (pa[i] - pt[i]) }
          }
        }
      }
    }
  }

  /// The averaged tensors named `ema.<name>`, for a checkpoint.
  public func namedTensors() -> NamedTensors<Scalar> { average.namedTensors(prefix: "ema.") }

  /// Restores the averaged tensors from ``namedTensors()`` (set ``updateCount`` separately).
  /// - Throws: as ``ParameterGroup/load(from:prefix:)``.
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    try average.load(from: tensors, prefix: "ema.")
  }
}
