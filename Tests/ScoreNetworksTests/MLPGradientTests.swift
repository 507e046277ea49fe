import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// A small network configuration and how its times are given, for the gradient checks.
struct MLPCase: Sendable, CustomTestStringConvertible {
  var configuration: MLPConfiguration
  var sharedTime = false
  var testDescription: String {
    let c = configuration
    return "\(c.activation) L\(c.depth) c\(c.conditionDimension) residual=\(c.residual) norm=\(c.layerNorm) "
      + "\(c.timeEmbedding) shared=\(sharedTime)"
  }

  static func small(
    activation: Activation = .silu, depth: Int = 2, condition: Int = 0, residual: Bool = false,
    layerNorm: Bool = false, embedding: TimeEmbeddingKind = .gaussianFourier(frequencies: 3, scale: 16),
    sharedTime: Bool = false
  ) -> MLPCase {
    MLPCase(
      configuration: MLPConfiguration(
        inputDimension: 3, conditionDimension: condition, timeEmbedding: embedding, width: 6, depth: depth,
        activation: activation, residual: residual, layerNorm: layerNorm),
      sharedTime: sharedTime)
  }

  /// A random model, a batch, its times and conditions.
  func instance(seed: UInt64, rows: Int = 5) -> (
    model: MLP<Double>, x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?
  ) {
    var rng = Xoshiro256(seed: seed)
    var model = MLP<Double>(configuration: configuration, using: &rng)
    // Random (not unit) layer-normalisation parameters, so that their gradients are exercised.
    for l in model.parameters.norms.indices {
      model.parameters.norms[l].weight.fillNormal(mean: 1, standardDeviation: 0.3, using: &rng)
      model.parameters.norms[l].bias.fillNormal(standardDeviation: 0.3, using: &rng)
    }
    let x = Matrix<Double>.randomNormal(rows: rows, columns: configuration.inputDimension, using: &rng)
    let t = (0..<rows).map { _ in Double.random(in: 0.01..<1, using: &rng) }
    let c =
      configuration.conditionDimension > 0
      ? Matrix<Double>.randomNormal(rows: rows, columns: configuration.conditionDimension, using: &rng) : nil
    return (model, x, sharedTime ? .shared(t[0]) : .perRow(t), c)
  }
}

let mlpGradientCases: [MLPCase] =
  Activation.allCases.map { MLPCase.small(activation: $0) } + [
    .small(depth: 3, residual: true)
  ]
  // Layer normalisation (with random γ, β) fused with every activation.
  + Activation.allCases.map { MLPCase.small(activation: $0, layerNorm: true) } + [
    .small(activation: .gelu, depth: 3, residual: true, layerNorm: true),
    .small(condition: 2),
    .small(activation: .tanh, depth: 3, condition: 2, residual: true, layerNorm: true, sharedTime: true),
    .small(depth: 1, embedding: .sinusoidal(dimension: 4, maximumPeriod: 100, timeScale: 10)),
    .small(activation: .softplus, embedding: .sinusoidal(), sharedTime: true),
  ]

@Test(arguments: mlpGradientCases)
func mlpParameterAndInputGradients(_ testCase: MLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 21)
  var rng = Xoshiro256(seed: 22)
  let r = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  var workspace = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  var gradients = model.makeGradients()
  var inputGradient = Matrix<Double>(rows: x.rows, columns: x.columns)
  model.forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  model.backward(outputGradient: r, workspace: &workspace, into: &gradients, inputGradient: &inputGradient)

  func loss(_ m: MLP<Double>, _ x: Matrix<Double>) -> Double {
    frobeniusProduct(r, m(x, times: times, condition: condition))
  }
  var errors: [(String, Double)] = []
  var squaredNorm = 0.0
  for k in 0..<model.parameters.tensorCount {
    let numeric = finiteDifferenceGradient(at: model.parameters.tensor(at: k)) { theta in
      var perturbed = model
      perturbed.parameters.withMutableTensor(at: k) { $0 = theta }
      return loss(perturbed, x)
    }
    errors.append((model.parameters.tensorName(at: k), (gradients.tensor(at: k) - numeric).frobeniusNorm()))
    squaredNorm += numeric.frobeniusNorm() * numeric.frobeniusNorm()
  }
  let norm = squaredNorm.squareRoot()
  #expect(norm > 0.1, "\(testCase): gradient norm \(norm) too small to check anything")
  for (name, error) in errors {
    #expect(error < 1e-6 * norm, "\(testCase): \(name) error \(error), ‖∇θ‖ = \(norm)")
  }
  let numericInput = finiteDifferenceGradient(at: x) { loss(model, $0) }
  let inputError = relativeDistance(inputGradient, numericInput)
  #expect(inputError < 1e-6, "\(testCase): ∂L/∂x relative error \(inputError)")
}

@Test func mlpGradientAccumulation() {
  let (model, x, times, _) = MLPCase.small(depth: 3, residual: true, layerNorm: true).instance(seed: 23)
  var rng = Xoshiro256(seed: 24)
  let r1 = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  let r2 = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  var workspace = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  var accumulated = model.makeGradients()
  var single = model.makeGradients()
  model.forward(x, times: times, into: &out, workspace: &workspace)
  model.backward(outputGradient: r1, workspace: &workspace, into: &accumulated)
  model.backward(outputGradient: r2, workspace: &workspace, into: &accumulated, accumulate: true)
  model.backward(outputGradient: r1 + r2, workspace: &workspace, into: &single)
  for k in 0..<single.tensorCount {
    #expect(maxAbsDifference(accumulated.tensor(at: k), single.tensor(at: k)) < 1e-12)
  }
}

/// With the identity activation, γ = 1, β = 0 and ε = 0, a layer-normalised MLP's hidden
/// activations are the normalised rows: mean 0 and variance 1 in each row.
@Test func layerNormNormalizesRows() {
  var (model, x, times, _) = MLPCase.small(activation: .identity, depth: 2, layerNorm: true).instance(
    seed: 12)
  for l in model.parameters.norms.indices {
    model.parameters.norms[l] = LayerNorm(dimension: model.configuration.width, epsilon: 0)
  }
  var workspace = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  model.forward(x, times: times, into: &out, workspace: &workspace)
  #expect(workspace.hiddenActivations.count == 2)
  for h in workspace.hiddenActivations {
    for i in 0..<h.rows {
      let row = h.row(i)
      let n = Double(row.count)
      let mean = row.reduce(0, +) / n
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n
      #expect(abs(mean) < 1e-14)
      #expect(abs(variance - 1) < 1e-13)
    }
  }
}
