import Datasets
import DiffusionProcesses
import LinearAlgebra
import Samplers

/// NFE versus sample quality: every sampler kind on the exact score of a 2-D Gaussian mixture
/// (`GaussianMixtureScore`, VP-SDE), scored by the sliced 2-Wasserstein distance to exact
/// samples of the mixture. The floor is SW₂ between two independent exact sample sets.
struct QualityBenchmark {
  let threads: Int
  let count = 20_000

  struct Row {
    var kind: String
    var steps: Int
    var evaluations: Int
    var distance: Double
    var seconds: Double

    var json: String {
      "{\"workload\": \"quality\", \"sampler\": \(quoted(kind)), \"steps\": \(steps), \"nfe\": \(evaluations), "
        + "\"sliced_wasserstein\": \(number(distance)), \"seconds\": \(number(seconds))}"
    }
  }

  func run() throws -> (floor: Double, rows: [Row]) {
    let process = VPSDE<Double>(betaMin: 0.1, betaMax: 20)
    let oracle = try GaussianMixtureScore(
      weights: [0.2, 0.3, 0.5], means: [[-2, 0], [2, 1], [0, -2]], standardDeviations: [0.3, 0.5, 0.2],
      process: process)
    var rng = Xoshiro256(seed: 7)
    let exact = oracle.sample(count: count, using: &rng)
    let other = oracle.sample(count: count, using: &rng)
    let floor = distance(exact, other)
    let plan: [(SamplerName, [Int])] = [
      (.eulerMaruyama, [50, 200, 1000]), (.ancestral, [50, 200, 1000]),
      (.predictorCorrector, [25, 100, 500]),
      (.probabilityFlow, [10, 25, 100]), (.dpmSolver, [5, 10, 20]), (.adaptive, [0]),
    ]
    var rows: [Row] = []
    for (kind, stepCounts) in plan {
      for steps in stepCounts {
        var options = SamplingOptions<Double>(kind: SamplerKind(kind, steps: steps), seed: 11)
        options.threads = threads
        options.batchSize = (count + threads - 1) / threads
        let start = now()
        let result = try Sampler(process: process, score: oracle, options: options).sample(
          count: count, dimension: 2)
        rows.append(
          Row(
            kind: kind.rawValue, steps: steps, evaluations: result.statistics.scoreEvaluations,
            distance: distance(result.samples, exact), seconds: now() - start))
      }
    }
    return (floor, rows)
  }

  private func distance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    var rng = Xoshiro256(seed: 99)
    return slicedWassersteinDistance(a, b, projections: 128, using: &rng)
  }
}
