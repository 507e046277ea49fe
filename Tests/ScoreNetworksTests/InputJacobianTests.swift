import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// The Jacobians ∂f(xᵢ)/∂x (d × d, entry (m, k) = ∂fₘ/∂xₖ) of every row, by central differences.
func finiteDifferenceJacobians(
  _ model: MLP<Double>, _ x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?
) -> [Matrix<Double>] {
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
    // Rows do not interact, so one perturbed batch gives column k of every row's Jacobian.
    let difference =
      (model(plus, times: times, condition: condition) - model(minus, times: times, condition: condition))
    for i in 0..<n {
      for m in 0..<d { jacobians[i][m, k] = difference[i, m] / (2 * h) }
    }
  }
  return jacobians
}

let jacobianCases: [MLPCase] = [
  .small(),
  .small(activation: .gelu, depth: 3, condition: 2, residual: true, layerNorm: true),
  .small(activation: .tanh, layerNorm: true, embedding: .sinusoidal(), sharedTime: true),
  .small(activation: .softplus, depth: 3, residual: true, sharedTime: true),
]

@Test(arguments: jacobianCases)
func vectorJacobianProductsMatchFiniteDifferences(_ testCase: MLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 31, rows: 4)
  let (n, d, p) = (x.rows, x.columns, 3)
  var rng = Xoshiro256(seed: 32)
  let probes = Matrix<Double>.randomNormal(rows: n * p, columns: d, using: &rng)
  var workspace = model.makeJacobianWorkspace(rows: n, probesPerRow: p)
  var products = Matrix<Double>(rows: n * p, columns: d)
  var output = Matrix<Double>(rows: n, columns: d)
  model.vectorJacobianProducts(
    x, times: times, condition: condition, probes: probes, into: &products, output: &output,
    workspace: &workspace)
  #expect(output == model(x, times: times, condition: condition))
  let jacobians = finiteDifferenceJacobians(model, x, times: times, condition: condition)
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

@Test(arguments: jacobianCases)
func divergenceIsTheJacobianTrace(_ testCase: MLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 33, rows: 5)
  let (n, d) = (x.rows, x.columns)
  var workspace = model.makeJacobianWorkspace(rows: n, probesPerRow: d)
  var output = Matrix<Double>(rows: n, columns: d)
  var divergence = [Double](repeating: .nan, count: n)
  model.divergence(
    x, times: times, condition: condition, output: &output, into: &divergence, workspace: &workspace)
  #expect(output == model(x, times: times, condition: condition))
  let jacobians = finiteDifferenceJacobians(model, x, times: times, condition: condition)
  let traces = jacobians.map { j in (0..<d).reduce(0.0) { $0 + j[$1, $1] } }
  let scale = traces.map { $0 * $0 }.reduce(0, +).squareRoot()
  let error = zip(divergence, traces).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / scale
  #expect(error < 1e-6, "\(testCase): divergence \(divergence) vs traces \(traces)")

  // Hutchinson with one probe per row: εᵀJε exactly, for the same Jacobians.
  var rng = Xoshiro256(seed: 34)
  let probes = Matrix<Double>.randomNormal(rows: n, columns: d, using: &rng)
  var single = model.makeJacobianWorkspace(rows: n, probesPerRow: 1)
  var estimate = [Double](repeating: .nan, count: n)
  model.divergenceEstimate(
    x, times: times, condition: condition, probes: probes, output: &output, into: &estimate,
    workspace: &single)
  for i in 0..<n {
    var quadratic = 0.0
    for m in 0..<d {
      for k in 0..<d { quadratic += probes[i, m] * jacobians[i][m, k] * probes[i, k] }
    }
    #expect(abs(estimate[i] - quadratic) < 1e-6 * max(1, abs(quadratic)), "row \(i)")
  }
}

@Test func jacobianWorkspaceLeavesTrainingWorkspaceAlone() {
  let (model, x, times, _) = MLPCase.small(depth: 3, residual: true).instance(seed: 35, rows: 6)
  var rng = Xoshiro256(seed: 36)
  let r = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)
  var training = model.makeWorkspace(rows: 6)
  var out = Matrix<Double>(rows: 6, columns: 3)
  var reference = model.makeGradients()
  model.forward(x, times: times, into: &out, workspace: &training)
  model.backward(outputGradient: r, workspace: &training, into: &reference)

  // Between a forward and a backward pass, a likelihood evaluation on other points.
  model.forward(x, times: times, into: &out, workspace: &training)
  var likelihood = model.makeJacobianWorkspace(rows: 2, probesPerRow: 3)
  var divergence = [Double](repeating: 0, count: 2)
  var output = Matrix<Double>(rows: 2, columns: 3)
  let other = Matrix<Double>.randomNormal(rows: 2, columns: 3, using: &rng)
  model.divergence(other, times: .shared(0.3), output: &output, into: &divergence, workspace: &likelihood)
  var gradients = model.makeGradients()
  model.backward(outputGradient: r, workspace: &training, into: &gradients)
  for k in 0..<gradients.tensorCount { #expect(gradients.tensor(at: k) == reference.tensor(at: k)) }
}

@Test func divergenceOfALinearNetworkIsTheTraceOfItsMatrix() {
  // With the identity activation, f(x) = x W₀ₓᵀ W₁ᵀ + const, so ∇·f = tr(W₁ W₀ₓ) everywhere.
  var rng = Xoshiro256(seed: 37)
  let model = MLP<Double>(
    configuration: MLPConfiguration(inputDimension: 4, width: 5, depth: 1, activation: .identity), using: &rng
  )
  let w0 = model.parameters.layers[0].weight
  let w1 = model.parameters.layers[1].weight
  var trace = 0.0
  for k in 0..<4 {
    for j in 0..<5 { trace += w1[k, j] * w0[j, k] }
  }
  let x = Matrix<Double>.randomNormal(rows: 3, columns: 4, using: &rng)
  var workspace = model.makeJacobianWorkspace(rows: 3, probesPerRow: 4)
  var output = Matrix<Double>(rows: 3, columns: 4)
  var divergence = [Double](repeating: 0, count: 3)
  model.divergence(
    x, times: .perRow([0.1, 0.5, 0.9]), output: &output, into: &divergence, workspace: &workspace)
  for value in divergence { #expect(abs(value - trace) < 1e-14) }
}
