import LinearAlgebra
import ScoreNetworks
import Testing

/// The SiLU pass runs in C (with AVX2 or AVX-512 where the CPU has them); it must give exactly
/// the bits of the Swift formula `Activation.silu.valueAndDerivative(at:)`, for values and
/// derivatives, with and without a skip connection, in `forward` and in `evaluate`, on widths
/// that are not a multiple of any vector length and on pre-activations large enough to reach the
/// exponential's clamping.
@Test(arguments: [false, true], [1.0, 40.0])
func siluPassEqualsTheSwiftFormulaBitForBit(residual: Bool, weightScale: Double) {
  check(Float.self, residual: residual, weightScale: weightScale)
  check(Double.self, residual: residual, weightScale: weightScale)

  func check<S: BLASScalar>(_: S.Type, residual: Bool, weightScale: Double) {
    var rng = Xoshiro256(seed: 21)
    var model = MLP<S>(
      configuration: MLPConfiguration(
        inputDimension: 3, timeEmbedding: .gaussianFourier(frequencies: 2, scale: 4), width: 37, depth: 3,
        activation: .silu, residual: residual),
      using: &rng)
    for l in 0..<3 { model.parameters.layers[l].weight *= S(weightScale) }
    let x = Matrix<S>.randomNormal(rows: 29, columns: 3, using: &rng)
    // Per-row times: the first layer is then one plain gemm, which the check below repeats.
    let times = Times<S>.perRow([S](repeating: 0.4, count: 29))
    var workspace = model.makeWorkspace(rows: 29)
    var out = Matrix<S>(rows: 29, columns: 3)
    for inference in [false, true] {
      if inference {
        model.evaluate(x, times: times, into: &out, workspace: &workspace)
      } else {
        model.forward(x, times: times, into: &out, workspace: &workspace)
      }
      for l in 0..<3 {
        let source = l == 0 ? workspace.networkInput : workspace.hiddenActivations[l - 1]
        var z = Matrix<S>(rows: 29, columns: 37)
        z.formProduct(source, model.parameters.layers[l].weight, transposingB: true)
        let bias = model.parameters.layers[l].bias
        var mismatches = 0
        var largest: S = 0
        for i in 0..<29 {
          for j in 0..<37 {
            let pre = z[i, j] + bias[0, j]
            largest = max(largest, abs(pre))
            let (value, derivative) = Activation.silu.valueAndDerivative(at: pre)
            let expected = residual && l > 0 ? value + source[i, j] : value
            if workspace.hiddenActivations[l][i, j] != expected { mismatches += 1 }
            if !inference && workspace.activationDerivatives[l][i, j] != derivative { mismatches += 1 }
          }
        }
        #expect(mismatches == 0, "\(S.self) layer \(l), residual \(residual), inference \(inference)")
        if weightScale > 1 && l == 1 { #expect(largest > 100, "the clamped range is reached") }
      }
    }
  }
}
