public import LinearAlgebra

/// A differentiable map from `rows × inputDimension` to `rows × outputDimension` with a
/// hand-written pullback.
///
/// This is tensorflow/swift-apis' `appliedForBackpropagation(to:) -> (output, backpropagator)`
/// with the closure's captured state made explicit: ``forward(_:into:cache:)`` writes the
/// output and saves what the pullback needs into a preallocated ``Cache``, and
/// ``backward(_:input:cache:inputGradient:parameterGradient:accumulate:)`` maps `∂L/∂output` to
/// `∂L/∂input` and the parameter gradient. With caches and outputs made once per batch size,
/// neither call allocates.
///
/// ```swift
/// let layer = Dense<Double>(inputDimension: 3, outputDimension: 4, activation: .silu, using: &rng)
/// var cache = layer.makeCache(rows: x.rows)
/// var y = Matrix<Double>(rows: x.rows, columns: 4)
/// layer.forward(x, into: &y, cache: &cache)
/// var dy = lossGradient(y)                       // ∂L/∂y, consumed by backward
/// var dx = Matrix<Double>(rows: x.rows, columns: 3)
/// var dθ = layer.makeGradient()
/// layer.backward(&dy, input: x, cache: &cache, inputGradient: &dx, parameterGradient: &dθ)
/// ```
public protocol Layer<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// What the forward pass saves for the pullback, sized for a batch.
  associatedtype Cache: Sendable
  /// The parameter gradient (the tangent vector): same tensors, names and shapes as the layer's
  /// parameters.
  associatedtype Gradient: ParameterGroup where Gradient.Scalar == Scalar

  /// The number of input columns.
  var inputDimension: Int { get }
  /// The number of output columns.
  var outputDimension: Int { get }

  /// A cache for batches of `rows` rows.
  func makeCache(rows: Int) -> Cache

  /// A zero parameter gradient.
  func makeGradient() -> Gradient

  /// Writes the layer applied to each row of `input` into `output` (`rows × outputDimension`)
  /// and saves what ``backward(_:input:cache:inputGradient:parameterGradient:accumulate:)``
  /// needs into `cache`.
  func forward(_ input: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout Cache)

  /// The pullback: from `∂L/∂output` to `∂L/∂input` and `∂L/∂θ`.
  ///
  /// - Parameters:
  ///   - outputGradient: `∂L/∂output`; used as scratch memory (its contents are unspecified
  ///     afterwards).
  ///   - input: the input of the matching forward pass.
  ///   - cache: the cache filled by that forward pass (layers may use it as scratch memory).
  ///   - inputGradient: receives `∂L/∂input` (overwritten).
  ///   - parameterGradient: receives `∂L/∂θ`.
  ///   - accumulate: add to `parameterGradient` (true) or overwrite it (false).
  func backward(
    _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>, cache: inout Cache,
    inputGradient: inout Matrix<Scalar>, parameterGradient: inout Gradient, accumulate: Bool)
}

extension Layer {
  /// The layer applied to each row of `input`, as a new matrix (allocates; for inference and
  /// tests).
  public func callAsFunction(_ input: Matrix<Scalar>) -> Matrix<Scalar> {
    var cache = makeCache(rows: input.rows)
    var output = Matrix<Scalar>(rows: input.rows, columns: outputDimension)
    forward(input, into: &output, cache: &cache)
    return output
  }

  /// The pullback that overwrites the parameter gradient (`accumulate: false`).
  @inlinable
  public func backward(
    _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>, cache: inout Cache,
    inputGradient: inout Matrix<Scalar>, parameterGradient: inout Gradient
  ) {
    backward(
      &outputGradient, input: input, cache: &cache, inputGradient: &inputGradient,
      parameterGradient: &parameterGradient, accumulate: false)
  }
}

/// The parameters of a layer that has none (the tangent vector of a fixed map).
public struct NoParameters<Scalar: BLASScalar>: ParameterGroup {
  /// The empty group.
  public init() {}
  /// 0.
  public var tensorCount: Int { 0 }
  /// Never called: there are no tensors.
  public func tensor(at index: Int) -> Matrix<Scalar> {
    preconditionFailure("NoParameters has no tensor \(index)")
  }
  /// Never called: there are no tensors.
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    preconditionFailure("NoParameters has no tensor \(index)")
  }
  /// Never called: there are no tensors.
  public func tensorName(at index: Int) -> String {
    preconditionFailure("NoParameters has no tensor \(index)")
  }
  /// Never called: there are no tensors.
  public func tensorShape(at index: Int) -> [Int] {
    preconditionFailure("NoParameters has no tensor \(index)")
  }
}
