// Fused element-wise loops shared by the layers and the MLP. Each walks a row-major buffer
// once; the activation's value and derivative come from one evaluation, so an exponential is
// computed once per entry, not twice.
import LinearAlgebra
import RealModule

/// `vᵢⱼ ← σ(vᵢⱼ + bⱼ) (+ rᵢⱼ)` and `dᵢⱼ ← σ′(vᵢⱼ + bⱼ)`, in one pass over `rows × columns`
/// entries. With `derivative` `nil` only σ is computed (inference); `residual` adds a skip
/// connection after the activation.
@inlinable
func applyBiasAndActivation<S: BLASScalar>(
  _ values: UnsafeMutablePointer<S>, derivative: UnsafeMutablePointer<S>?, bias: UnsafePointer<S>,
  residual: UnsafePointer<S>?, rows: Int, columns: Int, activation: Activation
) {
  switch activation {
  case .identity:
    for i in 0..<rows {
      let v = values + i * columns
      if let r = residual.map({ $0 + i * columns }) {
        for j in 0..<columns { v[j] += bias[j] + r[j] }
      } else {
        for j in 0..<columns { v[j] += bias[j] }
      }
      if let d = derivative.map({ $0 + i * columns }) {
        for j in 0..<columns { d[j] = 1 }
      }
    }
  case .relu: fusedRows(values, derivative, bias, residual, rows, columns, ReLUPair.self)
  case .tanh: fusedRows(values, derivative, bias, residual, rows, columns, TanhPair.self)
  case .silu: biasAndSiLU(values, derivative, bias, residual, rows, columns)
  case .gelu: fusedRows(values, derivative, bias, residual, rows, columns, GELUPair.self)
  case .softplus: fusedRows(values, derivative, bias, residual, rows, columns, SoftplusPair.self)
  }
}

/// ``applyBiasAndActivation(_:derivative:bias:residual:rows:columns:activation:)`` for the
/// activation `F`, one loop per combination of the optional buffers.
@inlinable @inline(__always)
func fusedRows<S: BLASScalar, F: ActivationPair>(
  _ values: UnsafeMutablePointer<S>, _ derivative: UnsafeMutablePointer<S>?, _ bias: UnsafePointer<S>,
  _ residual: UnsafePointer<S>?, _ rows: Int, _ columns: Int, _ f: F.Type
) {
  switch (derivative, residual) {
  case (let derivative?, let residual?):
    for i in 0..<rows {
      let v = values + i * columns
      let d = derivative + i * columns
      let r = residual + i * columns
      for j in 0..<columns {
        let (a, da) = F.valueAndDerivative(at: v[j] + bias[j])
        v[j] = a + r[j]
        d[j] = da
      }
    }
  case (let derivative?, nil):
    for i in 0..<rows {
      let v = values + i * columns
      let d = derivative + i * columns
      for j in 0..<columns {
        let (a, da) = F.valueAndDerivative(at: v[j] + bias[j])
        v[j] = a
        d[j] = da
      }
    }
  // Without a derivative buffer only σ is computed: the derivative's arithmetic is dead code
  // once the pair is inlined, and the optimiser drops it.
  case (nil, let residual?):
    for i in 0..<rows {
      let v = values + i * columns
      let r = residual + i * columns
      for j in 0..<columns { v[j] = F.valueAndDerivative(at: v[j] + bias[j]).0 + r[j] }
    }
  case (nil, nil):
    for i in 0..<rows {
      let v = values + i * columns
      for j in 0..<columns { v[j] = F.valueAndDerivative(at: v[j] + bias[j]).0 }
    }
  }
}

/// Layer normalisation (Ba, Kiros & Hinton 2016) of each row followed by an activation, in place:
/// with `zⱼ = vⱼ + bⱼ`, `μ = mean z`, `ρ = 1/√(var z + ε)`, `x̂ⱼ = (zⱼ − μ)ρ`,
/// `uⱼ = γⱼx̂ⱼ + βⱼ`: `vⱼ ← σ(uⱼ) (+ rⱼ)`, `dⱼ ← σ′(uⱼ)`, `normalizedⱼ ← x̂ⱼ`, `inverseStd ← ρ`.
/// The variance is the biased one (divided by the row length), as in PyTorch. `derivative` may
/// be `nil` only for the identity.
@inlinable
func applyLayerNormAndActivation<S: BLASScalar>(
  _ values: UnsafeMutablePointer<S>, derivative: UnsafeMutablePointer<S>?,
  normalized: UnsafeMutablePointer<S>, inverseStd: UnsafeMutablePointer<S>,
  bias: UnsafePointer<S>?, scale: UnsafePointer<S>, offset: UnsafePointer<S>, epsilon: S,
  residual: UnsafePointer<S>?, rows: Int, columns: Int, activation: Activation
) {
  let n = S(columns)
  for i in 0..<rows {
    let v = values + i * columns
    let xh = normalized + i * columns
    if let bias {
      for j in 0..<columns { v[j] += bias[j] }
    }
    var mean: S = 0
    for j in 0..<columns { mean += v[j] }
    mean /= n
    var variance: S = 0
    for j in 0..<columns {
      let c = v[j] - mean
      variance += c * c
    }
    variance /= n
    let rho = 1 / (variance + epsilon).squareRoot()
    inverseStd[i] = rho
    for j in 0..<columns {
      let x = (v[j] - mean) * rho
      xh[j] = x
      v[j] = scale[j] * x + offset[j]
    }
  }
  // The activation, its derivative and the skip connection, in one more pass.
  activateInPlace(values, derivative: derivative, residual: residual, count: rows * columns, activation)
}

/// `vₖ ← σ(vₖ) (+ rₖ)`, `dₖ ← σ′(vₖ)` over a flat buffer; `derivative` may be `nil` only for
/// the identity.
@inlinable
func activateInPlace<S: BLASScalar>(
  _ values: UnsafeMutablePointer<S>, derivative: UnsafeMutablePointer<S>?, residual: UnsafePointer<S>?,
  count: Int, _ activation: Activation
) {
  @inline(__always)
  func run<F: ActivationPair>(_: F.Type) {
    let derivative = derivative!
    if let residual {
      for k in 0..<count {
        let (a, da) = F.valueAndDerivative(at: values[k])
        values[k] = a + residual[k]
        derivative[k] = da
      }
    } else {
      for k in 0..<count {
        let (a, da) = F.valueAndDerivative(at: values[k])
        values[k] = a
        derivative[k] = da
      }
    }
  }
  switch activation {
  case .identity:
    if let residual {
      for k in 0..<count { values[k] += residual[k] }
    }
    if let derivative {
      for k in 0..<count { derivative[k] = 1 }
    }
  case .relu: run(ReLUPair.self)
  case .tanh: run(TanhPair.self)
  case .silu: run(SiLUPair.self)
  case .gelu: run(GELUPair.self)
  case .softplus: run(SoftplusPair.self)
  }
}

/// `outᵣⱼ ← gᵣⱼ · d₍ᵣ/P₎ⱼ` for `rows·probes` gradient rows that share `rows` derivative rows
/// (row `r` of the gradient belongs to sample `r / probes`). With `biasGradient`, also
/// `biasGradientⱼ += Σᵣ outᵣⱼ`. `out` may be `gradient` itself.
@inlinable
func multiplyByDerivative<S: BLASScalar>(
  _ gradient: UnsafePointer<S>, derivative: UnsafePointer<S>, into out: UnsafeMutablePointer<S>,
  rows: Int, probes: Int, columns: Int, biasGradient: UnsafeMutablePointer<S>?
) {
  for i in 0..<rows {
    let d = derivative + i * columns
    for p in 0..<probes {
      let r = i * probes + p
      let g = gradient + r * columns
      let o = out + r * columns
      if let biasGradient {
        for j in 0..<columns {
          let x = g[j] * d[j]
          o[j] = x
          biasGradient[j] += x
        }
      } else {
        for j in 0..<columns { o[j] = g[j] * d[j] }
      }
    }
  }
}

/// The pullback of layer normalisation, in place: on entry `u` holds `∂L/∂u` (u = γx̂ + β), on
/// exit `∂L/∂z` (z the input of the normalisation):
/// `gⱼ = ∂L/∂uⱼ·γⱼ`, `∂L/∂zⱼ = ρ (gⱼ − mean g − x̂ⱼ · mean(g ⊙ x̂))`.
/// Accumulates `∂L/∂γⱼ += ∂L/∂uⱼ x̂ⱼ`, `∂L/∂βⱼ += ∂L/∂uⱼ` and `∂L/∂bⱼ += ∂L/∂zⱼ` when given.
/// Gradient row `r` belongs to sample `r / probes`.
@inlinable
func layerNormPullback<S: BLASScalar>(
  _ u: UnsafeMutablePointer<S>, normalized: UnsafePointer<S>, inverseStd: UnsafePointer<S>,
  scale: UnsafePointer<S>, rows: Int, probes: Int, columns: Int,
  scaleGradient: UnsafeMutablePointer<S>?, offsetGradient: UnsafeMutablePointer<S>?,
  biasGradient: UnsafeMutablePointer<S>?
) {
  let n = S(columns)
  for i in 0..<rows {
    let xh = normalized + i * columns
    let rho = inverseStd[i]
    for p in 0..<probes {
      let g = u + (i * probes + p) * columns
      if let scaleGradient, let offsetGradient {
        for j in 0..<columns {
          scaleGradient[j] += g[j] * xh[j]
          offsetGradient[j] += g[j]
        }
      }
      var m1: S = 0
      var m2: S = 0
      for j in 0..<columns {
        let gj = g[j] * scale[j]
        g[j] = gj
        m1 += gj
        m2 += gj * xh[j]
      }
      m1 /= n
      m2 /= n
      for j in 0..<columns { g[j] = rho * (g[j] - m1 - xh[j] * m2) }
      if let biasGradient {
        for j in 0..<columns { biasGradient[j] += g[j] }
      }
    }
  }
}

/// `sⱼ += Σᵢ gᵢⱼ` (column sums accumulated into `s`).
@inlinable
func accumulateColumnSums<S: BLASScalar>(
  _ g: UnsafePointer<S>, rows: Int, columns: Int, into s: UnsafeMutablePointer<S>
) {
  for i in 0..<rows {
    let row = g + i * columns
    for j in 0..<columns { s[j] += row[j] }
  }
}
