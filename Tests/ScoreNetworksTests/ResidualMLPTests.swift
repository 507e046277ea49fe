import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// A small residual MLP and how its times are given, for the derivative checks.
struct ResidualMLPCase: Sendable, CustomTestStringConvertible {
  var configuration: ResidualMLPConfiguration
  var sharedTime = false
  var testDescription: String {
    let c = configuration
    return "\(c.activation) B\(c.blocks) k\(c.conditionDimension) \(c.timeEmbedding) shared=\(sharedTime)"
  }

  static func small(
    activation: Activation = .silu, blocks: Int = 2, condition: Int = 0,
    embedding: TimeEmbeddingKind = .gaussianFourier(frequencies: 3, scale: 16), sharedTime: Bool = false
  ) -> ResidualMLPCase {
    ResidualMLPCase(
      configuration: ResidualMLPConfiguration(
        inputDimension: 3, conditionDimension: condition, timeEmbedding: embedding, width: 6, blocks: blocks,
        activation: activation),
      sharedTime: sharedTime)
  }

  /// A random network, a batch, its times and conditions.
  func instance(seed: UInt64, rows: Int = 5) -> (
    model: ResidualMLP<Double>, x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?
  ) {
    var rng = Xoshiro256(seed: seed)
    let model = ResidualMLP<Double>(configuration: configuration, using: &rng)
    let x = Matrix<Double>.randomNormal(rows: rows, columns: configuration.inputDimension, using: &rng)
    let t = (0..<rows).map { _ in Double.random(in: 0.01..<1, using: &rng) }
    let c =
      configuration.conditionDimension > 0
      ? Matrix<Double>.randomNormal(rows: rows, columns: configuration.conditionDimension, using: &rng) : nil
    return (model, x, sharedTime ? .shared(t[0]) : .perRow(t), c)
  }
}

let residualGradientCases: [ResidualMLPCase] = [
  .small(),
  .small(activation: .tanh),
  .small(activation: .gelu),
  .small(activation: .identity, blocks: 1),
  .small(condition: 2),
  .small(activation: .gelu, blocks: 3, condition: 2, sharedTime: true),
  .small(activation: .tanh, sharedTime: true),
  .small(embedding: .sinusoidal(dimension: 4, maximumPeriod: 100, timeScale: 10)),
  .small(activation: .gelu, blocks: 1, condition: 1, embedding: .sinusoidal(), sharedTime: true),
]

@Test(arguments: residualGradientCases)
func residualMLPParameterAndInputGradients(_ testCase: ResidualMLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 81)
  var rng = Xoshiro256(seed: 82)
  let r = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  var workspace = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  var gradients = model.makeGradients()
  var inputGradient = Matrix<Double>(rows: x.rows, columns: x.columns)
  model.forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  model.backward(outputGradient: r, workspace: &workspace, into: &gradients)
  // The input gradient reads the same forward pass (backward leaves it intact).
  model.inputGradient(outputGradient: r, workspace: &workspace, into: &inputGradient)

  func loss(_ m: ResidualMLP<Double>, _ x: Matrix<Double>) -> Double {
    frobeniusProduct(r, m(x, times: times, condition: condition))
  }
  var errors: [(String, Double, Double)] = []
  var squaredNorm = 0.0
  for k in 0..<model.parameters.tensorCount {
    let numeric = finiteDifferenceGradient(at: model.parameters.tensor(at: k)) { theta in
      var perturbed = model
      perturbed.parameters.withMutableTensor(at: k) { $0 = theta }
      return loss(perturbed, x)
    }
    let error = (gradients.tensor(at: k) - numeric).frobeniusNorm()
    errors.append((model.parameters.tensorName(at: k), error, numeric.frobeniusNorm()))
    squaredNorm += numeric.frobeniusNorm() * numeric.frobeniusNorm()
  }
  let norm = squaredNorm.squareRoot()
  #expect(norm > 0.1, "\(testCase): gradient norm \(norm) too small to check anything")
  for (name, error, tensorNorm) in errors {
    #expect(tensorNorm > 0, "\(testCase): \(name) has a zero gradient, so it is not checked")
    #expect(error < 1e-6 * norm, "\(testCase): \(name) error \(error), ‖∇θ‖ = \(norm)")
  }
  let numericInput = finiteDifferenceGradient(at: x) { loss(model, $0) }
  let inputError = relativeDistance(inputGradient, numericInput)
  #expect(inputError < 1e-6, "\(testCase): ∂L/∂x relative error \(inputError)")
}

@Test(arguments: [
  ResidualMLPCase.small(blocks: 3, condition: 2), .small(activation: .gelu, blocks: 3, sharedTime: true),
])
func residualMLPGradientAccumulation(_ testCase: ResidualMLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 83)
  var rng = Xoshiro256(seed: 84)
  let r1 = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  let r2 = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  var workspace = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  var accumulated = model.makeGradients()
  var single = model.makeGradients()
  var overwritten = model.makeGradients()
  model.forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  model.backward(outputGradient: r1, workspace: &workspace, into: &accumulated)
  model.backward(outputGradient: r2, workspace: &workspace, into: &accumulated, accumulate: true)
  model.backward(outputGradient: r1 + r2, workspace: &workspace, into: &single)
  // Without accumulate, stale contents are overwritten.
  overwritten.assign(accumulated)
  model.backward(outputGradient: r2, workspace: &workspace, into: &overwritten)
  var second = model.makeGradients()
  model.backward(outputGradient: r2, workspace: &workspace, into: &second, accumulate: true)
  for k in 0..<single.tensorCount {
    let name = single.tensorName(at: k)
    #expect(maxAbsDifference(accumulated.tensor(at: k), single.tensor(at: k)) < 1e-12, "\(name)")
    #expect(overwritten.tensor(at: k) == second.tensor(at: k), "\(name)")
  }
}

/// The Jacobians ∂f(xᵢ)/∂x (d × d, entry (m, k) = ∂fₘ/∂xₖ) of every row of any network, by
/// central differences.
func networkFiniteDifferenceJacobians<N: ScoreNetwork>(
  _ model: N, _ x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?
) -> [Matrix<Double>] where N.Scalar == Double {
  let (n, d) = (x.rows, x.columns)
  var jacobians = [Matrix<Double>](repeating: Matrix(rows: d, columns: d), count: n)
  let h = 1e-6
  for k in 0..<d {
    var plus = x
    var minus = x
    for i in 0..<n {
      plus[i, k] += h
      minus[i, k] -= h
    }
    let difference =
      (model(plus, times: times, condition: condition) - model(minus, times: times, condition: condition))
    for i in 0..<n {
      for m in 0..<d { jacobians[i][m, k] = difference[i, m] / (2 * h) }
    }
  }
  return jacobians
}

let residualJacobianCases: [ResidualMLPCase] = [
  .small(),
  .small(activation: .gelu, blocks: 3, condition: 2),
  .small(activation: .tanh, embedding: .sinusoidal(), sharedTime: true),
]

@Test(arguments: residualJacobianCases)
func residualMLPVectorJacobianProducts(_ testCase: ResidualMLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 85, rows: 4)
  let (n, d, p) = (x.rows, x.columns, 3)
  var rng = Xoshiro256(seed: 86)
  let probes = Matrix<Double>.randomNormal(rows: n * p, columns: d, using: &rng)
  var workspace = model.makeJacobianWorkspace(rows: n, probesPerRow: p)
  var products = Matrix<Double>(rows: n * p, columns: d)
  var output = Matrix<Double>(rows: n, columns: d)
  model.vectorJacobianProducts(
    x, times: times, condition: condition, probes: probes, into: &products, output: &output,
    workspace: &workspace)
  let direct = model(x, times: times, condition: condition)
  #expect(relativeDistance(output, direct) < 1e-14)
  let jacobians = networkFiniteDifferenceJacobians(model, x, times: times, condition: condition)
  var expected = Matrix<Double>(rows: n * p, columns: d)
  for i in 0..<n {
    for q in 0..<p {
      for k in 0..<d {
        var s = 0.0
        for m in 0..<d { s += probes[i * p + q, m] * jacobians[i][m, k] }
        expected[i * p + q, k] = s
      }
    }
  }
  let error = relativeDistance(products, expected)
  #expect(error < 1e-6, "\(testCase): vᵀJ relative error \(error)")
}

@Test(arguments: residualJacobianCases)
func residualMLPDivergenceIsTheJacobianTrace(_ testCase: ResidualMLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 87, rows: 5)
  let (n, d) = (x.rows, x.columns)
  var workspace = model.makeJacobianWorkspace(rows: n, probesPerRow: d)
  var output = Matrix<Double>(rows: n, columns: d)
  var divergence = [Double](repeating: .nan, count: n)
  model.divergence(
    x, times: times, condition: condition, output: &output, into: &divergence, workspace: &workspace)
  #expect(relativeDistance(output, model(x, times: times, condition: condition)) < 1e-14)
  let jacobians = networkFiniteDifferenceJacobians(model, x, times: times, condition: condition)
  let traces = jacobians.map { j in (0..<d).reduce(0.0) { $0 + j[$1, $1] } }
  let scale = traces.map { $0 * $0 }.reduce(0, +).squareRoot()
  let error = zip(divergence, traces).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / scale
  #expect(error < 1e-6, "\(testCase): divergence \(divergence) vs traces \(traces)")
}
