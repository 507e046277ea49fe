import Foundation
import ScoreSDE
import TestSupport
import Testing

/// Every tensor of a parameter group, for exact comparisons.
func tensors<P: ParameterGroup>(_ group: P) -> [Matrix<P.Scalar>] {
  (0..<group.tensorCount).map { group.tensor(at: $0) }
}

/// The sampler kinds with the steps each test run uses (few, to stay fast in debug builds).
let samplerKinds: [SamplerKind] = [
  .eulerMaruyama, .predictorCorrector, .probabilityFlow, .dpmSolver, .ancestral, .adaptive,
]

/// The shared model's sampler for `kind`.
func sampler(
  _ kind: SamplerKind, seed: UInt64 = 11, threads: Int = 1, batchSize: Int? = nil
) -> Sampler<StandardSDE<Double>, NetworkScoreModel<StandardSDE<Double>>> {
  var options = SamplingOptions<Double>(kind: kind, steps: 12, seed: seed)
  options.threads = threads
  options.batchSize = batchSize
  return Sampler(forward: sharedModel.sde, score: sharedModel.scoreModel(), options: options)
}

/// Training and sampling give bit-identical results for a seed, whatever the threads and batches.
@Suite struct DeterminismTests {
  /// Two training runs with one seed end with bit-identical parameters, EMA weights and loss.
  @Test func trainingWithASeedIsBitIdentical() throws {
    let a = try trainSmallModel(Float.self, steps: 15, seed: 5)
    let b = try trainSmallModel(Float.self, steps: 15, seed: 5)
    #expect(tensors(a.network.parameters) == tensors(b.network.parameters))
    #expect(
      try a.trainedModel().network.parameters.tensor(at: 0)
        == b.trainedModel().network.parameters.tensor(at: 0))
    #expect(a.completedSteps == b.completedSteps)
    let c = try trainSmallModel(Float.self, steps: 15, seed: 6)
    #expect(tensors(a.network.parameters) != tensors(c.network.parameters), "the seed matters")
  }

  /// The samples are the same bits with 1 and 2 threads for each batch size (1, 7, 1000 rows),
  /// and a run in two pieces (`firstRow`) gives the same rows as one run.
  @Test(arguments: samplerKinds)
  func samplingIsIndependentOfThreads(kind: SamplerKind) throws {
    let count = 60
    let reference = try sampler(kind).sample(count: count, dimension: 2).samples
    #expect(reference.nonFiniteReport() == nil)
    #expect(try sampler(kind, threads: 2).sample(count: count, dimension: 2).samples == reference)
    for batch in [1, 7, 1000] {
      let one = try sampler(kind, threads: 1, batchSize: batch).sample(count: count, dimension: 2).samples
      let two = try sampler(kind, threads: 2, batchSize: batch).sample(count: count, dimension: 2).samples
      #expect(one == two, "\(kind): batch \(batch)")
    }
    let head = try sampler(kind, batchSize: 25).sample(count: 25, dimension: 2).samples
    let tail = try sampler(kind, batchSize: 25).sample(count: count - 25, dimension: 2, firstRow: 25).samples
    let pieces = try sampler(kind, batchSize: 25).sample(count: count, dimension: 2).samples
    #expect(head == pieces.rows(0..<25) && tail == pieces.rows(25..<count), "\(kind)")
  }

  /// The fixed-step kinds (the adaptive solver controls its step on the whole batch's error, so
  /// its samples depend on the batch by design).
  static let fixedStepKinds = samplerKinds.filter { $0 != .adaptive }

  /// Across batch sizes the samples agree to rounding (relative distance ≤ 10⁻¹⁰ after 12 steps
  /// of a barely trained network); bit-identity is a known issue: OpenBLAS's `gemm` rounds a row
  /// differently depending on how many rows the product has (its small-matrix and edge
  /// kernels sum in another order), so a row sampled in a batch of 1 or 7 differs in the last
  /// bits from the same row in a batch of 60.
  @Test(arguments: fixedStepKinds)
  func samplingAcrossBatchSizesAgreesToRounding(kind: SamplerKind) throws {
    let count = 60
    let reference = try sampler(kind).sample(count: count, dimension: 2).samples
    for batch in [1, 7, 1000] {
      let samples = try sampler(kind, batchSize: batch).sample(count: count, dimension: 2).samples
      #expect(relativeDistance(samples, reference) <= 1e-10, "\(kind): batch \(batch)")
      withKnownIssue("gemm's rounding depends on the number of rows", isIntermittent: batch == 1000) {
        #expect(samples == reference, "\(kind): batch \(batch)")
      }
    }
  }
}
