import Foundation
import ScoreSDE
import TestSupport
import Testing

/// Every tensor of a parameter group, for exact comparisons.
func tensors<P: ParameterGroup>(_ group: P) -> [Matrix<P.Scalar>] {
  (0..<group.tensorCount).map { group.tensor(at: $0) }
}

/// The sampler kinds with the steps each test run uses (few, to stay fast in debug builds).
let samplerKinds: [SamplerName] = [
  .eulerMaruyama, .predictorCorrector, .probabilityFlow, .dpmSolver, .ancestral, .adaptive, .sra,
  .adaptiveSDE,
]

/// The shared model's sampler for `kind`.
func sampler(
  _ kind: SamplerName, seed: UInt64 = 11, threads: Int = 1, batchSize: Int? = nil
) -> Sampler<StandardSDE<Double>, MLPScoreModel<StandardSDE<Double>>> {
  var options = SamplingOptions<Double>(kind: SamplerKind(kind, steps: 12), seed: seed)
  options.threads = threads
  options.batchSize = batchSize
  return Sampler(process: sharedModel.sde, score: sharedModel.scoreModel(), options: options)
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
  func samplingIsIndependentOfThreads(kind: SamplerName) throws {
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

  /// The fixed-step kinds (the adaptive solvers control their step on the whole batch's error,
  /// so their samples depend on the batch by design).
  static let fixedStepKinds = samplerKinds.filter { $0 != .adaptive && $0 != .adaptiveSDE }

  /// Across batch sizes the samples are the same bits: the model sees only 256-row tiles with
  /// each sample at its global row (``RowTiledScore``), so no `gemm` rounds a row differently
  /// because of the batch it is in.
  @Test(arguments: fixedStepKinds)
  func samplingIsIndependentOfBatchSize(kind: SamplerName) throws {
    let count = 60
    let reference = try sampler(kind).sample(count: count, dimension: 2).samples
    for batch in [1, 7, 1000] {
      let samples = try sampler(kind, batchSize: batch).sample(count: count, dimension: 2).samples
      #expect(samples == reference, "\(kind): batch \(batch)")
    }
  }

  /// Without tiles a row evaluated alone agrees with the same row inside a 60-row product to
  /// rounding. Whether the last bits differ depends on the BLAS kernel, so it is not asserted:
  /// with OpenBLAS's Haswell kernels they do, which the tiles exist for; with its AVX-512 and
  /// Sandy Bridge kernels, this shape happened to round alike.
  @Test func untiledEvaluationAgreesToRounding() throws {
    let model = sharedModel.scoreModel()
    let x = gridPoints(60)
    let whole = model.score(x, at: 0.4)
    var alone = Matrix<Double>(rows: 60, columns: 2)
    for i in 0..<60 { alone.setRow(i, to: model.score(x.rows(i..<(i + 1)), at: 0.4).row(0)) }
    #expect(relativeDistance(alone, whole) <= 1e-13)
  }

  /// ``RowTiledScore`` gives the base model's values, and the same bits for a row whether it is
  /// evaluated in one call or in pieces that start anywhere, with tiles smaller or larger than
  /// the input.
  @Test(arguments: [1, 16, 256])
  func tiledEvaluationIsIndependentOfTheSplit(tileRows: Int) throws {
    let model = sharedModel.scoreModel()
    let x = gridPoints(60)
    let whole = RowTiledScore(base: model, tileRows: tileRows, firstRow: 0).score(x, at: 0.4)
    #expect(relativeDistance(whole, model.score(x, at: 0.4)) <= 1e-13)
    for cuts in [[0, 7, 30, 60], [0, 1, 2, 59, 60], [0, 17, 33, 49, 60]] {
      var pieces = Matrix<Double>(rows: 60, columns: 2)
      var workspace = RowTiledScore(base: model, tileRows: tileRows, firstRow: 0).makeWorkspace(rows: 1)
      for (a, b) in zip(cuts, cuts.dropFirst()) {
        let tiled = RowTiledScore(base: model, tileRows: tileRows, firstRow: a)
        var part = Matrix<Double>(rows: b - a, columns: 2)
        tiled.score(x.rows(a..<b), at: 0.4, into: &part, workspace: &workspace)
        for i in a..<b { pieces.setRow(i, to: part.row(i - a)) }
      }
      #expect(pieces == whole, "tiles of \(tileRows), cuts \(cuts)")
    }
  }
}

/// `n` distinct points on a line through the data's range.
func gridPoints(_ n: Int) -> Matrix<Double> {
  var elements: [Double] = []
  for i in 0..<n {
    let u = Double(i) / 20 - 1.5
    elements += [u, u + 0.3]
  }
  return Matrix(rows: n, columns: 2, elements: elements)
}
