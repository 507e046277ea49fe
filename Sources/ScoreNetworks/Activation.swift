public import LinearAlgebra

/// A pointwise nonlinearity σ, applied with its derivative σ′ in the same pass.
///
/// | case | σ(z) | σ′(z) |
/// |---|---|---|
/// | `identity` | z | 1 |
/// | `relu` | max(z, 0) | 1 if z > 0 else 0 |
/// | `tanh` | tanh z | 1 − tanh² z |
/// | `silu` | z·s(z), s(z) = 1/(1 + e⁻ᶻ) | s(z)·(1 + z·(1 − s(z))) |
/// | `gelu` | z·Φ(z), Φ(z) = ½(1 + erf(z/√2)) | Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π) |
/// | `softplus` | log(1 + eᶻ) = max(z, 0) + log1p(e^(−|z|)) | s(z) |
///
/// SiLU (swish) is from Elfwing, Uchibe & Doya (2018) and Ramachandran, Zoph & Le (2017); it is
/// the activation of the reference score network. GELU (Hendrycks & Gimpel 2016) is the exact
/// erf form, PyTorch's `nn.GELU()` default, not the tanh approximation. Softplus is written in
/// the overflow-free form above. ReLU's derivative at exactly 0 is taken as 0, as in PyTorch.
/// The exponentials are computed by a polynomial that vectorises (accurate to a few ulps), so the
/// fused passes over a layer's outputs run in SIMD.
///
/// ```swift
/// let (a, da) = Activation.silu.valueAndDerivative(at: 0.5)
/// ```
public enum Activation: String, Sendable, Codable, CaseIterable {
  /// σ(z) = z (no nonlinearity; used by output layers).
  case identity
  /// Rectified linear unit, max(z, 0).
  case relu
  /// Hyperbolic tangent.
  case tanh
  /// Sigmoid-weighted linear unit z·sigmoid(z), also called swish.
  case silu
  /// Gaussian error linear unit z·Φ(z) (exact, with erf).
  case gelu
  /// log(1 + eᶻ), a smooth ReLU.
  case softplus

  /// σ(z).
  @inlinable
  public func callAsFunction<S: BLASScalar>(_ z: S) -> S {
    valueAndDerivative(at: z).value
  }

  /// σ(z) and σ′(z).
  @inlinable
  public func valueAndDerivative<S: BLASScalar>(at z: S) -> (value: S, derivative: S) {
    switch self {
    case .identity: return (z, 1)
    case .relu: return ReLUPair.valueAndDerivative(at: z)
    case .tanh: return TanhPair.valueAndDerivative(at: z)
    case .silu: return SiLUPair.valueAndDerivative(at: z)
    case .gelu: return GELUPair.valueAndDerivative(at: z)
    case .softplus: return SoftplusPair.valueAndDerivative(at: z)
    }
  }
}
