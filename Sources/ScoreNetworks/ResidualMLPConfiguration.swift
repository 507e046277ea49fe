/// The architecture of a ``ResidualMLP`` score network: its sizes, time embedding and activation.
///
/// With `e = [γ(t) ‖ c]` (`E = dim γ + k` columns), σ the activation and `LN` layer
/// normalisation without an affine map (ε = 10⁻⁵):
///
///     m  = σ(e W_embᵀ + b_emb)                                   the conditioning, n × H
///     h₀ = x W_inᵀ + b_in                                        n × H
///     block b = 0 … B−1:
///       [s_b ‖ β_b] = m W_b,filmᵀ + b_b,film                     scale and shift, n × 2H
///       v = LN(h_b) ⊙ (1 + s_b) + β_b
///       h_{b+1} = h_b + σ(σ(v) W_b,1ᵀ + b_b,1) W_b,2ᵀ + b_b,2
///     out = LN(h_B) W_outᵀ + b_out
///
/// The defaults: the same time embedding as ``MLPConfiguration`` (16 Gaussian Fourier
/// frequencies at scale 16), width 128, 3 blocks, SiLU.
///
/// ```swift
/// let tabular = ResidualMLPConfiguration(inputDimension: 8, conditionDimension: 3, width: 256, blocks: 4)
/// ```
public struct ResidualMLPConfiguration: Sendable, Codable, Equatable {
  /// d, the dimension of x and of the output.
  public var inputDimension: Int
  /// k, the dimension of the condition (0: unconditional).
  public var conditionDimension: Int
  /// γ, the time embedding.
  public var timeEmbedding: TimeEmbeddingKind
  /// H, the width of the residual stream and of every block.
  public var width: Int
  /// B, the number of residual blocks (1 … ``maximumBlocks``).
  public var blocks: Int
  /// σ, the activation of the conditioning and of the blocks.
  public var activation: Activation

  /// A configuration; the defaults give 3 blocks of width 128 with SiLU and the reference time
  /// embedding.
  public init(
    inputDimension: Int, conditionDimension: Int = 0, timeEmbedding: TimeEmbeddingKind = .gaussianFourier(),
    width: Int = 128, blocks: Int = 3, activation: Activation = .silu
  ) {
    self.inputDimension = inputDimension
    self.conditionDimension = conditionDimension
    self.timeEmbedding = timeEmbedding
    self.width = width
    self.blocks = blocks
    self.activation = activation
  }

  /// `E = dim γ + k`, the columns of the embedding `e = [γ(t) ‖ c]`.
  public var embeddingDimension: Int { timeEmbedding.dimension + conditionDimension }

  /// The largest ``blocks`` a network may have, 2¹⁰ = 1024; model files that claim more are
  /// refused before any tensor name is built.
  public static let maximumBlocks = 1 << 10

  /// Why the configuration cannot be built, naming the first invalid field, or `nil`. Every size
  /// must lie in `1 … 2²⁰` (`k` in `0 … 2²⁰`), so that no size arithmetic can overflow, and
  /// ``blocks`` in `1 … 2¹⁰` (``maximumBlocks``).
  public var validationFailure: String? {
    let limit = 1 << 20
    if inputDimension < 1 || inputDimension > limit {
      return "inputDimension must be in 1 ... 2²⁰, got \(inputDimension)"
    }
    if conditionDimension < 0 || conditionDimension > limit {
      return "conditionDimension must be in 0 ... 2²⁰, got \(conditionDimension)"
    }
    if width < 1 || width > limit { return "width must be in 1 ... 2²⁰, got \(width)" }
    if blocks < 1 || blocks > Self.maximumBlocks {
      return "blocks must be in 1 ... \(Self.maximumBlocks), got \(blocks)"
    }
    switch timeEmbedding {
    case .gaussianFourier(let m, let scale):
      if !(m > 0 && m <= limit && scale > 0 && scale.isFinite) {
        return "the Fourier embedding needs 1 ... 2²⁰ frequencies and a finite scale > 0, got \(m), \(scale)"
      }
    case .sinusoidal(let dimension, let period, let timeScale):
      if !(dimension >= 4 && dimension <= limit && dimension % 2 == 0 && period > 1 && period.isFinite
        && timeScale.isFinite)
      {
        return "the sinusoidal embedding needs an even dimension in 4 ... 2²⁰ and a finite period > 1, "
          + "got \(dimension), \(period)"
      }
    }
    return nil
  }

  /// Traps with ``validationFailure`` when the configuration is invalid.
  func validate() {
    if let failure = validationFailure { preconditionFailure("ResidualMLPConfiguration: \(failure)") }
  }
}
