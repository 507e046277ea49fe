public import LinearAlgebra
import RealModule

/// The parameters of a fully connected layer `y = σ(x Wᵀ + b)`, PyTorch's `nn.Linear` followed by
/// an optional activation.
///
/// `Dense` holds a layer's weight, bias and activation for ``MLPParameters`` and
/// ``ResidualMLPParameters``; it has no forward or backward pass of its own. The networks
/// (``MLP``, ``ResidualMLP``) apply it in their fused passes: one `gemm`, then one pass that adds
/// the bias, applies σ and keeps σ′; the pullback is two `gemm`s and one pass,
///
///     δz = δy ⊙ σ′(z),   ∂L/∂W = δzᵀ x,   ∂L/∂b = Σ_rows δz,   ∂L/∂x = δz W.
///
/// The weight is stored as PyTorch stores it, `out × in` (row `o` holds the weights into output
/// `o`), so a safetensors file written here loads into `nn.Linear` unchanged.
///
/// ```swift
/// var rng = Xoshiro256(seed: 1)
/// let layer = Dense<Float>(inputDimension: 34, outputDimension: 128, activation: .silu, using: &rng)
/// layer.tensorShape(at: 0)   // [128, 34]
/// ```
public struct Dense<Scalar: BLASScalar>: WeightAndBiasGroup {
  /// W, `outputDimension × inputDimension` (PyTorch layout).
  public var weight: Matrix<Scalar>
  /// b, `1 × outputDimension` (PyTorch shape `[out]`).
  public var bias: Matrix<Scalar>
  /// σ, applied after the affine map.
  public var activation: Activation

  /// A layer with the given weight (`out × in`) and bias (`1 × out`).
  public init(weight: Matrix<Scalar>, bias: Matrix<Scalar>, activation: Activation = .identity) {
    precondition(
      bias.rows == 1 && bias.columns == weight.rows,
      "Dense: bias \(bias.shapeDescription) for weight \(weight.shapeDescription); need 1×\(weight.rows)")
    self.weight = weight
    self.bias = bias
    self.activation = activation
  }

  /// A layer initialised as PyTorch's `nn.Linear`: every weight and bias independent
  /// `U(−1/√in, 1/√in)` (Kaiming-uniform with `a = √5`, which reduces to this bound), weights
  /// drawn first in row-major order, then biases.
  ///
  /// - Parameters:
  ///   - inputDimension: `in`, the fan-in.
  ///   - outputDimension: `out`.
  ///   - activation: σ (identity by default).
  ///   - rng: the generator; the same seed gives the same layer.
  public init<G: RandomNumberGenerator>(
    inputDimension: Int, outputDimension: Int, activation: Activation = .identity, using rng: inout G
  ) {
    precondition(
      inputDimension > 0 && outputDimension > 0,
      "Dense: dimensions must be positive, got \(inputDimension) → \(outputDimension)")
    let bound = 1 / Scalar(inputDimension).squareRoot()
    self.weight = .randomUniform(
      rows: outputDimension, columns: inputDimension, lower: -bound, upper: bound, using: &rng)
    self.bias = .randomUniform(rows: 1, columns: outputDimension, lower: -bound, upper: bound, using: &rng)
    self.activation = activation
  }

  /// `in`.
  @inlinable public var inputDimension: Int { weight.columns }
  /// `out`.
  @inlinable public var outputDimension: Int { weight.rows }

  /// `output ← σ(input Wᵀ + b) (+ residual)`, `derivative ← σ′(input Wᵀ + b)` (unused for the
  /// identity).
  @inlinable
  func forward(
    _ input: Matrix<Scalar>, into output: inout Matrix<Scalar>, derivative: inout Matrix<Scalar>,
    residual: Matrix<Scalar>?
  ) {
    precondition(
      input.columns == inputDimension,
      "Dense: input \(input.shapeDescription) for a layer of input dimension \(inputDimension)")
    precondition(
      output.rows == input.rows && output.columns == outputDimension,
      "Dense: output \(output.shapeDescription) for input \(input.shapeDescription); "
        + "need \(input.rows)×\(outputDimension)")
    output.formProduct(input, weight, transposingB: true)
    let (rows, columns, activation) = (input.rows, outputDimension, activation)
    if activation != .identity {
      precondition(
        derivative.rows == rows && derivative.columns == columns,
        "Dense: derivative cache \(derivative.shapeDescription), need \(rows)×\(columns)")
    }
    if let residual {
      precondition(
        residual.rows == rows && residual.columns == columns,
        "Dense: residual \(residual.shapeDescription), need \(rows)×\(columns)")
    }
    output.withUnsafeMutableBufferPointer { out in
      bias.withUnsafeBufferPointer { b in
        derivative.withUnsafeMutableBufferPointer { d in
          withOptionalPointer(residual) { r in
            applyBiasAndActivation(
              out.baseAddress!, derivative: activation == .identity ? nil : d.baseAddress,
              bias: b.baseAddress!,
              residual: r, rows: rows, columns: columns, activation: activation)
          }
        }
      }
    }
  }

  /// `δz = δy ⊙ σ′` in place, then `self.weight (+)= δzᵀ x`, `self.bias (+)= Σ δz` (self is the
  /// gradient of `layer`).
  @inlinable
  mutating func accumulateGradient(
    of layer: Dense, _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>,
    derivative: Matrix<Scalar>, accumulate: Bool
  ) {
    let (rows, columns) = (outputGradient.rows, outputGradient.columns)
    if !accumulate { bias.fill(with: 0) }
    bias.withUnsafeMutableBufferPointer { db in
      outputGradient.withUnsafeMutableBufferPointer { g in
        if layer.activation == .identity {
          accumulateColumnSums(g.baseAddress!, rows: rows, columns: columns, into: db.baseAddress!)
        } else {
          precondition(
            derivative.rows == rows && derivative.columns == columns,
            "Dense.backward: cache \(derivative.shapeDescription) for gradient \(rows)×\(columns)")
          derivative.withUnsafeBufferPointer { d in
            multiplyByDerivative(
              g.baseAddress!, derivative: d.baseAddress!, into: g.baseAddress!, rows: rows, probes: 1,
              columns: columns, biasGradient: db.baseAddress!)
          }
        }
      }
    }
    weight.formProduct(outputGradient, input, transposingA: true, beta: accumulate ? 1 : 0)
  }

  /// `[out, in]` or `[out]`.
  public func tensorShape(at index: Int) -> [Int] {
    index == 0 ? [weight.rows, weight.columns] : [bias.columns]
  }
}

/// Calls `body` with the base address of `matrix`, or with `nil` when there is none.
@inlinable
func withOptionalPointer<S: BLASScalar, R>(
  _ matrix: Matrix<S>?, _ body: (UnsafePointer<S>?) throws -> R
) rethrows -> R {
  if let matrix {
    return try matrix.withUnsafeBufferPointer { try body($0.baseAddress) }
  }
  return try body(nil)
}
