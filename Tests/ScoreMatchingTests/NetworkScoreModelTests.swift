import DiffusionProcesses
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A random network wrapped as a score model on an OU process (its kernel has a shift), a
/// batch, and a time.
func wrappedModel(
  _ parameterization: Parameterization, encoding: ConditionEncoding = .unconditional, seed: UInt64 = 41
) -> (model: MLPScoreModel<OrnsteinUhlenbeckSDE<Double>>, x: Matrix<Double>) {
  var rng = Xoshiro256(seed: seed)
  let network = MLP<Double>(
    configuration: smallNetwork(dimension: 3, condition: encoding.networkColumns, width: 7, depth: 2),
    using: &rng)
  let process = OrnsteinUhlenbeckSDE<Double>(theta: 1.3, mean: 0.7, sigma: 1.1)
  let model = NetworkScoreModel(
    network: network, process: process, parameterization: parameterization, conditionEncoding: encoding)
  return (model, Matrix<Double>.randomNormal(rows: 4, columns: 3, using: &rng))
}

/// The score is the network output converted by DiffusionProcesses' own `convert(from:to:)`.
@Test(arguments: Parameterization.allCases)
func scoreIsTheConvertedNetworkOutput(_ parameterization: Parameterization) {
  let (model, x) = wrappedModel(parameterization)
  let t = 0.37
  // EDM feeds c_in·(x − shift)/a at c_noise = ¼·ln(σ/a) (Karras et al. 2022, Table 1).
  var input = x
  var time = t
  if case .edm(let sd) = parameterization {
    let (a, s) = model.process.marginal(at: t)
    let b = model.process.marginalShift(at: t)
    let sigma = s / a
    let cIn = 1 / (sigma * sigma + sd * sd).squareRoot()
    input = Matrix(rows: x.rows, columns: x.columns, elements: x.elements.map { cIn * ($0 - b) / a })
    time = log(sigma) / 4
  }
  var converted = model.network(input, times: .shared(time))
  model.process.convert(&converted, from: parameterization, to: .score, given: x, at: t)
  let score = model.score(x, at: t)
  #expect(maxAbsDifference(score, converted) < 1e-12 * max(1, converted.maxAbs()))
}

/// The exact divergence and the vector–Jacobian products against central differences of the
/// score, for each parameterisation (their `c_x·I` term differs) and for a conditional model.
@Test(arguments: Parameterization.allCases, [false, true])
func divergenceAndVectorJacobianProductsMatchFiniteDifferences(
  _ parameterization: Parameterization, _ conditional: Bool
) {
  var (model, x) = wrappedModel(
    parameterization,
    encoding: conditional ? ConditionEncoding(dimension: 2, hasMaskColumn: true) : .unconditional)
  if conditional { model = model.conditioned(on: [0.4, -1.2]) }
  let t = 0.21
  var workspace = model.makeWorkspace(rows: x.rows)
  var score = Matrix<Double>(rows: 4, columns: 3)
  var divergence = [Double](repeating: 0, count: 4)
  model.scoreAndDivergence(x, at: t, into: &score, divergence: &divergence, workspace: &workspace)
  #expect(score == model.score(x, at: t))
  var rng = Xoshiro256(seed: 42)
  let probe = Matrix<Double>.randomNormal(rows: 4, columns: 3, using: &rng)
  var vjp = Matrix<Double>(rows: 4, columns: 3)
  var score2 = Matrix<Double>(rows: 4, columns: 3)
  model.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &score2, vjp: &vjp, workspace: &workspace)
  #expect(score2 == score)
  expectJacobianProductsMatchFiniteDifferences(
    model, x: x, at: t, divergence: divergence, probe: probe, vjp: vjp)
}

/// The network sees `[x ‖ γ(t) ‖ c ‖ 1]` with a condition and `[x ‖ γ(t) ‖ 0 ‖ 0]` without; a
/// `1 × k` condition is broadcast; per-row conditions and `.perRow` agree; the explicit
/// `condition:` form equals the bound-condition forms.
@Test func conditionsAreEncodedWithTheMaskColumn() {
  let encoding = ConditionEncoding(dimension: 2, hasMaskColumn: true)
  #expect(encoding.networkColumns == 3 && encoding.supportsUnconditional)
  #expect(ConditionEncoding.training(conditioningColumns: 2, conditionDropout: 0).networkColumns == 2)
  #expect(ConditionEncoding.training(conditioningColumns: 2, conditionDropout: 0.1) == encoding)
  let (base, x) = wrappedModel(.noise, encoding: encoding)
  let t = 0.5
  var workspace = base.makeWorkspace(rows: 4)
  var out = Matrix<Double>(rows: 4, columns: 3)
  let embeddingWidth = base.network.embedding.dimension

  base.conditioned(on: [0.4, -1.2]).score(x, at: t, into: &out, workspace: &workspace)
  let fixed = out
  let input = workspace.lastNetworkInput
  for i in 0..<4 {
    #expect(Array(input.row(i)[(3 + embeddingWidth)...]) == [0.4, -1.2, 1])
    #expect(Array(input.row(i)[..<3]) == x.row(i))
  }
  base.unconditional.score(x, at: t, into: &out, workspace: &workspace)
  let unconditional = out
  for i in 0..<4 { #expect(Array(workspace.lastNetworkInput.row(i)[(3 + embeddingWidth)...]) == [0, 0, 0]) }
  #expect(unconditional != fixed)

  base.score(x, at: t, condition: Matrix([[0.4, -1.2]]), into: &out, workspace: &workspace)
  #expect(out == fixed)
  base.score(x, at: t, condition: nil, into: &out, workspace: &workspace)
  #expect(out == unconditional)
  let perRow = Matrix<Double>([[0.4, -1.2], [1, 2], [0.4, -1.2], [0, 0]])
  var perRowModel = base
  perRowModel.condition = .perRow(perRow)
  perRowModel.score(x, at: t, into: &out, workspace: &workspace)
  #expect(out.row(0) == fixed.row(0) && out.row(2) == fixed.row(2) && out.row(1) != fixed.row(1))
  #expect(Array(workspace.lastEncodedConditions.row(3)) == [0, 0, 1], "a zero condition keeps its mask")
}

/// Repeated score, divergence and vector–Jacobian evaluations allocate nothing once the workspace
/// has seen the batch (run in a child process; see AllocationCounter).
@Test func repeatedEvaluationsAllocateNothing() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var rng = Xoshiro256(seed: 43)
    let encoding = ConditionEncoding(dimension: 1, hasMaskColumn: true)
    let network = MLP<Float>(configuration: smallNetwork(condition: encoding.networkColumns), using: &rng)
    let model = NetworkScoreModel(
      network: network, process: VPSDE<Float>(), parameterization: .data, conditionEncoding: encoding
    ).conditioned(on: [0.5])
    let x = Matrix<Float>.randomNormal(rows: 16, columns: 2, using: &rng)
    let probe = Matrix<Float>.randomNormal(rows: 16, columns: 2, using: &rng)
    let conditions = Matrix<Float>(rows: 16, columns: 1, repeating: 0.25)
    var workspace = model.makeWorkspace(rows: 16)
    var out = Matrix<Float>(rows: 16, columns: 2)
    var vjp = Matrix<Float>(rows: 16, columns: 2)
    var divergence = [Float](repeating: 0, count: 16)
    func evaluate() {
      model.score(x, at: 0.3, into: &out, workspace: &workspace)
      model.score(x, at: 0.3, condition: nil, into: &out, workspace: &workspace)
      model.score(x, at: 0.3, condition: conditions, into: &out, workspace: &workspace)
      model.scoreAndDivergence(x, at: 0.3, into: &out, divergence: &divergence, workspace: &workspace)
      model.scoreAndVectorJacobianProduct(
        x, at: 0.3, probe: probe, into: &out, vjp: &vjp, workspace: &workspace)
    }
    evaluate()
    let n = AllocationCounter.count {
      for _ in 0..<3 { evaluate() }
    }
    _exit(Int32(min(n, 100)))
  }
}

/// A conditional network trained without dropout has no unconditional branch: asking for one is
/// a programmer error that names the problem.
@Test func unconditionalBranchWithoutMaskIsRejected() async {
  await #expect(processExitsWith: .failure) {
    let (model, x) = wrappedModel(.noise, encoding: ConditionEncoding(dimension: 1, hasMaskColumn: false))
    _ = model.score(x, at: 0.5)
  }
}
