import Foundation
import ScoreSDE
import TestSupport
import Testing

/// A likelihood split into row blocks pairs each block with its own rows of a per-row
/// condition: the same values as one block, and each point's value is the one its own
/// condition gives (before, the blocks handed the whole condition matrix to a smaller batch
/// and trapped).
@Test(arguments: [2, 3])
func threadedLikelihoodKeepsEachPointsCondition(threads: Int) throws {
  var rng = Xoshiro256(seed: 31)
  let encoding = ConditionEncoding(dimension: 1, hasMaskColumn: true)
  let network = MLP<Double>(
    configuration: MLPConfiguration(
      inputDimension: 2, conditionDimension: encoding.networkColumns,
      timeEmbedding: .gaussianFourier(frequencies: 3, scale: 4), width: 8, depth: 2),
    using: &rng)
  let x = Matrix<Double>.randomNormal(rows: 7, columns: 2, using: &rng)
  let conditions = Matrix<Double>.randomNormal(rows: 7, columns: 1, using: &rng)
  let process = VPSDE<Double>()
  let model = NetworkScoreModel(
    network: network, process: process, conditionEncoding: encoding, condition: .perRow(conditions))
  let likelihood = ProbabilityFlowLikelihood(
    process: process, score: model, integration: .rungeKutta4(steps: 10))
  let one = try likelihood.logLikelihood(of: x)
  let split = try likelihood.logLikelihood(of: x, threads: threads)
  let worst = zip(split.logLikelihoods, one.logLikelihoods).map { abs($0 - $1) }.max()!
  #expect(worst <= 1e-11, "\(threads) threads: \(worst)")
  for i in [0, 3, 6] {
    let alone = try ProbabilityFlowLikelihood(
      process: process, score: model.conditioned(on: conditions.row(i)), integration: .rungeKutta4(steps: 10)
    ).logLikelihood(of: x.rows(i..<(i + 1)))
    #expect(abs(alone.logLikelihoods[0] - split.logLikelihoods[i]) <= 1e-11, "row \(i)")
  }
}
