import Foundation
import ScoreSDE
import Testing

/// Public types are `Sendable`, and one model serves several concurrent samplers.
@Suite struct ConcurrencyTests {
  /// The types that cross tasks in practice (models, samplers, trainers, files, errors).
  @Test func importantPublicTypesAreSendable() {
    requireSendable(Matrix<Double>.self)
    requireSendable(Xoshiro256.self)
    requireSendable(MLP<Float>.self)
    requireSendable(NamedTensors<Double>.self)
    requireSendable(TrainedModel<MLP<Double>>.self)
    requireSendable(MLPScoreModel<StandardSDE<Double>>.self)
    requireSendable(Sampler<StandardSDE<Double>, MLPScoreModel<StandardSDE<Double>>>.self)
    requireSendable(SamplingOptions<Float>.self)
    requireSendable(SamplingResult<Double>.self)
    requireSendable(ProbabilityFlowLikelihood<VPSDE<Double>, GaussianMixtureScore<VPSDE<Double>>>.self)
    requireSendable(Trainer<MLP<Double>, VPSDE<Double>, DatasetSource<Double>>.self)
    requireSendable(TrainingConfiguration.self)
    requireSendable(CSVTable<Float>.self)
    requireSendable(FileFormatError.self)
    requireSendable(SafeTensorsError.self)
    requireSendable(ModelFileError.self)
    requireSendable(SamplingError.self)
    requireSendable(TrainingError.self)
    requireSendable(DataError.self)
    requireSendable(SVGDocument.self)
  }

  /// Four tasks sampling at once with one shared `NetworkScoreModel` and different seeds give
  /// the bits that the same runs give one after another, for each sampler kind.
  @Test(arguments: [SamplerName.eulerMaruyama, .predictorCorrector, .probabilityFlow, .ancestral])
  func concurrentSamplersOnOneModelMatchSequentialRuns(kind: SamplerName) async throws {
    let model = sharedModel.scoreModel()
    let forward = sharedModel.sde
    let seeds: [UInt64] = [1, 2, 3, 4]
    func run(_ seed: UInt64) throws -> Matrix<Double> {
      var options = SamplingOptions<Double>(kind: SamplerKind(kind, steps: 12), seed: seed)
      options.threads = 2
      options.batchSize = 16
      return try Sampler(process: forward, score: model, options: options).sample(count: 48, dimension: 2)
        .samples
    }
    let sequential = try seeds.map(run)
    let concurrent = try await withThrowingTaskGroup(of: (Int, Matrix<Double>).self) { group in
      for (k, seed) in seeds.enumerated() {
        group.addTask { (k, try run(seed)) }
      }
      var results = [Matrix<Double>?](repeating: nil, count: seeds.count)
      for try await (k, samples) in group { results[k] = samples }
      return results
    }
    for k in seeds.indices {
      #expect(concurrent[k] == sequential[k], "\(kind), seed \(seeds[k])")
    }
    #expect(sequential[0] != sequential[1], "the seeds matter")
  }
}
