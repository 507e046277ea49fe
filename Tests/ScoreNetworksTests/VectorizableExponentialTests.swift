import LinearAlgebra
import ScoreNetworks
import Testing

// SiLU, softplus and GELU use an exponential written to vectorise; these check it through them
// against libm over the whole range where it matters.

func checkSiLUAgainstLibm<S: BLASScalar>(_: S.Type) {
  var worstValue: S = 0
  var worstDerivative: S = 0
  var z: S = -80
  while z < 80 {
    let sigmoid = 1 / (1 + S.exp(-z))
    let (value, derivative) = Activation.silu.valueAndDerivative(at: z)
    // The value relative to itself. The derivative σ(1 + z(1 − σ)) crosses 0 near z = −1.28 and
    // its 1 − σ cancels for large z (as in PyTorch's formula), so its error is measured in units
    // of (2 + |z|)·ulp(σ): σ carries ≤ 3 ulps (exponential and division), amplified by |1 + z|,
    // and ulp(σ(1 + z)) can be twice |1 + z|·ulp(σ); hence ≤ 6. The reference takes
    // 1 − σ = e⁻ᶻσ without cancellation.
    worstValue = max(worstValue, abs(value - z * sigmoid) / (z * sigmoid).magnitude.ulp)
    let derivativeExact = sigmoid * (1 + z * (S.exp(-z) * sigmoid))
    worstDerivative = max(worstDerivative, abs(derivative - derivativeExact) / ((2 + abs(z)) * sigmoid.ulp))
    z += 0.012_427
  }
  #expect(worstValue <= 4, "\(S.self): SiLU differs from libm's by \(worstValue) ulps")
  #expect(worstDerivative <= 6, "\(S.self): SiLU′ differs by \(worstDerivative) × (2 + |z|) ulps of σ")
  let softplus = Activation.softplus(S(-30))
  let exact = S.log(onePlus: S.exp(-30))
  #expect(abs(softplus - exact) <= 4 * exact.ulp, "\(S.self): softplus(−30) = \(softplus)")
  // Beyond the exponential's normal range the values stay finite and NaN propagates.
  for z: S in [-1000, -100, 100, 1000] {
    let (value, derivative) = Activation.silu.valueAndDerivative(at: z)
    #expect(value.isFinite && derivative.isFinite)
    #expect(abs(value - max(z, 0)) <= S.ulpOfOne * abs(z))
  }
  #expect(Activation.silu(S.nan).isNaN)
  #expect(Activation.gelu(S.nan).isNaN)
}

@Test func activationsAgreeWithLibm() {
  checkSiLUAgainstLibm(Float.self)
  checkSiLUAgainstLibm(Double.self)
}
