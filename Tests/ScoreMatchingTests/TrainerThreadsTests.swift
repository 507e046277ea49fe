import Datasets
import DiffusionProcesses
import Dispatch
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A Double trainer on the checkerboard with `batchSize` rows per step and `threads` threads.
func checkerboardTrainer(
  batchSize: Int, threads: Int, seed: UInt64 = 71, optimizer: OptimizerKind = .adam
) throws -> Trainer<MLP<Double>, VPSDE<Double>, DistributionSource<Checkerboard, Double>> {
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(width: 16),
    source: DistributionSource<Checkerboard, Double>(Checkerboard()),
    configuration: TrainingConfiguration(seed: seed, batchSize: batchSize, optimizer: optimizer))
  trainer.threads = threads
  return trainer
}

/// A Double trainer on rings with their radius as the condition, dropped with probability 0.3.
///
/// The source's name is longer than 15 bytes, so it is a heap string, not a small (tagged)
/// one: under ``AllocationCounter``'s hook a threaded step of a source named "training data"
/// crashes (SIGSEGV), as the counter's caveat on small strings warns.
func conditionalTrainer(
  batchSize: Int, threads: Int
) throws -> Trainer<MLP<Double>, VPSDE<Double>, DatasetSource<Double>> {
  let source = try DatasetSource(
    ringData(rows: 400, seed: 72), conditioningColumns: 1, order: .withReplacement,
    source: "rings with their radius")
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 2, width: 16), source: source,
    configuration: TrainingConfiguration(seed: 73, batchSize: batchSize, conditionDropout: 0.3),
    standardizer: try source.fitStandardizer())
  trainer.threads = threads
  return trainer
}

/// The largest relative distance `‖a − b‖_F / ‖b‖_F` over the tensors of two groups.
func largestRelativeDistance<P: ParameterGroup>(_ a: P, _ b: P) -> P.Scalar {
  zip(tensors(a), tensors(b)).map { relativeDistance($0, $1) }.max()!
}

/// Checks that one step of `threaded` equals one step of `single` (threads 1): the same batch and
/// conditions bit for bit (the draws come before the split), and the loss and every gradient
/// tensor to 10⁻¹² relative. The block sums regroup the row sums of `n ≤ 512` Double terms, whose
/// rounding differences are ~n·u ≈ 10⁻¹³ at worst; a wrong block weight `m_b/n` (such as `1/B`
/// on an uneven split) or a missing block would be off by ~10⁻³ or more.
func expectSameStep<P: GaussianSDE<Double>, S: TrainingDataSource<Double>>(
  _ single: inout Trainer<MLP<P.Scalar>, P, S>, _ threaded: inout Trainer<MLP<P.Scalar>, P, S>
) throws {
  let loss1 = try single.step()
  let loss2 = try threaded.step()
  #expect(threaded.lastBatch.perturbed == single.lastBatch.perturbed)
  #expect(threaded.lastBatch.times == single.lastBatch.times)
  #expect(threaded.lastConditions == single.lastConditions)
  #expect(abs(loss2 - loss1) <= 1e-12 * abs(loss1), "loss \(loss2) vs \(loss1)")
  #expect(threaded.lastLoss == Double(loss2))
  for k in 0..<single.lastGradients.tensorCount {
    let (g1, g2) = (single.lastGradients.tensor(at: k), threaded.lastGradients.tensor(at: k))
    #expect(relativeDistance(g2, g1) <= 1e-12, "\(single.lastGradients.tensorName(at: k))")
  }
  #expect(single.lastGradients.squaredNorm() > 0)
}

/// Row blocks give the one-pass loss and gradient, for even and uneven splits.
@Test(arguments: [(256, 2), (301, 2), (301, 3), (512, 4), (200, 8)])
func threadedStepMatchesTheSinglePass(batchSize: Int, threads: Int) throws {
  var single = try checkerboardTrainer(batchSize: batchSize, threads: 1)
  var threaded = try checkerboardTrainer(batchSize: batchSize, threads: threads)
  try expectSameStep(&single, &threaded)
  // The second step reuses the blocks' buffers, on weights the first step moved.
  try expectSameStep(&single, &threaded)
}

/// Conditions (with dropped rows) are split with their rows.
@Test(arguments: [2, 3])
func threadedConditionalStepMatchesTheSinglePass(threads: Int) throws {
  var single = try conditionalTrainer(batchSize: 200, threads: 1)
  var threaded = try conditionalTrainer(batchSize: 200, threads: threads)
  try expectSameStep(&single, &threaded)
  let c = threaded.lastConditions!
  #expect(
    (0..<200).contains { c[$0, 1] == 0 } && (0..<200).contains { c[$0, 1] == 1 }, "some dropped, some kept")
}

/// A batch under 2·64 rows is not split: the step is the one-pass step, bit for bit.
@Test func smallBatchesAreNotSplit() throws {
  var single = try checkerboardTrainer(batchSize: 127, threads: 1)
  var threaded = try checkerboardTrainer(batchSize: 127, threads: 4)
  for _ in 0..<2 {
    #expect(try single.step().bitPattern == threaded.step().bitPattern)
    #expect(tensors(threaded.lastGradients) == tensors(single.lastGradients))
    #expect(tensors(threaded.network.parameters) == tensors(single.network.parameters))
  }
}

/// Two threaded runs with one seed are bit-identical: weights, EMA, optimizer state and loss.
@Test func threadedTrainingIsBitIdenticalRunToRun() throws {
  func run() throws -> Trainer<MLP<Double>, VPSDE<Double>, DistributionSource<Checkerboard, Double>> {
    var trainer = try checkerboardTrainer(batchSize: 200, threads: 2, seed: 74)
    try trainer.train(until: 10)
    return trainer
  }
  let (a, b) = (try run(), try run())
  #expect(tensors(a.network.parameters) == tensors(b.network.parameters))
  #expect(tensors(a.averagedParameters) == tensors(b.averagedParameters))
  #expect(a.optimizerState == b.optimizerState)
  #expect(
    a.lastLoss.bitPattern == b.lastLoss.bitPattern && a.smoothedLoss.bitPattern == b.smoothedLoss.bitPattern)
  let fresh = try checkerboardTrainer(batchSize: 200, threads: 2, seed: 74)
  #expect(tensors(a.network.parameters) != tensors(fresh.network.parameters), "training moved the weights")
}

/// Twenty Adam steps with 2 threads end where twenty one-pass steps do, to rounding.
///
/// Each step's gradient differs from the one-pass gradient by ~10⁻¹⁵ relative (the same row
/// terms summed in another grouping, n = 256, in Double). Adam's update `η m̂/(√v̂ + ε)` is
/// invariant to the gradient's scale and only perturbed by those relative differences, and
/// 20 steps of rate 10⁻³ move the weights too little to amplify them (the loss surface's
/// curvature times the displacement is ≪ 1), so the weights agree to a few ulps (measured:
/// ~10⁻¹⁶ relative). The bound 10⁻¹³ leaves three decades of room, while a wrong block weight
/// or a dropped block changes the gradient by ~10⁻² and the weights by ≳10⁻⁵ relative.
@Test func threadedTrainingFollowsTheSinglePassRun() throws {
  var single = try checkerboardTrainer(batchSize: 256, threads: 1, seed: 75)
  var threaded = try checkerboardTrainer(batchSize: 256, threads: 2, seed: 75)
  try single.train(until: 20)
  try threaded.train(until: 20)
  let distance = largestRelativeDistance(threaded.network.parameters, single.network.parameters)
  #expect(distance <= 1e-13, "\(distance)")
  #expect(
    tensors(threaded.network.parameters) != tensors(single.network.parameters), "summed in another order")
  let averaged = largestRelativeDistance(threaded.averagedParameters, single.averagedParameters)
  #expect(averaged <= 1e-13, "EMA \(averaged)")
}

/// After warm-up a threaded step allocates nothing on the calling thread beyond what
/// `DispatchQueue.concurrentPerform` itself allocates per call (it bridges the closure to a
/// block on the heap), measured here on an empty call.
@Test func threadedStepsAllocateNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var trainer = try! conditionalTrainer(batchSize: 200, threads: 3)
    try! trainer.step()
    try! trainer.step()
    let steps = AllocationCounter.count {
      for _ in 0..<3 { try! trainer.step() }
    }
    let dispatch = AllocationCounter.count {
      DispatchQueue.concurrentPerform(iterations: 3) { _ in }
    }
    _exit(Int32(min(abs(steps - 3 * dispatch), 100)))
  }
}

/// `threads` below 1 is a programmer error.
@Test func zeroThreadsIsRefused() async {
  await #expect(processExitsWith: .failure) {
    var trainer = try! checkerboardTrainer(batchSize: 16, threads: 1)
    trainer.threads = 0
  }
}
