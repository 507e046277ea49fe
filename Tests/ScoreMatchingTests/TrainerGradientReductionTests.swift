import Datasets
import DiffusionProcesses
import Dispatch
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// `R` ranks simulated in one process, one after the other: each trainer computes its share of
/// the step, the shares are concatenated in rank order (what an all-gather delivers) and every
/// trainer applies them. Returns the loss rank 0 reports.
@discardableResult
func simulatedDataParallelStep<N: ScoreNetwork, P: GaussianSDE, S: TrainingDataSource>(
  _ ranks: inout [Trainer<N, P, S>]
) throws -> P.Scalar {
  let count = ranks.count
  var gathered: [P.Scalar] = []
  for r in 0..<count { gathered += ranks[r].gradientContribution(rank: r, of: count) }
  var losses: [P.Scalar] = []
  for r in 0..<count { losses.append(try ranks[r].step(combining: gathered, rankCount: count)) }
  #expect(losses.allSatisfy { $0 == losses[0] }, "every rank computes the same loss")
  return losses[0]
}

/// Checks that two trainers hold the same weights, EMA, optimizer state and losses, bit for bit.
func expectBitIdentical<N: ScoreNetwork, P: GaussianSDE, S: TrainingDataSource>(
  _ a: Trainer<N, P, S>, _ b: Trainer<N, P, S>, _ label: String
) {
  #expect(tensors(a.network.parameters) == tensors(b.network.parameters), "weights: \(label)")
  #expect(tensors(a.averagedParameters) == tensors(b.averagedParameters), "EMA: \(label)")
  #expect(a.optimizerState == b.optimizerState, "optimizer state: \(label)")
  #expect(a.lastLoss.bitPattern == b.lastLoss.bitPattern, "loss \(a.lastLoss) vs \(b.lastLoss): \(label)")
  #expect(a.completedSteps == b.completedSteps)
}

/// `R` simulated ranks train exactly as one trainer with `threads = R`: the ranks' blocks are the
/// threads' blocks and the shares are summed in the same order, so the weights agree bit for bit
/// (even and uneven splits; a wrong block weight `m_r/n`, a rank's rows computed from another
/// batch or a sum in another order would change the last bits at least).
@Test(arguments: [(256, 2), (301, 3), (512, 4)])
func simulatedRanksTrainAsTheThreadedTrainer(batchSize: Int, ranks: Int) throws {
  var threaded = try checkerboardTrainer(batchSize: batchSize, threads: ranks, seed: 81)
  var simulated = try (0..<ranks).map { _ in
    try checkerboardTrainer(batchSize: batchSize, threads: 1, seed: 81)
  }
  for step in 1...4 {
    let expected = try threaded.step()
    let loss = try simulatedDataParallelStep(&simulated)
    #expect(loss.bitPattern == expected.bitPattern, "step \(step): loss \(loss) vs \(expected)")
    for r in 0..<ranks { expectBitIdentical(simulated[r], threaded, "rank \(r) after step \(step)") }
  }
  #expect(simulated[0].lastBatch.perturbed == threaded.lastBatch.perturbed, "every rank drew the whole batch")
  let fresh = try checkerboardTrainer(batchSize: batchSize, threads: 1, seed: 81)
  #expect(tensors(simulated[0].network.parameters) != tensors(fresh.network.parameters), "the steps moved")
}

/// Conditions, and the condition-dropout coins, travel with the rows: two ranks equal two threads.
@Test func simulatedRanksTrainConditionalModelsAsTheThreadedTrainer() throws {
  var threaded = try conditionalTrainer(batchSize: 200, threads: 2)
  var simulated = try (0..<2).map { _ in try conditionalTrainer(batchSize: 200, threads: 1) }
  for step in 1...3 {
    try threaded.step()
    try simulatedDataParallelStep(&simulated)
    for r in 0..<2 { expectBitIdentical(simulated[r], threaded, "rank \(r) after step \(step)") }
  }
}

/// The shares are weighted by their rows: handing the combination the ranks' shares in another
/// order (uneven blocks of 100, 100 and 101 rows) gives another step.
@Test func sharesInAnotherOrderGiveAnotherStep() throws {
  var a = try checkerboardTrainer(batchSize: 301, threads: 1, seed: 82)
  var b = try checkerboardTrainer(batchSize: 301, threads: 1, seed: 82)
  let shares = (0..<3).map { a.gradientContribution(rank: $0, of: 3) }
  let lossA = try a.step(combining: shares[0] + shares[1] + shares[2], rankCount: 3)
  let lossB = try b.step(combining: shares[2] + shares[1] + shares[0], rankCount: 3)
  #expect(lossA != lossB)
  #expect(tensors(a.network.parameters) != tensors(b.network.parameters))
}

/// The contribution's layout: the block's gradient tensors in order, then the block's loss, which
/// is the mean over its rows (the two halves' losses average to the step's loss to rounding).
@Test func aContributionIsTheBlocksGradientThenItsLoss() throws {
  var trainer = try checkerboardTrainer(batchSize: 256, threads: 1, seed: 83)
  let first = trainer.gradientContribution(rank: 0, of: 2)
  let second = trainer.gradientContribution(rank: 1, of: 2)
  let width = trainer.gradientContributionCount
  #expect(first.count == width && second.count == width)
  #expect(width == trainer.network.parameters.scalarCount + 1)
  var whole = trainer
  let loss = try whole.step()
  #expect(abs((first[width - 1] + second[width - 1]) / 2 - loss) <= 1e-12 * abs(loss))
  let flat = (0..<whole.lastGradients.tensorCount).flatMap { whole.lastGradients.tensor(at: $0).elements }
  let halves = zip(first.dropLast(), second.dropLast()).map { ($0 + $1) / 2 }
  let scale = flat.map(abs).max()!
  #expect(zip(halves, flat).allSatisfy { abs($0 - $1) <= 1e-12 * scale })
  #expect(trainer.completedSteps == 0, "a contribution does not step")
}

/// Ranks that are threads sharing memory: an all-gather through a barrier.
final class SharedMemoryExchange: @unchecked Sendable {
  let rankCount: Int
  private let condition = NSCondition()
  private var slots: [Any?]
  private var arrived = 0
  private var round = 0
  private var published: [Any] = []

  init(rankCount: Int) {
    self.rankCount = rankCount
    slots = Array(repeating: nil, count: rankCount)
  }

  /// Waits until every rank has handed in its values, then returns them all in rank order.
  func allGather<Scalar>(rank: Int, _ values: [Scalar]) -> [Scalar] {
    condition.lock()
    defer { condition.unlock() }
    let mine = round
    slots[rank] = values
    arrived += 1
    if arrived == rankCount {
      published = slots.map { $0! }
      slots = Array(repeating: nil, count: rankCount)
      arrived = 0
      round += 1
      condition.broadcast()
    } else {
      while round == mine { condition.wait() }
    }
    return published.flatMap { $0 as! [Scalar] }
  }
}

/// One thread's view of a ``SharedMemoryExchange``.
struct SharedMemoryReducer: GradientReducer {
  let exchange: SharedMemoryExchange
  let rank: Int
  var rankCount: Int { exchange.rankCount }

  func allGather<Scalar: BLASScalar>(_ contribution: [Scalar], into gathered: inout [Scalar]) {
    gathered = exchange.allGather(rank: rank, contribution)
  }
}

/// `step(distributedOver:)` on two concurrent threads, each a rank with its own trainer, ends
/// where the threaded trainer does, bit for bit.
@Test func ranksOnThreadsTrainAsTheThreadedTrainer() throws {
  var threaded = try checkerboardTrainer(batchSize: 256, threads: 2, seed: 84)
  try threaded.train(until: 5)
  let exchange = SharedMemoryExchange(rankCount: 2)
  let results = Results()
  let done = DispatchGroup()
  for r in 0..<2 {
    done.enter()
    let thread = Thread {
      var trainer = try! checkerboardTrainer(batchSize: 256, threads: 1, seed: 84)
      let reducer = SharedMemoryReducer(exchange: exchange, rank: r)
      for _ in 0..<5 { try! trainer.step(distributedOver: reducer) }
      results.set(r, trainer)
      done.leave()
    }
    thread.start()
  }
  done.wait()
  for r in 0..<2 { expectBitIdentical(results.get(r), threaded, "rank \(r)") }
}

/// The trainers the rank threads hand back.
final class Results: @unchecked Sendable {
  typealias CheckerboardTrainer = Trainer<
    MLP<Double>, VPSDE<Double>, DistributionSource<Checkerboard, Double>
  >
  private let lock = NSLock()
  private var trainers: [Int: CheckerboardTrainer] = [:]
  func set(_ rank: Int, _ trainer: CheckerboardTrainer) { lock.withLock { trainers[rank] = trainer } }
  func get(_ rank: Int) -> CheckerboardTrainer { lock.withLock { trainers[rank]! } }
}

/// More ranks than rows is a programmer error.
@Test func moreRanksThanRowsIsRefused() async {
  await #expect(processExitsWith: .failure) {
    var trainer = try! checkerboardTrainer(batchSize: 4, threads: 1)
    _ = trainer.gradientContribution(rank: 0, of: 5)
  }
}

/// Contributions of the wrong length are a programmer error.
@Test func contributionsOfTheWrongLengthAreRefused() async {
  await #expect(processExitsWith: .failure) {
    var trainer = try! checkerboardTrainer(batchSize: 16, threads: 1)
    _ = try? trainer.step(combining: [0, 1, 2], rankCount: 2)
  }
}
