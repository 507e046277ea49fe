import LinearAlgebra
import TestSupport
import Testing

@testable import ScoreNetworks

/// Rows `range` of `m`.
private func rowsOf<S: BLASScalar>(_ m: Matrix<S>, _ range: Range<Int>) -> Matrix<S> {
  Matrix(
    rows: range.count, columns: m.columns,
    elements: Array(m.elements[(range.lowerBound * m.columns)..<(range.upperBound * m.columns)]))
}

/// The batch split into row blocks run on several threads must give what the same rows give in
/// pieces too small to be split: the outputs and input gradients row by row, the parameter
/// gradients as the sum over the pieces (accumulated).
@Test(arguments: [false, true])
func rowBlocksMatchUnsplitPieces(residual: Bool) {
  check(Float.self, residual: residual, tolerance: 1e-5)
  check(Double.self, residual: residual, tolerance: 1e-12)
}

private func check<S: BLASScalar>(_: S.Type, residual: Bool, tolerance: S) {
  if BLAS.threadCount < 2 { BLAS.threadCount = 2 }
  let n = 300
  var rng = Xoshiro256(seed: 41)
  let model = MLP<S>(
    configuration: MLPConfiguration(inputDimension: 2, width: 24, depth: 3, residual: residual), using: &rng)
  #expect(model.rowBlocks(rows: n).count >= 2)
  #expect(model.rowBlocks(rows: 200).count == 1)
  let x = Matrix<S>.randomNormal(rows: n, columns: 2, using: &rng)
  let t = (0..<n).map { _ in S.random(in: 0.01..<1, using: &rng) }
  let g = Matrix<S>.randomNormal(rows: n, columns: 2, using: &rng)

  var workspace = model.makeWorkspace(rows: n)
  var out = Matrix<S>(rows: n, columns: 2)
  model.forward(x, times: .perRow(t), into: &out, workspace: &workspace)
  var gradients = model.makeGradients()
  var inputGradient = Matrix<S>(rows: n, columns: 2)
  model.backward(outputGradient: g, workspace: &workspace, into: &gradients, inputGradient: &inputGradient)

  var pieceGradients = model.makeGradients()
  for (k, piece) in [0..<100, 100..<n].enumerated() {
    var ws = model.makeWorkspace(rows: piece.count)
    var pieceOut = Matrix<S>(rows: piece.count, columns: 2)
    model.forward(rowsOf(x, piece), times: .perRow(Array(t[piece])), into: &pieceOut, workspace: &ws)
    #expect(relativeDistance(pieceOut, rowsOf(out, piece)) < tolerance)
    var pieceInputGradient = Matrix<S>(rows: piece.count, columns: 2)
    model.backward(
      outputGradient: rowsOf(g, piece), workspace: &ws, into: &pieceGradients,
      inputGradient: &pieceInputGradient,
      accumulate: k > 0)
    #expect(relativeDistance(pieceInputGradient, rowsOf(inputGradient, piece)) < tolerance)
  }
  for k in 0..<gradients.tensorCount {
    #expect(relativeDistance(gradients.tensor(at: k), pieceGradients.tensor(at: k)) < tolerance)
  }
}
