public import LinearAlgebra

/// A first-order optimizer that updates a ``ParameterGroup`` in place along its gradient
/// (tensorflow/swift-apis' `optimizer.update(&model, along: gradient)`).
///
/// ```swift
/// var adam = Adam<Float>(learningRate: 1e-3)
/// let schedule = WarmupCosineSchedule<Float>(peak: 1e-3, warmupSteps: 100, totalSteps: 10_000)
/// adam.update(&model.parameters, along: gradients, schedule: schedule)
/// ```
///
/// Updates are vectorised loops over each tensor; the optimizer's moments are allocated by the
/// first update (or by ``loadState(_:for:)``) and never again.
public protocol Optimizer<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// The step size of the next update (set it from a ``LearningRateSchedule``).
  var learningRate: Scalar { get set }
  /// The number of updates taken so far (restored with the state when resuming).
  var step: Int { get set }

  /// Takes one step: `parameters ← parameters − (update rule)(gradients)`; increments ``step``.
  mutating func update<P: ParameterGroup>(_ parameters: inout P, along gradients: P) where P.Scalar == Scalar

  /// The optimizer's per-tensor state (moments) named after `parameters`' tensors, for a
  /// checkpoint; empty before the first update.
  func namedState<P: ParameterGroup>(for parameters: P) -> NamedTensors<Scalar> where P.Scalar == Scalar

  /// Restores the state written by ``namedState(for:)`` (set ``step`` separately).
  /// - Throws: ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; nothing changes when it throws.
  mutating func loadState<P: ParameterGroup>(_ tensors: NamedTensors<Scalar>, for parameters: P)
    throws(SafeTensorsError) where P.Scalar == Scalar
}

extension Optimizer {
  /// Sets the learning rate to `schedule.learningRate(at: step)`, then takes one step.
  @inlinable
  public mutating func update<P: ParameterGroup>(
    _ parameters: inout P, along gradients: P, schedule: some LearningRateSchedule<Scalar>
  ) where P.Scalar == Scalar {
    learningRate = schedule.learningRate(at: step)
    update(&parameters, along: gradients)
  }
}

/// Checks that `gradients` matches `parameters` and that `state` (one tensor per parameter
/// tensor) belongs to them, making it as zeros on the first update.
@inlinable
func prepareState<P: ParameterGroup>(
  _ state: inout [Matrix<P.Scalar>], for parameters: P, along gradients: P, _ optimizer: String
) {
  precondition(
    parameters.tensorCount == gradients.tensorCount,
    "\(optimizer).update: \(parameters.tensorCount) parameter tensors, \(gradients.tensorCount) gradient tensors"
  )
  if state.count != parameters.tensorCount {
    precondition(state.isEmpty, "\(optimizer).update: the optimizer belongs to another model")
    state = zeroTensors(like: parameters)
  }
}

/// Calls `body(k, θ_k, g_k)` for every tensor `k`, with `θ_k` in place, after checking that the
/// gradient `g_k` and the optimizer's state tensor (`stateCount(k)` entries) have `θ_k`'s size
/// (`optimizer` names the caller). Only the update of the entries is left to `body`.
@inlinable
func updateEachTensor<P: ParameterGroup>(
  _ parameters: inout P, along gradients: P, _ optimizer: String, stateCount: (Int) -> Int,
  _ body: (Int, UnsafeMutableBufferPointer<P.Scalar>, UnsafeBufferPointer<P.Scalar>) -> Void
) {
  for k in 0..<parameters.tensorCount {
    let g = gradients.tensor(at: k)
    parameters.withMutableTensor(at: k) { theta in
      precondition(
        theta.count == g.count && theta.count == stateCount(k),
        "\(optimizer).update: tensor \(k) is \(theta.shapeDescription), its gradient \(g.shapeDescription)")
      theta.withUnsafeMutableBufferPointer { p in
        g.withUnsafeBufferPointer { pg in body(k, p, pg) }
      }
    }
  }
}

/// Zero tensors shaped like `parameters`' tensors.
@usableFromInline
func zeroTensors<P: ParameterGroup>(like parameters: P) -> [Matrix<P.Scalar>] {
  (0..<parameters.tensorCount).map { k in
    let t = parameters.tensor(at: k)
    return Matrix(rows: t.rows, columns: t.columns)
  }
}

/// Named copies of `tensors`, named `prefix + parameters.tensorName(at: k)`.
func namedMoments<P: ParameterGroup>(
  _ tensors: [Matrix<P.Scalar>], prefix: String, for parameters: P
) -> NamedTensors<P.Scalar> {
  var result = NamedTensors<P.Scalar>()
  for (k, t) in tensors.enumerated() {
    result.append(
      name: prefix + parameters.tensorName(at: k), shape: parameters.tensorShape(at: k), values: t)
  }
  return result
}

/// The tensors `prefix + name` of `tensors`, checked against `parameters`' shapes.
func loadMoments<P: ParameterGroup>(
  _ tensors: NamedTensors<P.Scalar>, prefix: String, for parameters: P
) throws(SafeTensorsError) -> [Matrix<P.Scalar>] {
  var result: [Matrix<P.Scalar>] = []
  for k in 0..<parameters.tensorCount {
    let name = prefix + parameters.tensorName(at: k)
    let shape = parameters.tensorShape(at: k)
    guard let t = tensors[name] else { throw .missingTensor(name: name) }
    guard t.shape == shape else { throw .shapeMismatch(name: name, expected: shape, found: t.shape) }
    let p = parameters.tensor(at: k)
    result.append(t.values.reshaped(rows: p.rows, columns: p.columns))
  }
  return result
}
