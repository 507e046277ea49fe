import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// NFE and wall time versus sample quality: every sampler kind, each with the end time `ε` at
/// `1e-5` and `1e-3` and with and without Tweedie's final denoising step, scored by the sliced
/// 2-Wasserstein distance (128 fixed projections) to fresh samples of the truth. The floor is
/// SW₂ between two independent fresh sample sets of the same size.
///
/// Two targets: the exact score of a 3-component 2-D Gaussian mixture (`GaussianMixtureScore`,
/// VP-SDE, 20 000 samples), and, with `--model`, a model written by `score-sde train` on a
/// built-in density (`--data`, 10 000 samples by default), sampled in Float as `score-sde sample`
/// does and compared in the data's units.
struct QualityBenchmark {
  let threads: Int
  /// The trained model's file, or `nil` for the exact mixture.
  let modelPath: String?
  /// The built-in density the model was trained on.
  let dataName: String
  /// Samples per measurement (`nil`: 20 000 for the mixture, 10 000 for a model).
  let samples: Int?

  struct Row {
    var kind: String
    var steps: Int
    var smallTime: Double
    var denoise: Bool
    var evaluations: Int
    var distance: Double
    var seconds: Double

    var json: String {
      "{\"workload\": \"quality\", \"sampler\": \(quoted(kind)), \"steps\": \(steps), "
        + "\"small_time\": \(number(smallTime)), \"denoise\": \(denoise), \"nfe\": \(evaluations), "
        + "\"sliced_wasserstein\": \(number(distance)), \"seconds\": \(number(seconds))}"
    }
  }

  /// A sampler of the plan: a kind and its step counts.
  struct Plan {
    var label: String
    var kinds: [SamplerKind<Double>]
  }

  /// The (ε, denoise) pairs measured for every kind.
  static let ends: [(Double, Bool)] = [(1e-5, false), (1e-5, true), (1e-3, false), (1e-3, true)]

  /// The kinds and step counts: a few per kind, from a cheap count to the literature's default.
  static func plan(trained: Bool) -> [Plan] {
    let sde = trained ? [100, 250, 1000] : [50, 200, 1000]
    return [
      Plan(label: "em", kinds: sde.map { .eulerMaruyama(steps: $0) }),
      Plan(label: "ancestral", kinds: sde.map { .ancestral(steps: $0) }),
      Plan(
        label: "pc", kinds: (trained ? [50, 250] : [25, 100, 500]).map { .predictorCorrector(steps: $0) }),
      Plan(label: "euler", kinds: [50, 200].map { .probabilityFlow(.euler(steps: $0)) }),
      Plan(label: "heun", kinds: [10, 25, 100].map { .probabilityFlow(.heun(steps: $0)) }),
      Plan(label: "ode", kinds: [10, 25, 100].map { .probabilityFlow(.rungeKutta4(steps: $0)) }),
      Plan(label: "adaptive", kinds: [.adaptive]),
      Plan(label: "sra", kinds: (trained ? [25, 50, 250] : [10, 25, 100]).map { .sra(steps: $0) }),
      // One plan per tolerance, named by it: adaptive kinds have no step count to tell them apart.
      Plan(
        label: "adaptive-sde-0.1",
        kinds: [.adaptiveSDE(.jolicoeurMartineau(relativeTolerance: 0.1, absoluteTolerance: 0.05))]),
      Plan(
        label: "adaptive-sde-0.05",
        kinds: [.adaptiveSDE(.jolicoeurMartineau(relativeTolerance: 0.05, absoluteTolerance: 0.0078))]),
      Plan(
        label: "adaptive-sde-0.01",
        kinds: [.adaptiveSDE(.jolicoeurMartineau(relativeTolerance: 0.01, absoluteTolerance: 0.002))]),
      Plan(label: "dpm1", kinds: [5, 10, 20, 50].map { .dpmSolver(steps: $0, order: 1) }),
      Plan(label: "dpm2", kinds: [5, 10, 20, 50].map { .dpmSolver(steps: $0, order: 2) }),
      Plan(label: "dpm3", kinds: [5, 10, 20, 50].map { .dpmSolver(steps: $0, order: 3) }),
      Plan(label: "edm-heun", kinds: [5, 10, 25].map { .edmHeun(steps: $0) }),
      Plan(
        label: "edm-heun-churn",
        kinds: [10, 25, 50].map { .edmHeun(steps: $0, churn: ChurnOptions(churn: 10)) }),
      Plan(label: "euler-a", kinds: [10, 25, 50, 200].map { .eulerAncestral(steps: $0) }),
      Plan(label: "ddim", kinds: [10, 25, 50, 200].map { .ddim(steps: $0) }),
      Plan(label: "ddim-eta1", kinds: [10, 25, 50, 200].map { .ddim(steps: $0, eta: 1) }),
      Plan(label: "dpm-sde2", kinds: [5, 10, 20, 50].map { .dpmSolverSDE(steps: $0, order: 2) }),
      Plan(label: "dpm-sde3", kinds: [5, 10, 20, 50].map { .dpmSolverSDE(steps: $0, order: 3) }),
    ]
  }

  func run() throws -> (floor: Double, rows: [Row]) {
    if let modelPath { return try runTrained(modelPath) }
    let process = VPSDE<Double>(betaMin: 0.1, betaMax: 20)
    let (weights, means, deviations) = ([0.2, 0.3, 0.5], [[-2.0, 0], [2, 1], [0, -2]], [0.3, 0.5, 0.2])
    let oracle = try GaussianMixtureScore(
      weights: weights, means: means, standardDeviations: deviations, process: process)
    let count = samples ?? 20_000
    var rng = Xoshiro256(seed: 7)
    let exact = oracle.sample(count: count, using: &rng)
    let other = oracle.sample(count: count, using: &rng)
    let rows = try measure(process: process, score: oracle, reference: exact, plan: Self.plan(trained: false))
    {
      _ in
    }
    let cld = try criticallyDampedRows(
      weights: weights, means: means, standardDeviations: deviations, reference: exact)
    return (distance(exact, other), rows + cld)
  }

  /// The plan on a model file, in Float, compared in the data's units.
  func runTrained(_ path: String) throws -> (floor: Double, rows: [Row]) {
    let trained = try TrainedModel<MLP<Float>>.load(from: URL(fileURLWithPath: path))
    let truth = try DatasetRegistry.distribution(named: dataName)
    let count = samples ?? 10_000
    var rng = Xoshiro256(seed: 7)
    let fresh: Matrix<Double> = truth.sample(count: count, using: &rng)
    let other: Matrix<Double> = truth.sample(count: count, using: &rng)
    let rows = try measure(
      process: trained.sde, score: trained.scoreModel(), reference: fresh, plan: Self.plan(trained: true)
    ) { trained.toDataScale(&$0) }
    return (distance(fresh, other), rows)
  }

  /// Every kind of `plan` at every end of ``ends``: samples, mapped by `toData`, against
  /// `reference`.
  func measure<P: GaussianSDE, M: ScoreModel>(
    process: P, score: M, reference: Matrix<Double>, plan: [Plan], toData: (inout Matrix<P.Scalar>) -> Void
  ) throws -> [Row] where P.Scalar == M.Scalar {
    var rows: [Row] = []
    for entry in plan {
      for kind in entry.kinds {
        for (smallTime, denoise) in Self.ends {
          var options = SamplingOptions<P.Scalar>(kind: kind.converted(), seed: 11)
          options.smallTime = P.Scalar(smallTime)
          options.denoise = denoise
          options.threads = threads
          options.batchSize = (reference.rows + threads - 1) / threads
          let start = now()
          let result = try Sampler(process: process, score: score, options: options).sample(
            count: reference.rows, dimension: reference.columns)
          let seconds = now() - start
          var x = result.samples
          toData(&x)
          let samples = Matrix<Double>(
            rows: x.rows, columns: x.columns, elements: x.elements.map { Double($0) })
          rows.append(
            Row(
              kind: entry.label, steps: kind.steps ?? 0, smallTime: smallTime, denoise: denoise,
              evaluations: result.statistics.scoreEvaluations, distance: distance(samples, reference),
              seconds: seconds))
        }
      }
    }
    return rows
  }

  func distance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    var rng = Xoshiro256(seed: 99)
    return slicedWassersteinDistance(a, b, projections: 128, using: &rng)
  }
}

extension SamplerKind where Scalar == Double {
  /// The same kind in another precision (the plan is written once, in Double).
  func converted<S: BLASScalar>() -> SamplerKind<S> {
    switch self {
    case .eulerMaruyama(let steps, _): return .eulerMaruyama(steps: steps)
    case .ancestral(let steps, _): return .ancestral(steps: steps)
    case .predictorCorrector(let steps, _, _): return .predictorCorrector(steps: steps)
    case .probabilityFlow(.euler(let steps, _)): return .probabilityFlow(.euler(steps: steps))
    case .probabilityFlow(.heun(let steps, _)): return .probabilityFlow(.heun(steps: steps))
    case .probabilityFlow(.rungeKutta4(let steps, _)): return .probabilityFlow(.rungeKutta4(steps: steps))
    case .probabilityFlow(.adaptive): return .adaptive
    case .dpmSolver(let steps, let order, _): return .dpmSolver(steps: steps, order: order)
    case .edmHeun(let steps, _, let churn):
      return .edmHeun(
        steps: steps,
        churn: ChurnOptions(
          churn: S(churn.churn), minimumLevel: S(churn.minimumLevel), maximumLevel: S(churn.maximumLevel),
          noiseScale: S(churn.noiseScale)))
    case .eulerAncestral(let steps, let eta, _): return .eulerAncestral(steps: steps, eta: S(eta))
    case .ddim(let steps, let eta, _): return .ddim(steps: steps, eta: S(eta))
    case .dpmSolverSDE(let steps, let order, _): return .dpmSolverSDE(steps: steps, order: order)
    case .sra(let steps, _): return .sra(steps: steps)
    case .symmetricSplitting(let steps, _): return .symmetricSplitting(steps: steps)
    case .adaptiveSDE(let c):
      var controller = PIController<S>(
        relativeTolerance: S(c.relativeTolerance), absoluteTolerance: S(c.absoluteTolerance),
        initialStepSize: c.initialStepSize.map { S($0) }, maximumSteps: c.maximumSteps)
      (controller.safety, controller.integralExponent) = (S(c.safety), S(c.integralExponent))
      controller.proportionalExponent = S(c.proportionalExponent)
      (controller.minimumFactor, controller.maximumFactor) = (S(c.minimumFactor), S(c.maximumFactor))
      controller.norm = c.norm == .worstRow ? .worstRow : .rootMeanSquare
      controller.toleranceScale = c.toleranceScale == .sum ? .sum : .maximum
      return .adaptiveSDE(controller)
    }
  }
}
