import ArgumentParser
import Foundation
import ScoreSDE
import ScoreSDEMPI

extension TrainCommand {
  /// The points of the likelihood check.
  static let checkPoints = 64

  /// `--check`: rank 0 trains the same run in this one process with `threads = R` and requires
  /// the weights and the EMA to be bit-identical to the distributed run's; then every rank
  /// computes the log-likelihood of its block of 64 held-out points, rank 0 gathers them and
  /// requires them to equal the threaded likelihood's, bit for bit. Exits non-zero (every rank)
  /// on a difference.
  func checkAgainstOneProcess<D: DataDistribution>(
    _ distributed: Trainer<MLP<Float>, VPSDE<Float>, DistributionSource<D, Float>>, _ distribution: D,
    world: MPIWorld
  ) throws {
    let ranks = world.rankCount
    // The likelihood over the ranks: each rank integrates its own rows, keyed by their global index.
    var rng = Xoshiro256(seed: seed, stream: UInt64.max - 7)
    let data: Matrix<Float> = distribution.sample(count: Self.checkPoints, using: &rng)
    let likelihood = ProbabilityFlowLikelihood(
      process: distributed.objective.process, score: distributed.scoreModel, divergence: .exact,
      integration: .rungeKutta4(steps: 20))
    let rows = world.rowBlock(of: data.rows)
    let mine = try ProbabilityFlowLikelihood(
      process: likelihood.flow.process, score: distributed.scoreModel.restricted(toRows: rows),
      divergence: .exact,
      integration: .rungeKutta4(steps: 20)
    ).logLikelihood(of: data.rows(rows), firstRow: rows.lowerBound)
    let gathered = world.gatherRows(
      Matrix(rows: rows.count, columns: 1, elements: mine.logLikelihoods), totalRows: data.rows)

    var failures: [String] = []
    if world.rank == 0, let gathered {
      var single = try makeTrainer(distribution, threads: ranks)
      try single.train()
      func same<P: ParameterGroup>(_ a: P, _ b: P) -> Bool {
        (0..<a.tensorCount).allSatisfy { a.tensor(at: $0) == b.tensor(at: $0) }
      }
      let weights = same(distributed.network.parameters, single.network.parameters)
      let ema = same(distributed.averagedParameters, single.averagedParameters)
      print(
        "check: weights \(weights ? "bit-identical to" : "DIFFER from") one process with threads = \(ranks)")
      print("check: EMA weights \(ema ? "bit-identical" : "DIFFER")")
      if !weights { failures.append("weights") }
      if !ema { failures.append("EMA weights") }
      let threaded = try likelihood.logLikelihood(of: data, threads: ranks).logLikelihoods
      let equal = gathered.elements.map(\.bitPattern) == threaded.map(\.bitPattern)
      let mean = gathered.elements.reduce(0, +) / Float(data.rows)
      print(
        "check: log-likelihood of \(data.rows) points gathered from \(ranks) ranks (mean \(mean)) "
          + (equal ? "bit-identical to" : "DIFFERS from") + " the threaded one")
      if !equal { failures.append("gathered log-likelihoods") }
    }
    world.barrier()
    guard failures.isEmpty else {
      printError("check failed: " + failures.joined(separator: ", ") + " differ")
      world.abort(code: 1)
    }
  }
}
