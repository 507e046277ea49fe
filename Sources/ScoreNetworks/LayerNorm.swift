public import LinearAlgebra
import RealModule

/// Layer normalisation of each row (Ba, Kiros & Hinton 2016, "Layer Normalization"), PyTorch's
/// `nn.LayerNorm(n)`:
///
///     μ = mean(z),  ρ = 1/√(var(z) + ε),  x̂ = (z − μ)ρ,  y = γ ⊙ x̂ + β,
///
/// with the biased variance (divided by n) and ε = 10⁻⁵ as in PyTorch; γ starts at 1 and β at
/// 0. The pullback, for `g = γ ⊙ ∂L/∂y`:
///
///     ∂L/∂z = ρ (g − mean(g) − x̂ · mean(g ⊙ x̂)),  ∂L/∂γ = Σ_rows ∂L/∂y ⊙ x̂,  ∂L/∂β = Σ_rows ∂L/∂y.
///
/// ```swift
/// let norm = LayerNorm<Double>(dimension: 128)
/// let y = norm(z)   // each row of y has mean 0 and variance ≈ 1
/// ```
public struct LayerNorm<Scalar: BLASScalar>: Layer, ParameterGroup {
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

  /// The normalised rows x̂ and the inverse standard deviations ρ of the last forward pass.
  public struct Cache: Sendable {
    /// x̂, `rows × n`.
    public var normalized: Matrix<Scalar>
    /// ρ, `rows × 1`.
    public var inverseStandardDeviation: Matrix<Scalar>
    @inlinable init(normalized: Matrix<Scalar>, inverseStandardDeviation: Matrix<Scalar>) {
      self.normalized = normalized
      self.inverseStandardDeviation = inverseStandardDeviation
    }
  }

  /// A cache for `rows` rows.
  public func makeCache(rows: Int) -> Cache {
    Cache(
      normalized: Matrix(rows: rows, columns: inputDimension),
      inverseStandardDeviation: Matrix(rows: rows, columns: 1))
  }

  /// A zero gradient.
  public func makeGradient() -> LayerNorm {
    var g = self
    g.weight.fill(with: 0)
    return g
  }

  /// `output ← γ ⊙ x̂ + β`, keeping x̂ and ρ in `cache`.
  @inlinable
  public func forward(_ input: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout Cache) {
    let (rows, n) = (input.rows, inputDimension)
    precondition(
      input.columns == n && output.rows == rows && output.columns == n,
      "LayerNorm: input \(input.shapeDescription), output \(output.shapeDescription), dimension \(n)")
    if cache.normalized.rows != rows {
      cache.normalized.resize(rows: rows, columns: n)
      cache.inverseStandardDeviation.resize(rows: rows, columns: 1)
    }
    output.assign(input)
    let epsilon = epsilon
    output.withUnsafeMutableBufferPointer { v in
      cache.normalized.withUnsafeMutableBufferPointer { xh in
        cache.inverseStandardDeviation.withUnsafeMutableBufferPointer { rho in
          weight.withUnsafeBufferPointer { g in
            bias.withUnsafeBufferPointer { b in
              applyLayerNormAndActivation(
                v.baseAddress!, derivative: nil, normalized: xh.baseAddress!, inverseStd: rho.baseAddress!,
                bias: nil, scale: g.baseAddress!, offset: b.baseAddress!, epsilon: epsilon, residual: nil,
                rows: rows, columns: n, activation: .identity)
            }
          }
        }
      }
    }
  }

  /// The pullback above; `outputGradient` ends up holding `∂L/∂z`, which is copied into
  /// `inputGradient`.
  @inlinable
  public func backward(
    _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>, cache: inout Cache,
    inputGradient: inout Matrix<Scalar>, parameterGradient: inout LayerNorm, accumulate: Bool
  ) {
    let (rows, n) = (input.rows, inputDimension)
    precondition(
      outputGradient.rows == rows && outputGradient.columns == n && cache.normalized.rows == rows,
      "LayerNorm.backward: gradient \(outputGradient.shapeDescription), cache \(cache.normalized.shapeDescription)"
    )
    if !accumulate { parameterGradient.setToZero() }
    outputGradient.withUnsafeMutableBufferPointer { u in
      cache.normalized.withUnsafeBufferPointer { xh in
        cache.inverseStandardDeviation.withUnsafeBufferPointer { rho in
          weight.withUnsafeBufferPointer { g in
            parameterGradient.weight.withUnsafeMutableBufferPointer { dg in
              parameterGradient.bias.withUnsafeMutableBufferPointer { db in
                layerNormPullback(
                  u.baseAddress!, normalized: xh.baseAddress!, inverseStd: rho.baseAddress!,
                  scale: g.baseAddress!,
                  rows: rows, probes: 1, columns: n, scaleGradient: dg.baseAddress!,
                  offsetGradient: db.baseAddress!,
                  biasGradient: nil)
              }
            }
          }
        }
      }
    }
    inputGradient.assign(outputGradient)
  }

  /// 2: γ (`weight`) and β (`bias`).
  @inlinable public var tensorCount: Int { 2 }

  /// γ (0) or β (1).
  @inlinable
  public func tensor(at index: Int) -> Matrix<Scalar> {
    precondition(index == 0 || index == 1, "LayerNorm has tensors 0 (weight) and 1 (bias), not \(index)")
    return index == 0 ? weight : bias
  }

  /// γ (0) or β (1), in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    precondition(index == 0 || index == 1, "LayerNorm has tensors 0 (weight) and 1 (bias), not \(index)")
    return index == 0 ? try body(&weight) : try body(&bias)
  }

  /// `"weight"` or `"bias"`.
  public func tensorName(at index: Int) -> String { index == 0 ? "weight" : "bias" }

  /// `[n]`.
  public func tensorShape(at index: Int) -> [Int] { [inputDimension] }
}
