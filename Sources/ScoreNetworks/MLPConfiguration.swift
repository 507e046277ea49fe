/// The architecture of an ``MLP`` score network: what it takes, how wide and deep it is.
///
/// The network maps `x ∈ ℝᵈ`, a time `t` and an optional condition `c ∈ ℝᶜ` (physical
/// parameters, or a one-hot class) to `ℝᵈ`:
///
///     h₀ = [x ‖ γ(t) ‖ c],   h_l = block_l(h_{l−1}) for l = 1 … L,   out = h_L W_outᵀ + b_out,
///     block_l(h) = σ(N(h W_lᵀ + b_l)) (+ h when residual and l ≥ 2),
///
/// where γ is the time embedding, σ the activation, and N is layer normalisation when
/// `layerNorm` is set (the identity otherwise). The defaults are the reference network `Net` of
/// `shared/bench/torch_ref.py`: 16 Gaussian Fourier frequencies at scale 16, SiLU, no residual
/// connections, no normalisation.
///
/// ```swift
/// let small = MLPConfiguration(inputDimension: 2, width: 128, depth: 3)          // W1-small
/// let conditional = MLPConfiguration(inputDimension: 8, conditionDimension: 3, residual: true)
/// ```
public struct MLPConfiguration: Sendable, Codable, Equatable {
  /// d, the dimension of x and of the output.
  public var inputDimension: Int
  /// c, the dimension of the condition (0: unconditional).
  public var conditionDimension: Int
  /// γ, the time embedding.
  public var timeEmbedding: TimeEmbeddingKind
  /// H, the width of every hidden layer.
  public var width: Int
  /// L, the number of hidden layers (1 … ``maximumDepth``).
  public var depth: Int
  /// σ, the activation of the hidden layers.
  public var activation: Activation
  /// Skip connections `h + block(h)` around hidden layers 2 … L (those that map H to H).
  public var residual: Bool
  /// Layer normalisation between each hidden layer's affine map and its activation.
  public var layerNorm: Bool

  /// A configuration; the defaults give the reference network for dimension `inputDimension`.
  public init(
    inputDimension: Int, conditionDimension: Int = 0, timeEmbedding: TimeEmbeddingKind = .gaussianFourier(),
    width: Int = 128, depth: Int = 3, activation: Activation = .silu, residual: Bool = false,
    layerNorm: Bool = false
  ) {
    self.inputDimension = inputDimension
    self.conditionDimension = conditionDimension
    self.timeEmbedding = timeEmbedding
    self.width = width
    self.depth = depth
    self.activation = activation
    self.residual = residual
    self.layerNorm = layerNorm
  }

  /// The largest ``depth`` a network may have, 2¹⁰ = 1024; model files that claim more are
  /// refused before any tensor name is built.
  public static let maximumDepth = 1 << 10

  /// The number of columns of the first layer's input, `d + dim γ + c`.
  public var networkInputDimension: Int { inputDimension + timeEmbedding.dimension + conditionDimension }

  /// Checks the configuration, naming the first invalid field.
  func validate() {
    precondition(
      inputDimension > 0, "MLPConfiguration: inputDimension must be positive, got \(inputDimension)")
    precondition(
      conditionDimension >= 0, "MLPConfiguration: conditionDimension must be ≥ 0, got \(conditionDimension)")
    precondition(width > 0, "MLPConfiguration: width must be positive, got \(width)")
    precondition(
      depth >= 1 && depth <= Self.maximumDepth,
      "MLPConfiguration: depth must be in 1 ... \(Self.maximumDepth), got \(depth)")
    switch timeEmbedding {
    case .gaussianFourier(let m, let scale):
      precondition(
        m > 0 && scale > 0, "MLPConfiguration: Fourier embedding needs m > 0, scale > 0; got \(m), \(scale)")
    case .sinusoidal(let dimension, let period, _):
      precondition(
        dimension >= 4 && dimension % 2 == 0 && period > 1,
        "MLPConfiguration: sinusoidal embedding needs an even dimension ≥ 4 and period > 1; got \(dimension), \(period)"
      )
    }
  }
}
