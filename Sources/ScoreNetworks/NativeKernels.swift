// The bridge to the C kernels (Sources/CKernels): each dispatcher is generic over the scalar,
// calls the C function of its precision, and falls back to the Swift loop for any other
// `BLASScalar`. The C functions are built for baseline x86-64, AVX2 and AVX-512 and chosen when
// the library loads; Swift code is compiled for the baseline only, so these loops run 2–4×
// wider in C. They compute the same bits as the Swift formulas (tested).
//
// CKernels is imported `internal`, so the inlinable dispatchers reach it through one
// non-inlinable bridge per kernel, on untyped pointers, that picks the `_f32` or `_f64` symbol.
internal import CKernels
import LinearAlgebra

/// The precisions that have C kernels.
@usableFromInline
enum NativePrecision {
  case float, double

  /// The precision of `S`, or `nil` when it has no C kernels (folded away once `S` is known).
  @inlinable @inline(__always)
  init?<S: BLASScalar>(_: S.Type) {
    if S.self == Float.self {
      self = .float
    } else if S.self == Double.self {
      self = .double
    } else {
      return nil
    }
  }
}

/// The SiLU pass in C (``scoresde_bias_silu_f32``/`_f64`), whose AVX2 and AVX-512 versions
/// compute the same bits as ``fusedRows(_:_:_:_:_:_:_:)`` with ``SiLUPair``, several times faster
/// than that loop compiled for baseline x86-64.
@inlinable @inline(__always)
func biasAndSiLU<S: BLASScalar>(
  _ values: UnsafeMutablePointer<S>, _ derivative: UnsafeMutablePointer<S>?, _ bias: UnsafePointer<S>,
  _ residual: UnsafePointer<S>?, _ rows: Int, _ columns: Int
) {
  if let precision = NativePrecision(S.self) {
    nativeBiasAndSiLU(
      precision, UnsafeMutableRawPointer(values), UnsafeMutableRawPointer(derivative), UnsafeRawPointer(bias),
      UnsafeRawPointer(residual), rows, columns)
  } else {
    fusedRows(values, derivative, bias, residual, rows, columns, SiLUPair.self)
  }
}

/// ``biasAndSiLU(_:_:_:_:_:_:)`` on buffers of `precision`.
@usableFromInline
func nativeBiasAndSiLU(
  _ precision: NativePrecision, _ values: UnsafeMutableRawPointer, _ derivative: UnsafeMutableRawPointer?,
  _ bias: UnsafeRawPointer, _ residual: UnsafeRawPointer?, _ rows: Int, _ columns: Int
) {
  switch precision {
  case .float:
    scoresde_bias_silu_f32(
      values.assumingMemoryBound(to: Float.self), derivative?.assumingMemoryBound(to: Float.self),
      bias.assumingMemoryBound(to: Float.self), residual?.assumingMemoryBound(to: Float.self), rows, columns)
  case .double:
    scoresde_bias_silu_f64(
      values.assumingMemoryBound(to: Double.self), derivative?.assumingMemoryBound(to: Double.self),
      bias.assumingMemoryBound(to: Double.self), residual?.assumingMemoryBound(to: Double.self), rows, columns
    )
  }
}

/// One Adam step over `count` entries; see ``Adam/update(_:along:)`` for the formula, which
/// ``scoresde_adam_f32``/`_f64` compute with the same operations in the same order.
@inlinable @inline(__always)
func adamStep<S: BLASScalar>(
  _ p: UnsafeMutablePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafeMutablePointer<S>,
  _ v: UnsafeMutablePointer<S>,
  count: Int, l2: S, beta1 b1: S, beta2 b2: S, epsilon eps: S, shrink: S, stepSize: S,
  inverseRootCorrection2: S
) {
  if let precision = NativePrecision(S.self) {
    // Every Float is a Double exactly, so the `_f32` kernel gets its own values back.
    nativeAdamStep(
      precision, UnsafeMutableRawPointer(p), UnsafeRawPointer(g), UnsafeMutableRawPointer(m),
      UnsafeMutableRawPointer(v), count: count, l2: Double(l2), beta1: Double(b1), beta2: Double(b2),
      epsilon: Double(eps), shrink: Double(shrink), stepSize: Double(stepSize),
      inverseRootCorrection2: Double(inverseRootCorrection2))
  } else {
    for i in 0..<count {
      let gi = g[i] + l2 * p[i]
      let mi = b1 * m[i] + (1 - b1) * gi
      let vi = b2 * v[i] + (1 - b2) * gi * gi
      m[i] = mi
      v[i] = vi
      p[i] = p[i] * shrink - stepSize * mi / (vi.squareRoot() * inverseRootCorrection2 + eps)
    }
  }
}

/// ``adamStep(_:_:_:_:count:l2:beta1:beta2:epsilon:shrink:stepSize:inverseRootCorrection2:)`` on
/// buffers of `precision`, its scalars passed in `Double`.
@usableFromInline
func nativeAdamStep(
  _ precision: NativePrecision, _ p: UnsafeMutableRawPointer, _ g: UnsafeRawPointer,
  _ m: UnsafeMutableRawPointer, _ v: UnsafeMutableRawPointer, count: Int, l2: Double, beta1 b1: Double,
  beta2 b2: Double, epsilon eps: Double, shrink: Double, stepSize: Double, inverseRootCorrection2: Double
) {
  switch precision {
  case .float:
    scoresde_adam_f32(
      p.assumingMemoryBound(to: Float.self), g.assumingMemoryBound(to: Float.self),
      m.assumingMemoryBound(to: Float.self), v.assumingMemoryBound(to: Float.self), count, Float(l2),
      Float(b1),
      Float(b2), Float(eps), Float(shrink), Float(stepSize), Float(inverseRootCorrection2))
  case .double:
    scoresde_adam_f64(
      p.assumingMemoryBound(to: Double.self), g.assumingMemoryBound(to: Double.self),
      m.assumingMemoryBound(to: Double.self), v.assumingMemoryBound(to: Double.self), count, l2, b1, b2, eps,
      shrink, stepSize, inverseRootCorrection2)
  }
}
