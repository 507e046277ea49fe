// The bridge to the C kernels (Sources/CKernels): each dispatcher is generic over the scalar,
// calls the C function of its precision, and falls back to the Swift loop for any other
// `BLASScalar`. The C functions are built for baseline x86-64, AVX2 and AVX-512 and chosen when
// the library loads; Swift code is compiled for the baseline only, so these loops run 2–4×
// wider in C. They compute the same bits as the Swift formulas (tested).
internal import CKernels
import LinearAlgebra

/// The SiLU pass in C (``scoresde_bias_silu_f32``/`_f64`), whose AVX2 and AVX-512 versions
/// compute the same bits as ``fusedRows(_:_:_:_:_:_:_:)`` with ``SiLUPair``, several times faster
/// than that loop compiled for baseline x86-64.
@inlinable @inline(__always)
func biasAndSiLU<S: BLASScalar>(
  _ values: UnsafeMutablePointer<S>, _ derivative: UnsafeMutablePointer<S>?, _ bias: UnsafePointer<S>,
  _ residual: UnsafePointer<S>?, _ rows: Int, _ columns: Int
) {
  if S.self == Float.self {
    biasAndSiLUFloat(
      UnsafeMutableRawPointer(values), UnsafeMutableRawPointer(derivative), UnsafeRawPointer(bias),
      UnsafeRawPointer(residual), rows, columns)
  } else if S.self == Double.self {
    biasAndSiLUDouble(
      UnsafeMutableRawPointer(values), UnsafeMutableRawPointer(derivative), UnsafeRawPointer(bias),
      UnsafeRawPointer(residual), rows, columns)
  } else {
    fusedRows(values, derivative, bias, residual, rows, columns, SiLUPair.self)
  }
}

/// ``biasAndSiLU(_:_:_:_:_:_:)`` on `Float` buffers.
@usableFromInline
func biasAndSiLUFloat(
  _ values: UnsafeMutableRawPointer, _ derivative: UnsafeMutableRawPointer?, _ bias: UnsafeRawPointer,
  _ residual: UnsafeRawPointer?, _ rows: Int, _ columns: Int
) {
  scoresde_bias_silu_f32(
    values.assumingMemoryBound(to: Float.self), derivative?.assumingMemoryBound(to: Float.self),
    bias.assumingMemoryBound(to: Float.self), residual?.assumingMemoryBound(to: Float.self), rows, columns)
}

/// ``biasAndSiLU(_:_:_:_:_:_:)`` on `Double` buffers.
@usableFromInline
func biasAndSiLUDouble(
  _ values: UnsafeMutableRawPointer, _ derivative: UnsafeMutableRawPointer?, _ bias: UnsafeRawPointer,
  _ residual: UnsafeRawPointer?, _ rows: Int, _ columns: Int
) {
  scoresde_bias_silu_f64(
    values.assumingMemoryBound(to: Double.self), derivative?.assumingMemoryBound(to: Double.self),
    bias.assumingMemoryBound(to: Double.self), residual?.assumingMemoryBound(to: Double.self), rows, columns)
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
  if S.self == Float.self {
    adamStepFloat(
      UnsafeMutableRawPointer(p), UnsafeRawPointer(g), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v),
      count, Float(l2), Float(b1), Float(b2), Float(eps), Float(shrink), Float(stepSize),
      Float(inverseRootCorrection2))
  } else if S.self == Double.self {
    adamStepDouble(
      UnsafeMutableRawPointer(p), UnsafeRawPointer(g), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v),
      count, Double(l2), Double(b1), Double(b2), Double(eps), Double(shrink), Double(stepSize),
      Double(inverseRootCorrection2))
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
/// `Float` buffers.
@usableFromInline
func adamStepFloat(
  _ p: UnsafeMutableRawPointer, _ g: UnsafeRawPointer, _ m: UnsafeMutableRawPointer,
  _ v: UnsafeMutableRawPointer,
  _ count: Int, _ l2: Float, _ b1: Float, _ b2: Float, _ eps: Float, _ shrink: Float, _ stepSize: Float,
  _ inverseRootCorrection2: Float
) {
  scoresde_adam_f32(
    p.assumingMemoryBound(to: Float.self), g.assumingMemoryBound(to: Float.self),
    m.assumingMemoryBound(to: Float.self), v.assumingMemoryBound(to: Float.self), count, l2, b1, b2, eps,
    shrink,
    stepSize, inverseRootCorrection2)
}

/// ``adamStep(_:_:_:_:count:l2:beta1:beta2:epsilon:shrink:stepSize:inverseRootCorrection2:)`` on
/// `Double` buffers.
@usableFromInline
func adamStepDouble(
  _ p: UnsafeMutableRawPointer, _ g: UnsafeRawPointer, _ m: UnsafeMutableRawPointer,
  _ v: UnsafeMutableRawPointer,
  _ count: Int, _ l2: Double, _ b1: Double, _ b2: Double, _ eps: Double, _ shrink: Double, _ stepSize: Double,
  _ inverseRootCorrection2: Double
) {
  scoresde_adam_f64(
    p.assumingMemoryBound(to: Double.self), g.assumingMemoryBound(to: Double.self),
    m.assumingMemoryBound(to: Double.self), v.assumingMemoryBound(to: Double.self), count, l2, b1, b2, eps,
    shrink, stepSize, inverseRootCorrection2)
}
