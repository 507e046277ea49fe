public import LinearAlgebra
import RealModule

/// How an optimizer shrinks the weights.
public enum WeightDecay<Scalar: BLASScalar>: Sendable, Equatable {
  /// No decay.
  case none
  /// L2 regularisation: `λθ` is added to the gradient before the update (PyTorch's
  /// `Adam(weight_decay=λ)` and `SGD(weight_decay=λ)`).
  case coupled(Scalar)
  /// Decoupled decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"):
  /// `θ ← θ(1 − ηλ)` before the update, independent of the gradient's scale (PyTorch's `AdamW`).
  case decoupled(Scalar)

  /// λ of `.coupled`, else 0.
  @inlinable var coupledRate: Scalar {
    if case .coupled(let l) = self { return l }
    return 0
  }

  /// λ of `.decoupled`, else 0.
  @inlinable var decoupledRate: Scalar {
    if case .decoupled(let l) = self { return l }
    return 0
  }
}

/// Checks one of an optimizer's settings: finite and non-negative (a programmer error otherwise;
/// an infinite or NaN setting would turn every weight into NaN at the first step).
@inlinable
func checkOptimizerSetting<Scalar: BLASScalar>(_ value: Scalar, _ name: String, of optimizer: String) {
  precondition(
    value >= 0 && value.isFinite, "\(optimizer): \(name) must be finite and non-negative, got \(value)")
}

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1) and,
/// with decoupled weight decay, AdamW (Loshchilov & Hutter 2019).
///
/// At step `t` (1, 2, …), for each scalar θ with gradient g:
///
///     g ← g + λ_L2 θ                              (coupled decay only)
///     θ ← θ (1 − η λ_W)                           (decoupled decay only)
///     m ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²
///     θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// which is the paper's `θ − η m̂/(√v̂ + ε)` with `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`, in the
/// arrangement PyTorch uses (so results agree with `torch.optim.Adam` / `AdamW`). The bias
/// corrections are computed in `Double`.
///
/// ```swift
/// var adam = Adam<Float>(learningRate: 1e-3)                    // the W1 benchmark's optimizer
/// var adamW = Adam<Float>.adamW(learningRate: 1e-3, weightDecay: 0.01)
/// adam.update(&model.parameters, along: gradients)
/// ```
public struct Adam<Scalar: BLASScalar>: Optimizer {
  /// η.
  public var learningRate: Scalar
  /// β₁, the decay of the first moment.
  public var beta1: Scalar
  /// β₂, the decay of the second moment.
  public var beta2: Scalar
  /// ε, added to the denominator.
  public var epsilon: Scalar
  /// The weight decay (none for Adam, `.decoupled` for AdamW).
  public var weightDecay: WeightDecay<Scalar>
  /// t, the number of updates taken.
  public var step = 0
  @usableFromInline var m: [Matrix<Scalar>] = []
  @usableFromInline var v: [Matrix<Scalar>] = []

  /// m, one tensor per parameter tensor (empty before the first update).
  public var firstMoments: [Matrix<Scalar>] { m }
  /// v, one tensor per parameter tensor (empty before the first update).
  public var secondMoments: [Matrix<Scalar>] { v }

  /// Adam with PyTorch's defaults: η = 10⁻³, β = (0.9, 0.999), ε = 10⁻⁸, no decay.
  public init(
    learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8,
    weightDecay: WeightDecay<Scalar> = .none
  ) {
    checkOptimizerSetting(learningRate, "the learning rate", of: "Adam")
    precondition(
      beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
      "Adam: betas must lie in [0, 1), got \(beta1), \(beta2)")
    checkOptimizerSetting(epsilon, "epsilon", of: "Adam")
    checkOptimizerSetting(weightDecay.coupledRate + weightDecay.decoupledRate, "the weight decay", of: "Adam")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// AdamW: Adam with decoupled weight decay λ (PyTorch's `AdamW` defaults: λ = 0.01).
  public static func adamW(
    learningRate: Scalar = 1e-3, weightDecay: Scalar = 0.01, beta1: Scalar = 0.9, beta2: Scalar = 0.999,
    epsilon: Scalar = 1e-8
  ) -> Adam {
    Adam(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      weightDecay: .decoupled(weightDecay))
  }

  /// One Adam step on every tensor (no allocation after the first).
  @inlinable
  public mutating func update<P: ParameterGroup>(_ parameters: inout P, along gradients: P)
  where P.Scalar == Scalar {
    prepareState(&m, for: parameters, along: gradients, "Adam")
    prepareState(&v, for: parameters, along: gradients, "Adam")
    step += 1
    let t = step
    let correction1 = 1 - Double.pow(Double(beta1), t)
    let correction2 = 1 - Double.pow(Double(beta2), t)
    let stepSize = Scalar(Double(learningRate) / correction1)
    let inverseRootCorrection2 = Scalar(1 / correction2.squareRoot())
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    let l2 = weightDecay.coupledRate
    let shrink = 1 - learningRate * weightDecay.decoupledRate
    updateEachTensor(&parameters, along: gradients, "Adam", stateCount: { m[$0].count }) { k, p, pg in
      m[k].withUnsafeMutableBufferPointer { pm in
        v[k].withUnsafeMutableBufferPointer { pv in
          guard !p.isEmpty else { return }
          adamStep(
            p.baseAddress!, pg.baseAddress!, pm.baseAddress!, pv.baseAddress!, count: p.count, l2: l2,
            beta1: b1, beta2: b2, epsilon: eps, shrink: shrink, stepSize: stepSize,
            inverseRootCorrection2: inverseRootCorrection2)
        }
      }
    }
  }

  /// `adam.exp_avg.<name>` (m) and `adam.exp_avg_sq.<name>` (v), PyTorch's state names.
  public func namedState<P: ParameterGroup>(for parameters: P) -> NamedTensors<Scalar>
  where P.Scalar == Scalar {
    var result = namedMoments(firstMoments, prefix: "adam.exp_avg.", for: parameters)
    result.append(contentsOf: namedMoments(secondMoments, prefix: "adam.exp_avg_sq.", for: parameters))
    return result
  }

  /// Restores m and v from ``namedState(for:)``.
  public mutating func loadState<P: ParameterGroup>(
    _ tensors: NamedTensors<Scalar>, for parameters: P
  ) throws(SafeTensorsError) where P.Scalar == Scalar {
    let first = try loadMoments(tensors, prefix: "adam.exp_avg.", for: parameters)
    let second = try loadMoments(tensors, prefix: "adam.exp_avg_sq.", for: parameters)
    m = first
    v = second
  }
}
