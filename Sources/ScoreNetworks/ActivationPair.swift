// Each activation's value and derivative, written once as a static function of a caseless
// enum: the fused loops of `Kernels.swift` are generic over the enum, so they are specialised
// and inlined (a closure argument would cost an indirect call per entry), and
// `Activation.valueAndDerivative(at:)` switches over the same functions. The formulas are
// those of the table in ``Activation``.
import LinearAlgebra
import RealModule

/// An activation's value and derivative as a static function, so that a loop generic over it is
/// specialised and inlined.
@usableFromInline
protocol ActivationPair {
  /// `(σ(z), σ′(z))`.
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S)
}

/// ReLU: `(max(z, 0), 1 if z > 0 else 0)`; the derivative at exactly 0 is 0, as in PyTorch.
@usableFromInline enum ReLUPair: ActivationPair {
  @inlinable @inline(__always)
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S) {
    z > 0 ? (z, 1) : (0, 0)
  }
}

/// tanh: `(tanh z, 1 − tanh² z)`.
@usableFromInline enum TanhPair: ActivationPair {
  @inlinable @inline(__always)
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S) {
    let a = S.tanh(z)
    return (a, 1 - a * a)
  }
}

/// SiLU: with `s = 1/(1 + e⁻ᶻ)`, `(z·s, s·(1 + z·(1 − s)))`.
@usableFromInline enum SiLUPair: ActivationPair {
  @inlinable @inline(__always)
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S) {
    let s = 1 / (1 + S.vectorizableExp(-z))
    return (z * s, s * (1 + z * (1 - s)))
  }
}

/// GELU (exact): with `Φ(z) = ½(1 + erf(z/√2))` and `φ(z) = e^(−z²/2)/√(2π)`,
/// `(z·Φ(z), Φ(z) + z·φ(z))`.
@usableFromInline enum GELUPair: ActivationPair {
  @inlinable @inline(__always)
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S) {
    let phi = (1 + S.erf(z * S(0.707_106_781_186_547_524_4))) / 2
    let halfSquare: S = z * z / 2
    let density: S = S.vectorizableExp(-halfSquare) * S(0.398_942_280_401_432_677_9)
    return (z * phi, phi + z * density)
  }
}

/// Softplus in its overflow-free form: `(max(z, 0) + log1p(e^(−|z|)), s(z))`, with the sigmoid
/// `s(z)` formed from the same `e^(−|z|)`.
@usableFromInline enum SoftplusPair: ActivationPair {
  @inlinable @inline(__always)
  static func valueAndDerivative<S: BLASScalar>(at z: S) -> (S, S) {
    let e = S.vectorizableExp(-Swift.abs(z))
    let value = Swift.max(z, 0) + S.log(onePlus: e)
    let sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e)
    return (value, sigmoid)
  }
}
