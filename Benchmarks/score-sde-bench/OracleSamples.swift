import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers

/// The ScoreSDE half of `Benchmarks/kdiffusion_compare.py`: samples of an isotropic
/// Gaussian mixture drawn by each sampler through its exact score (`GaussianMixtureScore`), at
/// the largest step count whose score evaluations fit each budget, written as `.npy` files for
/// the script to score with the same metric as k-diffusion's samples.
///
/// The plan is a JSON file the script writes:
///
///     {"weights": [...], "means": [[...], ...], "standard_deviations": [...],
///      "process": "vp" | "subvp" | "ve", "samples": 20000, "seeds": [1, 2, 3],
///      "budgets": [5, 10, 20], "samplers": [{"name": "dpm", "order": 3}, {"name": "heun"}],
///      "out": "/tmp/folder"}
///
/// A sampler's `name` is a `score-sde sample --sampler` name; `order` applies to `dpm` and `dpm-sde`. One JSON
/// line per run goes to standard output: label, budget, steps, NFE (counted by ``Sampler``,
/// final denoising included), seconds and the file.
struct OracleSamples {
  struct Plan: Decodable {
    struct SamplerSpec: Decodable {
      var name: String
      var order: Int?
    }
    var weights: [Double]
    var means: [[Double]]
    var standard_deviations: [Double]
    var process: String
    var samples: Int
    var seeds: [UInt64]
    var budgets: [Int]
    var samplers: [SamplerSpec]
    var out: String
  }

  let threads: Int
  let planPath: String

  func run() throws {
    let plan = try JSONDecoder().decode(Plan.self, from: Data(contentsOf: URL(fileURLWithPath: planPath)))
    switch plan.process {
    case "vp": try run(plan, process: VPSDE<Double>())
    case "subvp": try run(plan, process: SubVPSDE<Double>())
    case "ve": try run(plan, process: VESDE<Double>(sigmaMin: 0.01, sigmaMax: 80))
    default: throw ValidationFailure("process \(plan.process): expected vp, subvp or ve")
    }
  }

  func run<P: GaussianSDE>(_ plan: Plan, process: P) throws where P.Scalar == Double {
    let oracle = try GaussianMixtureScore(
      weights: plan.weights, means: plan.means, standardDeviations: plan.standard_deviations, process: process
    )
    let dimension = plan.means[0].count
    for spec in plan.samplers {
      guard let name = SamplerName(rawValue: spec.name) else {
        throw ValidationFailure("sampler \(spec.name): not a --sampler name")
      }
      let label = spec.order.map { "\(spec.name)\($0)" } ?? spec.name
      for budget in plan.budgets {
        guard
          let kind = try largestKind(
            name, order: spec.order, within: budget, process: process, oracle: oracle)
        else { continue }
        for seed in plan.seeds {
          var options = SamplingOptions<Double>(kind: kind, seed: seed)
          options.threads = threads
          options.batchSize = (plan.samples + threads - 1) / threads
          let start = now()
          let result = try Sampler(process: process, score: oracle, options: options).sample(
            count: plan.samples, dimension: dimension)
          let seconds = now() - start
          let file = URL(fileURLWithPath: plan.out).appendingPathComponent("\(label)-B\(budget)-s\(seed).npy")
          try NumPyFile.write(result.samples, to: file)  // Double samples
          print(
            "{\"label\": \(quoted(label)), \"budget\": \(budget), \"steps\": \(kind.steps ?? 0), "
              + "\"nfe\": \(result.statistics.scoreEvaluations), \"seed\": \(seed), "
              + "\"seconds\": \(number(seconds)), \"file\": \(quoted(file.path))}")
        }
      }
    }
  }

  /// The kind `name` with the most steps whose run costs at most `budget` score evaluations
  /// (measured on one row), or `nil` when even one step costs more.
  func largestKind<P: GaussianSDE>(
    _ name: SamplerName, order: Int?, within budget: Int, process: P, oracle: GaussianMixtureScore<P>
  ) throws -> SamplerKind<Double>? where P.Scalar == Double {
    var steps = budget
    while steps >= 1 {
      var kind = SamplerKind<Double>(name, steps: steps)
      if let order {
        if case .dpmSolver(let s, _, let spacing) = kind {
          kind = .dpmSolver(steps: s, order: order, spacing: spacing)
        }
        if case .dpmSolverSDE(let s, _, let spacing) = kind {
          kind = .dpmSolverSDE(steps: s, order: order, spacing: spacing)
        }
      }
      let probe = try Sampler(process: process, score: oracle, options: SamplingOptions(kind: kind, seed: 0))
        .sample(count: 1, dimension: oracle.dimension)
      if probe.statistics.scoreEvaluations <= budget { return kind }
      if kind.steps == nil { return nil }
      steps -= 1
    }
    return nil
  }
}

/// A plan that cannot be run, in words.
struct ValidationFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
