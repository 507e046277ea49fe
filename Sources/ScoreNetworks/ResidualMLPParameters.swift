public import LinearAlgebra

/// The trainable tensors of one residual block of a ``ResidualMLP``: the FiLM map of the
/// conditioning and the block's two linear layers.
public struct ResidualMLPBlock<Scalar: BLASScalar>: Sendable {
  /// `m ↦ [s ‖ β] = m W_filmᵀ + b_film`, `H → 2H` (identity activation).
  public var film: Dense<Scalar>
  /// `σ(v) ↦ σ(σ(v) W₁ᵀ + b₁)`, `H → H` (the activation is applied by the layer).
  public var linear1: Dense<Scalar>
  /// `a ↦ a W₂ᵀ + b₂`, `H → H` (identity activation), added to the residual stream.
  public var linear2: Dense<Scalar>

  /// A block of these layers.
  public init(film: Dense<Scalar>, linear1: Dense<Scalar>, linear2: Dense<Scalar>) {
    self.film = film
    self.linear1 = linear1
    self.linear2 = linear2
  }
}

/// The trainable tensors of a ``ResidualMLP``, and equally its gradient, its Adam moments or its
/// exponential moving average.
///
/// Order, names and PyTorch shapes (`E = dim γ + k`):
///
///     input.weight [H, d]             input.bias [H]
///     embedding.weight [H, E]         embedding.bias [H]
///     blocks.b.film.weight [2H, H]    blocks.b.film.bias [2H]          b = 0 … B−1
///     blocks.b.linear1.weight [H, H]  blocks.b.linear1.bias [H]
///     blocks.b.linear2.weight [H, H]  blocks.b.linear2.bias [H]
///     output.weight [d, H]            output.bias [d]
public struct ResidualMLPParameters<Scalar: BLASScalar>: ParameterGroup {
  /// `x ↦ h₀`, `d → H`.
  public var input: Dense<Scalar>
  /// `e ↦ m = σ(e W_embᵀ + b_emb)`, `E → H` (the activation is applied by the layer).
  public var embedding: Dense<Scalar>
  /// The B residual blocks.
  public var blocks: [ResidualMLPBlock<Scalar>]
  /// `LN(h_B) ↦ out`, `H → d`.
  public var output: Dense<Scalar>

  /// Parameters made of these layers.
  public init(
    input: Dense<Scalar>, embedding: Dense<Scalar>, blocks: [ResidualMLPBlock<Scalar>], output: Dense<Scalar>
  ) {
    precondition(!blocks.isEmpty, "ResidualMLPParameters: need at least one block")
    self.input = input
    self.embedding = embedding
    self.blocks = blocks
    self.output = output
  }

  /// `6 + 6B`.
  @inlinable public var tensorCount: Int { 6 + 6 * blocks.count }

  /// (layer, part): layer 0 input, 1 embedding, `2 + 3b + j` layer j of block b, then output;
  /// part 0 weight, 1 bias.
  @inlinable
  func locate(_ index: Int) -> (layer: Int, part: Int) {
    precondition(
      index >= 0 && index < tensorCount, "ResidualMLPParameters has \(tensorCount) tensors, not \(index)")
    return (index / 2, index % 2)
  }

  /// Calls `body` with dense layer `layer` in the order of ``locate(_:)``.
  @inlinable
  func withLayer<R>(_ layer: Int, _ body: (Dense<Scalar>) throws -> R) rethrows -> R {
    switch layer {
    case 0: return try body(input)
    case 1: return try body(embedding)
    case 2 + 3 * blocks.count: return try body(output)
    default:
      let (b, j) = ((layer - 2) / 3, (layer - 2) % 3)
      return try body(j == 0 ? blocks[b].film : j == 1 ? blocks[b].linear1 : blocks[b].linear2)
    }
  }

  /// Tensor `index` in the order above.
  @inlinable
  public func tensor(at index: Int) -> Matrix<Scalar> {
    let (layer, part) = locate(index)
    return withLayer(layer) { $0.tensor(at: part) }
  }

  /// Tensor `index` in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    let (layer, part) = locate(index)
    switch layer {
    case 0: return try input.withMutableTensor(at: part, body)
    case 1: return try embedding.withMutableTensor(at: part, body)
    case 2 + 3 * blocks.count: return try output.withMutableTensor(at: part, body)
    default:
      let (b, j) = ((layer - 2) / 3, (layer - 2) % 3)
      switch j {
      case 0: return try blocks[b].film.withMutableTensor(at: part, body)
      case 1: return try blocks[b].linear1.withMutableTensor(at: part, body)
      default: return try blocks[b].linear2.withMutableTensor(at: part, body)
      }
    }
  }

  /// `input.weight`, `embedding.bias`, `blocks.b.film.weight`, `output.bias`, ….
  public func tensorName(at index: Int) -> String {
    let (layer, part) = locate(index)
    let suffix = part == 0 ? "weight" : "bias"
    switch layer {
    case 0: return "input.\(suffix)"
    case 1: return "embedding.\(suffix)"
    case 2 + 3 * blocks.count: return "output.\(suffix)"
    default:
      let (b, j) = ((layer - 2) / 3, (layer - 2) % 3)
      return "blocks.\(b).\(["film", "linear1", "linear2"][j]).\(suffix)"
    }
  }

  /// The PyTorch shape of tensor `index`: `[out, in]` or `[out]`.
  public func tensorShape(at index: Int) -> [Int] {
    let (layer, part) = locate(index)
    return withLayer(layer) { $0.tensorShape(at: part) }
  }

  /// The names and PyTorch shapes of the tensors of a network of configuration `c`, in order.
  static func expectedShapes(for c: ResidualMLPConfiguration) -> [(name: String, shape: [Int])] {
    let (d, h, e) = (c.inputDimension, c.width, c.embeddingDimension)
    var result: [(name: String, shape: [Int])] = [
      ("input.weight", [h, d]), ("input.bias", [h]), ("embedding.weight", [h, e]), ("embedding.bias", [h]),
    ]
    for b in 0..<c.blocks {
      result += [
        ("blocks.\(b).film.weight", [2 * h, h]), ("blocks.\(b).film.bias", [2 * h]),
        ("blocks.\(b).linear1.weight", [h, h]), ("blocks.\(b).linear1.bias", [h]),
        ("blocks.\(b).linear2.weight", [h, h]), ("blocks.\(b).linear2.bias", [h]),
      ]
    }
    result += [("output.weight", [d, h]), ("output.bias", [d])]
    return result
  }
}
