import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// `score-sde train`: fit a score model to a built-in density or a data file.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train a score model on a built-in density or a .npy/.csv file.")

  @Option(help: "A built-in density (see `score-sde datasets`) or a .npy / .csv file of samples (rows).")
  var data: String

  @Option(help: "Where to write the model (.safetensors).")
  var out: String

  @Option(help: "The forward SDE: vp, cosine, subvp, ve or ou.")
  var sde: ProcessOption = .vp

  @Option(
    help: ArgumentHelp(
      "The network: mlp (hidden layers on [x, γ(t), c]) or resmlp (pre-LayerNorm residual blocks "
        + "with a time- and condition-dependent scale and shift). Recorded in the model file."))
  var architecture: ArchitectureOption = .mlp

  @Option(
    help: ArgumentHelp(
      "The loss: noise (ε-prediction, λ = σ², uniform times), edm (Karras et al. 2022: "
        + "preconditioned output, EDM weighting, log-normal noise levels) or likelihood (λ = g², "
        + "importance-sampled times). Recorded in the model file."))
  var objective: ObjectiveOption = .noise

  @Option(help: "Hidden width of the network.")
  var width: Int = 128

  @Option(help: "Number of hidden layers (mlp) or residual blocks (resmlp).")
  var depth: Int = 3

  @Option(help: "Training steps.")
  var steps: Int = 10_000

  @Option(help: "Batch size.")
  var batch: Int = 512

  @Option(name: .customLong("learning-rate"), help: "Adam's peak learning rate (warm-up, then cosine decay).")
  var learningRate: Double = 2e-3

  @Option(help: "Random seed: the same seed gives the same model.")
  var seed: UInt64 = 0

  @Option(
    name: .customLong("condition-columns"),
    help: "Comma-separated 0-based columns of a data file that are conditioning parameters, not data.")
  var conditionColumns: String?

  @Option(
    name: .customLong("condition-dropout"),
    help: "Probability of dropping the condition in training (enables --guidance when sampling).")
  var conditionDropout: Double = 0

  func validate() throws {
    guard width >= 1, depth >= 1 else { throw ValidationError("--width and --depth must be at least 1") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    let needed = architecture.trainingBytes(width: width, depth: depth, batch: batch)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    guard needed <= available else {
      throw ValidationError(
        "--width \(width) --depth \(depth) --batch \(batch) needs about \(byteText(needed)) for the "
          + "\(architecture.rawValue)'s weights and activations; this machine has \(byteText(available))")
    }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--learning-rate must be positive")
    }
    guard URL(fileURLWithPath: out).pathExtension == "safetensors" else {
      throw ValidationError("--out must name a .safetensors file, got '\(out)'")
    }
  }

  func run() throws {
    let input = DataInput(argument: data)
    var outputs = CommandOutputs(inputs: input.isFile ? [("--data", data)] : [])
    let modelFile = try outputs.add(out, option: "--out")
    let columns = try parseColumns(conditionColumns)
    let settings = TrainingSettings(
      process: sde.description, architecture: architecture, width: width, depth: depth,
      configuration: TrainingConfiguration(
        seed: seed, batchSize: batch, steps: steps, learningRate: learningRate,
        schedule: .warmupCosine(warmupSteps: min(500, steps / 10), minimum: learningRate / 20),
        loss: objective.loss, conditionDropout: conditionDropout),
      conditionColumns: columns)
    let summary: String
    switch architecture {
    case .mlp: summary = try train(MLP<Float>.self, settings: settings, to: modelFile)
    case .resmlp: summary = try train(ResidualMLP<Float>.self, settings: settings, to: modelFile)
    }
    try outputs.commit()
    print(summary)
  }

  /// Trains a `network`, writes the model into `file` and returns a summary to print once the
  /// file is in place.
  func train<Network: CommandLineNetwork>(
    _ network: Network.Type, settings: TrainingSettings, to file: OutputFile
  ) throws -> String where Network.Scalar == Float {
    let outcome = try ModelTraining.train(
      DataInput(argument: data), network: network, settings: settings, label: "train")
    try file.write([UInt8](outcome.model.fileContents))
    return
      (String(
        format: "trained %d steps in %.1f s (%.0f steps/s), final loss %.4f → %@", steps, outcome.seconds,
        outcome.stepsPerSecond, outcome.losses.last?.smoothed ?? .nan, out))
  }
}

/// `"2,3"` → `[2, 3]`, with a one-line error for anything else.
func parseColumns(_ text: String?) throws -> [Int] {
  guard let text, !text.isEmpty else { return [] }
  return try text.split(separator: ",").map { part in
    guard let c = Int(part.trimmingCharacters(in: .whitespaces)) else {
      throw ValidationError("--condition-columns: '\(part)' is not a column number")
    }
    return c
  }
}

/// `"1.5,2"` → `[1.5, 2]`, with a one-line error naming the option for anything else.
func parseValues(_ text: String, option: String) throws -> [Double] {
  try text.split(separator: ",").map { part in
    guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v.isFinite else {
      throw ValidationError("\(option): '\(part)' is not a finite number")
    }
    return v
  }
}
