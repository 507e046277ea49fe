import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// `f` of a training forward pass with `dropout` (a fresh workspace each call, so the same
/// `Dropout` value gives the same masks: the loss is a smooth function of θ and x).
func droppedOut<N: ScoreNetwork>(
  _ network: N, _ x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?, dropout: Dropout
) -> Matrix<Double> where N.Scalar == Double {
  var workspace = network.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  network.forward(x, times: times, condition: condition, into: &out, workspace: &workspace, dropout: dropout)
  return out
}

/// Backpropagation through a dropped-out forward pass against central finite differences of
/// `L = ⟨r, f_masked(x; θ)⟩` with the masks held fixed (same `Dropout` value); the tolerance is
/// the one of the plain gradient checks (the masks only rescale entries by 0 or 1/(1 − p)).
func checkDropoutGradients<N: ScoreNetwork>(
  _ network: N, _ x: Matrix<Double>, times: Times<Double>, condition: Matrix<Double>?, label: String
) where N.Scalar == Double {
  let dropout = Dropout(rate: 0.3, seed: 99)
  var rng = Xoshiro256(seed: 7)
  let r = Matrix<Double>.randomNormal(rows: x.rows, columns: x.columns, using: &rng)
  var workspace = network.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  var gradients = network.makeGradients()
  var inputGradient = Matrix<Double>(rows: x.rows, columns: x.columns)
  network.forward(x, times: times, condition: condition, into: &out, workspace: &workspace, dropout: dropout)
  network.backward(outputGradient: r, workspace: &workspace, into: &gradients)
  network.inputGradient(outputGradient: r, workspace: &workspace, into: &inputGradient)
  func loss(_ m: N, _ x: Matrix<Double>) -> Double {
    frobeniusProduct(r, droppedOut(m, x, times: times, condition: condition, dropout: dropout))
  }
  var squaredNorm = 0.0
  var errors: [(String, Double)] = []
  for k in 0..<network.parameters.tensorCount {
    let numeric = finiteDifferenceGradient(at: network.parameters.tensor(at: k)) { theta in
      var perturbed = network
      perturbed.parameters.withMutableTensor(at: k) { $0 = theta }
      return loss(perturbed, x)
    }
    errors.append((network.parameters.tensorName(at: k), (gradients.tensor(at: k) - numeric).frobeniusNorm()))
    squaredNorm += numeric.frobeniusNorm() * numeric.frobeniusNorm()
  }
  let norm = squaredNorm.squareRoot()
  #expect(norm > 0.1, "\(label): gradient norm \(norm) too small to check anything")
  for (name, error) in errors {
    #expect(error < 1e-6 * norm, "\(label): \(name) error \(error), ‖∇θ‖ = \(norm)")
  }
  let numericInput = finiteDifferenceGradient(at: x) { loss(network, $0) }
  let inputError = relativeDistance(inputGradient, numericInput)
  #expect(inputError < 1e-6, "\(label): ∂L/∂x relative error \(inputError)")
  // The masks did drop something: the dropped-out output differs from the plain one.
  #expect(maxAbsDifference(out, network(x, times: times, condition: condition)) > 1e-3)
}

@Test(arguments: [
  MLPCase.small(), MLPCase.small(depth: 3, residual: true),
  MLPCase.small(activation: .gelu, depth: 3, condition: 2, residual: true, layerNorm: true),
])
func mlpDropoutBackpropagation(_ testCase: MLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 31, rows: 6)
  checkDropoutGradients(model, x, times: times, condition: condition, label: "\(testCase)")
}

@Test(arguments: [ResidualMLPCase.small(), ResidualMLPCase.small(activation: .gelu, condition: 2)])
func residualMLPDropoutBackpropagation(_ testCase: ResidualMLPCase) {
  let (model, x, times, condition) = testCase.instance(seed: 32, rows: 6)
  checkDropoutGradients(model, x, times: times, condition: condition, label: "\(testCase)")
}

/// p = 0 is the plain forward pass bit for bit (whatever the seed), and the pullback it
/// stores is the plain one too.
@Test func zeroDropoutIsThePlainForwardPass() {
  let (model, x, times, condition) = MLPCase.small(depth: 3, condition: 2, residual: true).instance(seed: 33)
  var plain = model.makeWorkspace(rows: x.rows)
  var plainOut = Matrix<Double>(rows: x.rows, columns: x.columns)
  model.forward(x, times: times, condition: condition, into: &plainOut, workspace: &plain)
  for dropout in [Dropout.none, Dropout(rate: 0, seed: 12_345)] {
    #expect(droppedOut(model, x, times: times, condition: condition, dropout: dropout) == plainOut)
    var ws = model.makeWorkspace(rows: x.rows)
    var out = Matrix<Double>(rows: x.rows, columns: x.columns)
    model.forward(x, times: times, condition: condition, into: &out, workspace: &ws, dropout: dropout)
    #expect(ws.activationDerivatives == plain.activationDerivatives)
  }
  let (residual, rx, rt, rc) = ResidualMLPCase.small(condition: 2).instance(seed: 34)
  #expect(
    droppedOut(residual, rx, times: rt, condition: rc, dropout: .none)
      == residual(rx, times: rt, condition: rc))
}

/// Dropout acts in the training pass alone: evaluating after a dropped-out forward pass gives
/// the plain output, and the Jacobian products do not see the masks.
@Test func dropoutOnlyInTrainingPasses() {
  let (model, x, times, condition) = MLPCase.small(depth: 3, residual: true).instance(seed: 35)
  let plain = model(x, times: times, condition: condition)
  var ws = model.makeWorkspace(rows: x.rows)
  var out = Matrix<Double>(rows: x.rows, columns: x.columns)
  model.forward(
    x, times: times, condition: condition, into: &out, workspace: &ws, dropout: Dropout(rate: 0.5, seed: 1))
  #expect(out != plain)
  model.evaluate(x, times: times, condition: condition, into: &out, workspace: &ws)
  #expect(out == plain)
  var divergence = [Double](repeating: 0, count: x.rows)
  var jacobian = model.makeJacobianWorkspace(rows: x.rows, probesPerRow: x.columns)
  model.divergence(
    x, times: times, condition: condition, output: &out, into: &divergence, workspace: &jacobian)
  #expect(out == plain)
}

/// The masks are a function of the batch row, not of the pass: rows 2…5 of a pass over the
/// whole batch equal a pass over those rows with `firstRow = 2` (row blocks on threads see
/// the masks of the one-pass step).
@Test func dropoutMasksFollowTheBatchRow() {
  let (model, x, times, _) = MLPCase.small(depth: 2).instance(seed: 36, rows: 6)
  let dropout = Dropout(rate: 0.4, seed: 5)
  let whole = droppedOut(model, x, times: times, condition: nil, dropout: dropout)
  var block = Matrix<Double>(rows: 4, columns: x.columns)
  block.copyRows(2..<6, of: x, to: 0)
  guard case .perRow(let t) = times else { Issue.record("per-row times expected"); return }
  let part = droppedOut(
    model, block, times: .perRow(Array(t[2..<6])), condition: nil, dropout: dropout.shifted(by: 2))
  for i in 0..<4 { #expect(part.row(i) == whole.row(i + 2)) }
}

/// The fraction of kept units is 1 − p within 5 binomial standard errors, and the same seed
/// gives the same masks.
@Test func dropoutKeepsOneMinusPOfTheUnits() {
  let dropout = Dropout(rate: 0.25, seed: 77)
  let (layers, rows, units) = (3, 200, 50)
  var kept = 0
  for l in 0..<layers {
    for i in 0..<rows {
      for j in 0..<units where dropout.keeps(layer: l, row: i, unit: j) { kept += 1 }
    }
  }
  let n = Double(layers * rows * units)
  let standardError = (0.25 * 0.75 / n).squareRoot()
  #expect(abs(Double(kept) / n - 0.75) < 5 * standardError)
  #expect(
    Dropout(rate: 0.25, seed: 77).keeps(layer: 1, row: 3, unit: 4) == dropout.keeps(layer: 1, row: 3, unit: 4)
  )
}
