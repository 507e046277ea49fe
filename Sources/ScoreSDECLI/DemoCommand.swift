import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `score-sde demo`: the whole pipeline on the built-in checkerboard, with every result checked
/// against the truth: train, sample, score samples against fresh data, evaluate exact NLL.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Train on the 2-D checkerboard, sample, evaluate, and write the model, samples and plots.")

  @Option(help: "The folder for the model, samples and plots (created if missing).")
  var out: String = "score-sde-demo"

  @Option(help: "Training steps.")
  var steps: Int = 16_000

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  @Option(help: "Samples drawn for each comparison with fresh data.")
  var samples: Int = 10_000

  func validate() throws {
    guard steps >= 10 else { throw ValidationError("--steps must be at least 10") }
    guard samples >= 10 else { throw ValidationError("--samples must be at least 10") }
  }

  func run() throws {
    let folder = URL(fileURLWithPath: out, isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      // Say why in words: the check of a file inside it names the folder at fault.
      do {
        try OutputFile.check(path: folder.appendingPathComponent("model.safetensors").path)
      } catch {
        throw CLIError("--out \(out): cannot create the folder: \(error.reason)")
      }
      throw CLIError("--out \(out): cannot create the folder")
    }
    var outputs = CommandOutputs()
    func output(_ name: String) throws -> OutputFile {
      try outputs.add(folder.appendingPathComponent(name).path, option: "--out")
    }
    let (modelFile, samplesFile, samplesPlot, qualityPlot, lossPlot) = (
      try output("model.safetensors"), try output("samples.npy"), try output("samples.svg"),
      try output("quality.svg"), try output("loss.svg")
    )
    let started = Date()
    let checkerboard = Checkerboard()
    print("Training a score model on the 2-D checkerboard (VP SDE, MLP 128×3, batch 512, \(steps) steps)")
    let settings = TrainingSettings(
      process: ProcessOption.vp.description, width: 128, depth: 3,
      configuration: TrainingConfiguration(
        seed: seed, batchSize: 512, steps: steps, learningRate: 2e-3,
        schedule: .warmupCosine(warmupSteps: min(500, steps / 10), minimum: 1e-4)))
    let outcome = try ModelTraining.train(
      distribution: checkerboard, network: MLP<Float>.self, settings: settings, label: "train ",
      name: "checkerboard")
    let trained = outcome.model
    try modelFile.write([UInt8](trained.fileContents))
    try modelFile.flush()
    print(
      String(
        format: "  %.1f s, %.0f steps/s, final loss %.4f", outcome.seconds, outcome.stepsPerSecond,
        outcome.losses.last?.smoothed ?? .nan))

    // Samples and their distance to fresh data, beside the distance between fresh data sets of
    // the same size (the floor any sampler can reach; the mean of three such distances).
    let n = samples
    var rng = Xoshiro256(seed: seed &+ 100)
    let reference: Matrix<Float> = checkerboard.sample(count: n, using: &rng)
    // `score-sde sample`'s default: 20 steps of third-order DPM-Solver++ to ε = 1e-3.
    let (generated, _) = try sample(
      trained, kind: .dpmSolver(steps: 20, order: SampleCommand.defaultOrder(guided: false)), count: n)
    let swModel = distance(generated, reference)
    var swData = 0.0
    for _ in 0..<3 { swData += distance(checkerboard.sample(count: n, using: &rng), reference) / 3 }
    try samplesFile.write(NumPyFile.encode(generated))
    try samplesPlot.write(
      Plots.scatter(samples: generated, over: reference, title: "Checkerboard: samples over data").rendered)

    // Exact NLL of held-out points through the probability-flow ODE; the true density is
    // uniform on 8 squares of area 4, so the data's own NLL is log 32.
    let heldOut: Matrix<Double> = checkerboard.sample(count: min(1000, n), using: &rng)
    // The model as written (read back before it is put in place), in Double.
    let trainedDouble = try TrainedModel<MLP<Double>>.load(
      from: URL(fileURLWithPath: modelFile.temporaryPath))
    let nll = try NLLCommand.negativeLogLikelihoods(
      of: heldOut, under: trainedDouble, integration: .rungeKutta4(steps: 50), source: "held-out checkerboard"
    )
    let summary = NegativeLogLikelihood(logDensities: nll.map { -$0 })

    // Quality against cost for three samplers.
    var curves: [(sampler: String, points: [(nfe: Int, distance: Double)])] = []
    for (kind, stepCounts) in [
      (SamplerName.eulerMaruyama, [25, 50, 100, 200, 500]), (.dpmSolver, [5, 10, 20, 40]),
      (.probabilityFlow, [10, 25, 50, 100]),
    ] {
      var points: [(nfe: Int, distance: Double)] = []
      for s in stepCounts {
        let (x, nfe) = try sample(trained, kind: SamplerKind(kind, steps: s), count: n)
        points.append((nfe: nfe, distance: distance(x, reference)))
      }
      curves.append((sampler: kind.rawValue, points: points))
    }
    try qualityPlot.write(Plots.qualityVersusNFE(curves).rendered)
    try lossPlot.write(
      Plots.lossCurve(
        steps: outcome.losses.map(\.step), losses: outcome.losses.map(\.loss),
        smoothed: outcome.losses.map(\.smoothed)
      ).rendered)
    try outputs.commit()

    print("")
    print(String(format: "sliced Wasserstein distance, samples vs fresh data:   %.4f", swModel))
    print(
      String(
        format: "sliced Wasserstein distance, data vs fresh data:      %.4f  (the floor for %d points)",
        swData, n))
    print(
      String(
        format: "mean NLL of %d held-out points:  %.3f ± %.3f nats   (exact: log 32 = %.3f)", heldOut.rows,
        summary.mean,
        summary.standardError, Double.log(32.0)))
    print("quality vs score evaluations (sliced Wasserstein, \(n) samples; the floor as above):")
    for c in curves {
      print(
        "  \(c.sampler.padding(toLength: 4, withPad: " ", startingAt: 0))"
          + c.points.map { String(format: "  %d→%.3f", $0.nfe, $0.distance) }.joined())
    }
    print("")
    print("wrote \(out)/model.safetensors, samples.npy, samples.svg, loss.svg, quality.svg")
    print(String(format: "done in %.0f s", Date().timeIntervalSince(started)))
  }

  /// The sliced 2-Wasserstein distance with 256 fixed projections.
  func distance(_ x: Matrix<Float>, _ y: Matrix<Float>) -> Double {
    var directions = Xoshiro256(seed: 7)
    return slicedWassersteinDistance(x, y, projections: 256, using: &directions)
  }

  /// `count` samples in the data's units, and the score evaluations each took.
  func sample(_ trained: TrainedModel<MLP<Float>>, kind: SamplerKind<Float>, count: Int) throws -> (
    Matrix<Float>, Int
  ) {
    // The kind's own end time and denoising (ε = 1e-3; a Tweedie step after em).
    var options = SamplingOptions<Float>(kind: kind, seed: seed &+ 200)
    options.threads = Workers.count
    options.batchSize = Workers.samplingBatch
    let run = try Sampler(process: trained.sde, score: trained.scoreModel(), options: options)
      .sample(count: count, dimension: trained.dimension)
    var result = run.samples
    trained.toDataScale(&result)
    guard result.isFinite else {
      throw CLIError("sampling with \(kind.name.rawValue) produced non-finite values")
    }
    return (result, run.statistics.scoreEvaluations)
  }
}
