public import LinearAlgebra

/// The parameters of a layer normalisation of each row (Ba, Kiros & Hinton 2016, "Layer
/// Normalization"), PyTorch's `nn.LayerNorm(n)`:
///
///     μ = mean(z),  ρ = 1/√(var(z) + ε),  x̂ = (z − μ)ρ,  y = γ ⊙ x̂ + β,
///
/// with the biased variance (divided by n) and ε = 10⁻⁵ as in PyTorch; γ starts at 1 and β at 0.
///
/// `LayerNorm` holds γ, β and ε for ``MLPParameters`` and ``ResidualMLPParameters``; it has no
/// forward or backward pass of its own. The networks (``MLP``, ``ResidualMLP``) normalise in their
/// fused passes, together with the preceding layer's bias and the following activation, and pull
/// back with
///
///     ∂L/∂z = ρ (g − mean(g) − x̂ · mean(g ⊙ x̂)),  g = γ ⊙ ∂L/∂y,
///     ∂L/∂γ = Σ_rows ∂L/∂y ⊙ x̂,  ∂L/∂β = Σ_rows ∂L/∂y.
///
/// ```swift
/// let norm = LayerNorm<Double>(dimension: 128)
/// norm.tensorShape(at: 0)   // [128]
/// ```
public struct LayerNorm<Scalar: BLASScalar>: WeightAndBiasGroup {
  /// γ, `1 × n` (PyTorch's `weight`).
  public var weight: Matrix<Scalar>
  /// β, `1 × n` (PyTorch's `bias`).
  public var bias: Matrix<Scalar>
  /// ε, added to the variance.
  public var epsilon: Scalar

  /// A normalisation of rows of length `dimension`, with γ = 1, β = 0.
  public init(dimension: Int, epsilon: Scalar = 1e-5) {
    precondition(dimension > 0, "LayerNorm: dimension must be positive, got \(dimension)")
    self.weight = Matrix(rows: 1, columns: dimension, repeating: 1)
    self.bias = Matrix(rows: 1, columns: dimension)
    self.epsilon = epsilon
  }

  /// n.
  @inlinable public var inputDimension: Int { weight.columns }
  /// n.
  @inlinable public var outputDimension: Int { weight.columns }

  /// `[n]`.
  public func tensorShape(at index: Int) -> [Int] { [inputDimension] }
}
