public import LinearAlgebra

/// A skip connection around a layer of equal input and output dimension, `y = x + f(x)`
/// (He, Zhang, Ren & Sun 2016, "Deep Residual Learning for Image Recognition").
///
/// The pullback is `∂L/∂x = ∂L/∂y + J_fᵀ ∂L/∂y`; the parameter gradient is `f`'s.
///
/// ```swift
/// let block = Residual(Dense<Float>(inputDimension: 64, outputDimension: 64, activation: .silu, using: &rng))
/// let y = block(x)
/// ```
public struct Residual<Body: Layer>: Layer {
  /// The floating-point precision.
  public typealias Scalar = Body.Scalar
  /// f.
  public var body: Body

  /// `x + body(x)`; `body` must map `n` columns to `n` columns.
  public init(_ body: Body) {
    precondition(
      body.inputDimension == body.outputDimension,
      "Residual: body maps \(body.inputDimension) columns to \(body.outputDimension)")
    self.body = body
  }

  /// n.
  @inlinable public var inputDimension: Int { body.inputDimension }
  /// n.
  @inlinable public var outputDimension: Int { body.outputDimension }

  /// The body's cache and a copy of `∂L/∂y` for the pullback.
  public struct Cache: Sendable {
    /// The cache of `body`.
    public var body: Body.Cache
    @usableFromInline var scratch: Matrix<Scalar>
    @inlinable init(body: Body.Cache, scratch: Matrix<Scalar>) {
      self.body = body
      self.scratch = scratch
    }
  }

  /// A cache for `rows` rows.
  public func makeCache(rows: Int) -> Cache {
    Cache(body: body.makeCache(rows: rows), scratch: Matrix(rows: rows, columns: outputDimension))
  }

  /// The body's zero gradient.
  public func makeGradient() -> Body.Gradient { body.makeGradient() }

  /// `output ← input + body(input)`.
  @inlinable
  public func forward(_ input: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout Cache) {
    body.forward(input, into: &output, cache: &cache.body)
    output.add(input)
  }

  /// `∂L/∂x = ∂L/∂y + J_fᵀ ∂L/∂y`; the body's parameter gradient.
  @inlinable
  public func backward(
    _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>, cache: inout Cache,
    inputGradient: inout Matrix<Scalar>, parameterGradient: inout Body.Gradient, accumulate: Bool
  ) {
    // The body consumes its output gradient, so it gets a copy; the original is added after.
    cache.scratch.assign(outputGradient)
    body.backward(
      &cache.scratch, input: input, cache: &cache.body, inputGradient: &inputGradient,
      parameterGradient: &parameterGradient, accumulate: accumulate)
    inputGradient.add(outputGradient)
  }
}

extension Residual: ParameterGroup where Body: ParameterGroup {
  /// The body's tensor count.
  @inlinable public var tensorCount: Int { body.tensorCount }
  /// The body's tensor `index`.
  @inlinable public func tensor(at index: Int) -> Matrix<Scalar> { body.tensor(at: index) }
  /// The body's tensor `index`, in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    try self.body.withMutableTensor(at: index, body)
  }
  /// `body.<name>`.
  public func tensorName(at index: Int) -> String { "body." + body.tensorName(at: index) }
  /// The body's shape.
  public func tensorShape(at index: Int) -> [Int] { body.tensorShape(at: index) }
}
