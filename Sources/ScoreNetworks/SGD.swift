public import LinearAlgebra

/// Stochastic gradient descent with heavy-ball momentum (Polyak 1964) or Nesterov momentum
/// (Sutskever et al. 2013), as PyTorch's `torch.optim.SGD` without dampening:
///
///     g ← g + λ θ              (coupled weight decay)
///     b ← μ b + g              (b starts at 0, so the first b is g)
///     θ ← θ − η (g + μ b)      with Nesterov momentum,   θ ← θ − η b   otherwise.
///
/// With μ = 0 this is plain gradient descent `θ ← θ − η g`.
///
/// ```swift
/// var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
/// sgd.update(&parameters, along: gradients)
/// ```
public struct SGD<Scalar: BLASScalar>: Optimizer {
  /// η.
  public var learningRate: Scalar
  /// μ.
  public var momentum: Scalar
  /// Use Nesterov's look-ahead form.
  public var nesterov: Bool
  /// λ, the coupled (L2) weight decay.
  public var weightDecay: Scalar
  /// The number of updates taken.
  public var step = 0
  @usableFromInline var buffers: [Matrix<Scalar>] = []

  /// b, one tensor per parameter tensor (empty before the first update).
  public var momentumBuffers: [Matrix<Scalar>] { buffers }

  /// SGD with step size η, momentum μ (0 by default), optional Nesterov form and L2 decay λ.
  public init(learningRate: Scalar, momentum: Scalar = 0, nesterov: Bool = false, weightDecay: Scalar = 0) {
    checkOptimizerSetting(learningRate, "the learning rate", of: "SGD")
    checkOptimizerSetting(momentum, "the momentum", of: "SGD")
    checkOptimizerSetting(weightDecay, "the weight decay", of: "SGD")
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  /// One SGD step on every tensor (no allocation after the first).
  @inlinable
  public mutating func update<P: ParameterGroup>(_ parameters: inout P, along gradients: P)
  where P.Scalar == Scalar {
    prepareState(&buffers, for: parameters, along: gradients, "SGD")
    step += 1
    let (eta, mu, lambda) = (learningRate, momentum, weightDecay)
    let lookAhead: Scalar = nesterov ? 1 : 0
    updateEachTensor(&parameters, along: gradients, "SGD", stateCount: { buffers[$0].count }) { k, p, pg in
      buffers[k].withUnsafeMutableBufferPointer { b in
        for i in 0..<p.count {
          let gi = pg[i] + lambda * p[i]
          let bi = mu * b[i] + gi
          b[i] = bi
          // Nesterov: g + μb; heavy ball: b = (1 − 1)·g + b.
          p[i] -= eta * (lookAhead * (gi + mu * bi) + (1 - lookAhead) * bi)
        }
      }
    }
  }

  /// `sgd.momentum_buffer.<name>`, PyTorch's state name.
  public func namedState<P: ParameterGroup>(for parameters: P) -> NamedTensors<Scalar>
  where P.Scalar == Scalar {
    namedMoments(momentumBuffers, prefix: "sgd.momentum_buffer.", for: parameters)
  }

  /// Restores the momentum buffers from ``namedState(for:)``.
  public mutating func loadState<P: ParameterGroup>(
    _ tensors: NamedTensors<Scalar>, for parameters: P
  ) throws(SafeTensorsError) where P.Scalar == Scalar {
    buffers = try loadMoments(tensors, prefix: "sgd.momentum_buffer.", for: parameters)
  }
}
