import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// `⟨R, layer(x)⟩` and its analytic gradients from the layer's pullback.
func pullback<L: Layer>(
  _ layer: L, at x: Matrix<Double>, weights r: Matrix<Double>
) -> (input: Matrix<Double>, parameters: L.Gradient) where L.Scalar == Double {
  var cache = layer.makeCache(rows: x.rows)
  var y = Matrix<Double>(rows: x.rows, columns: layer.outputDimension)
  layer.forward(x, into: &y, cache: &cache)
  var dy = r
  var dx = Matrix<Double>(rows: x.rows, columns: layer.inputDimension)
  var dtheta = layer.makeGradient()
  layer.backward(&dy, input: x, cache: &cache, inputGradient: &dx, parameterGradient: &dtheta)
  return (dx, dtheta)
}

/// Checks the pullback's input gradient against central differences (relative error < 1e-6).
func checkInputGradient<L: Layer>(_ layer: L, rows: Int, seed: UInt64, _ label: String)
where L.Scalar == Double {
  var rng = Xoshiro256(seed: seed)
  let x = Matrix<Double>.randomNormal(rows: rows, columns: layer.inputDimension, using: &rng)
  let r = Matrix<Double>.randomNormal(rows: rows, columns: layer.outputDimension, using: &rng)
  let analytic = pullback(layer, at: x, weights: r).input
  let numeric = finiteDifferenceGradient(at: x) { frobeniusProduct(r, layer($0)) }
  let error = relativeDistance(analytic, numeric)
  #expect(error < 1e-6, "\(label): input gradient relative error \(error)")
}

/// Checks every parameter tensor's gradient against central differences (relative error < 1e-6
/// of the whole gradient's norm, per tensor and overall).
func checkParameterGradient<L: Layer & ParameterGroup>(_ layer: L, rows: Int, seed: UInt64, _ label: String)
where L.Scalar == Double, L.Gradient: ParameterGroup {
  var rng = Xoshiro256(seed: seed)
  let x = Matrix<Double>.randomNormal(rows: rows, columns: layer.inputDimension, using: &rng)
  let r = Matrix<Double>.randomNormal(rows: rows, columns: layer.outputDimension, using: &rng)
  let analytic = pullback(layer, at: x, weights: r).parameters
  #expect(analytic.tensorCount == layer.tensorCount)
  var errors: [Double] = []
  var norms: [Double] = []
  for k in 0..<layer.tensorCount {
    let numeric = finiteDifferenceGradient(at: layer.tensor(at: k)) { theta in
      var perturbed = layer
      perturbed.withMutableTensor(at: k) { $0 = theta }
      return frobeniusProduct(r, perturbed(x))
    }
    errors.append((analytic.tensor(at: k) - numeric).frobeniusNorm())
    norms.append(numeric.frobeniusNorm())
  }
  let total = norms.map { $0 * $0 }.reduce(0, +).squareRoot()
  #expect(total > 0, "\(label): zero gradient checks nothing")
  for k in errors.indices {
    #expect(
      errors[k] < 1e-6 * total,
      "\(label): tensor \(layer.tensorName(at: k)) error \(errors[k]) vs ‖g‖ \(total)")
  }
}

@Test(arguments: Activation.allCases)
func denseGradients(_ activation: Activation) {
  var rng = Xoshiro256(seed: 5)
  let layer = Dense<Double>(inputDimension: 4, outputDimension: 5, activation: activation, using: &rng)
  checkInputGradient(layer, rows: 6, seed: 6, "Dense \(activation)")
  checkParameterGradient(layer, rows: 6, seed: 7, "Dense \(activation)")
}

@Test func denseGradientAccumulates() {
  var rng = Xoshiro256(seed: 8)
  let layer = Dense<Double>(inputDimension: 3, outputDimension: 2, activation: .tanh, using: &rng)
  let x = Matrix<Double>.randomNormal(rows: 4, columns: 3, using: &rng)
  let r = Matrix<Double>.randomNormal(rows: 4, columns: 2, using: &rng)
  let once = pullback(layer, at: x, weights: r).parameters
  var cache = layer.makeCache(rows: 4)
  var y = Matrix<Double>(rows: 4, columns: 2)
  var dx = Matrix<Double>(rows: 4, columns: 3)
  var twice = layer.makeGradient()
  for _ in 0..<2 {
    layer.forward(x, into: &y, cache: &cache)
    var dy = r
    layer.backward(
      &dy, input: x, cache: &cache, inputGradient: &dx, parameterGradient: &twice, accumulate: true)
  }
  #expect(maxAbsDifference(twice.weight, once.weight * 2) < 1e-14)
  #expect(maxAbsDifference(twice.bias, once.bias * 2) < 1e-14)
}

@Test func layerNormGradients() {
  var norm = LayerNorm<Double>(dimension: 5)
  var rng = Xoshiro256(seed: 9)
  // Non-trivial γ and β, so that their gradients and γ's role in ∂L/∂z are exercised.
  norm.weight = .randomNormal(rows: 1, columns: 5, mean: 1, standardDeviation: 0.5, using: &rng)
  norm.bias = .randomNormal(rows: 1, columns: 5, using: &rng)
  checkInputGradient(norm, rows: 4, seed: 10, "LayerNorm")
  checkParameterGradient(norm, rows: 4, seed: 11, "LayerNorm")
}

@Test func layerNormNormalizesRows() {
  var rng = Xoshiro256(seed: 12)
  let x = Matrix<Double>.randomNormal(rows: 3, columns: 8, mean: 2, standardDeviation: 3, using: &rng)
  let y = LayerNorm<Double>(dimension: 8, epsilon: 0)(x)
  for i in 0..<3 {
    let row = y.row(i)
    let mean = row.reduce(0, +) / 8
    let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
    #expect(abs(mean) < 1e-14)
    #expect(abs(variance - 1) < 1e-13)
  }
}

@Test(arguments: [Activation.silu, .gelu])
func residualGradients(_ activation: Activation) {
  var rng = Xoshiro256(seed: 13)
  let block = Residual(
    Dense<Double>(inputDimension: 4, outputDimension: 4, activation: activation, using: &rng))
  checkInputGradient(block, rows: 3, seed: 14, "Residual \(activation)")
  checkParameterGradient(block, rows: 3, seed: 15, "Residual \(activation)")
  // y = x + f(x) exactly.
  let x = Matrix<Double>.randomNormal(rows: 3, columns: 4, using: &rng)
  #expect(maxAbsDifference(block(x), x + block.body(x)) == 0)
}

@Test func fourierEmbeddingTimeGradient() {
  var rng = Xoshiro256(seed: 16)
  // Scale 1 keeps the angles moderate, so the finite differences stay accurate.
  let embedding = GaussianFourierEmbedding<Double>(frequencyCount: 5, scale: 1, using: &rng)
  checkInputGradient(embedding, rows: 4, seed: 17, "GaussianFourierEmbedding")
}

@Test func sinusoidalEmbeddingTimeGradient() {
  let embedding = SinusoidalEmbedding<Double>(dimension: 8, maximumPeriod: 100, timeScale: 2)
  checkInputGradient(embedding, rows: 4, seed: 18, "SinusoidalEmbedding")
}
