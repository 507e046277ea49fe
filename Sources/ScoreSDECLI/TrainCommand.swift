import ArgumentParser
import Datasets
import DiffusionProcesses
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

  @Option(
    help: ArgumentHelp(
      "The forward SDE: vp, cosine, subvp, ve, ou, linear (dX = β(F X + c) dt + √β L dW, β ∈ [0.1, 20]; "
        + "needs --drift and --noise) or cld (critically-damped Langevin on (x, v), M = 0.25, γ = 0.04, β = 4; "
        + "hybrid score matching). linear and cld train a noise prediction (--objective noise)."))
  var sde: ProcessOption = .vp

  @Option(
    help: "--sde linear: the drift matrix F, a d × d .npy file (stable: eigenvalues with negative real part)."
  )
  var drift: String?

  @Option(help: "--sde linear: the noise factor L, a d × d .npy file.")
  var noise: String?

  @Option(help: "--sde linear: the offset c, a .npy file of d entries (default 0).")
  var offset: String?

  @Option(
    help: ArgumentHelp(
      "The network: mlp (hidden layers on [x, γ(t), c]) or resmlp (pre-LayerNorm residual blocks "
        + "with a time- and condition-dependent scale and shift). Default: resmlp for a data file read into "
        + "memory of fewer than \(ModelTraining.smallDataRows) rows (and no --condition-encoding), mlp otherwise. "
        + "Recorded in the model file."))
  var architecture: ArchitectureOption?

  @Option(
    help: ArgumentHelp(
      "The loss: noise (ε-prediction, λ = σ², uniform times), edm (Karras et al. 2022: "
        + "preconditioned output, EDM weighting, log-normal noise levels) or likelihood (λ = g², "
        + "importance-sampled times). Recorded in the model file."))
  var objective: ObjectiveOption = .noise

  @Option(help: ArgumentHelp("Hidden width of the network. " + SizeAwareChoices.ruleHelp))
  var width: Int?

  @Option(help: "Number of hidden layers (mlp) or residual blocks (resmlp); see --width for the default.")
  var depth: Int?

  @Option(help: "Training steps; see --width for the default.")
  var steps: Int?

  @Option(help: "Batch size; see --width for the default.")
  var batch: Int?

  @Option(
    help: ArgumentHelp(
      "Dropout rate of the hidden units in training steps (never in sampling or nll); see --width for the "
        + "default."))
  var dropout: Double?

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

  @Option(
    help: ArgumentHelp(
      "The fraction of a data file's rows held out for validation: their denoising loss (fixed times and "
        + "noise per row) is reported as training goes, the best averaged weights are kept, and the held-out "
        + "NLL is printed beside a full-covariance Gaussian's. Default: 0.2 for files of fewer than 5000 "
        + "rows, 0 (no split) for larger ones. 0 turns it off."))
  var validation: Double?

  @Option(
    help: ArgumentHelp(
      "Stop after this many held-out evaluations without improvement (with a validation split; at the "
        + "default interval 20 is a fifth of the run). 0: train every step, still keeping the best weights.",
      valueName: "evaluations"))
  var patience: Int = ModelTraining.defaultPatience

  @Option(
    name: .customLong("validation-interval"),
    help: "Steps between held-out evaluations (default: steps / 100).")
  var validationInterval: Int?

  @Option(
    name: .customLong("integer-columns"),
    help: ArgumentHelp(
      "Integer-valued columns of a data file (counts, pixel levels), dequantised in training (k + u, u ~ "
        + "U[0, 1) afresh each step) so that the density means something and `nll` reports the discrete "
        + "bound: auto (every data column whose values are all integers), none, or 0-based column numbers.",
      valueName: "auto|none|columns"))
  var integerColumns: String = "auto"

  @Option(
    name: .customLong("transform"),
    help: ArgumentHelp(
      "A monotone map of data columns (0-based; 3,5 or 0-29), fitted on the training rows and applied before the "
        + "standardisation; repeatable: log:COLS (log x), log=c:COLS (log(x + c)), logit:COLS or logit=a,b:COLS "
        + "(log((x − a)/(b − x))), quantile:COLS (the empirical CDF through Φ⁻¹, linear tails), kernel:COLS (a "
        + "Gaussian-kernel-smoothed CDF through Φ⁻¹: smooth, onto ℝ). Recorded in the model file; `sample` undoes "
        + "it and every NLL and density adds its exact log-Jacobian (data units). Default for a data file read "
        + "into memory with held-out rows: kernel on every data column that is not integer-valued, when a Gaussian "
        + "in the mapped columns predicts the held-out rows better than one in the columns as they are (said in "
        + "the output); any --transform replaces the default, and --transform none trains on the columns as they are.",
      valueName: "kind:columns"))
  var transform: [String] = []

  @Option(
    name: .customLong("weight-decay"),
    help: ArgumentHelp(
      "AdamW's decoupled weight decay λ (Loshchilov & Hutter 2019); 0 for plain Adam; see --width for the "
        + "default."))
  var weightDecay: Double?

  @Option(
    name: .customLong("condition-encoding"),
    help: ArgumentHelp(
      "How conditions enter the network: identity (as they are), fourier[:m[:σ]] (random Fourier features "
        + "[sin 2πBz, cos 2πBz], B ~ N(0, σ²), m×k; default 16:1) or hash[:L[:T[:F]]] (learnable "
        + "multiresolution hash grid, Müller et al. 2022; default 8:4096:2), z = θ scaled to [0, 1] by the "
        + "training range. Needs --architecture mlp; recorded in the model file.",
      valueName: "encoding"))
  var conditionEncoding: ConditionEncodingOption = .identity

  @Flag(
    name: .customLong("memory-map"), inversion: .prefixedNo,
    help: ArgumentHelp(
      "Read a .npy --data file through a memory map, drawing each batch's rows from it (with replacement), "
        + "so that memory is bounded by the batch, not the file; μ and σ are fitted in one streaming pass. "
        + "Default: on for .npy files of 1 GiB or more."))
  var memoryMap: Bool? = nil

  func validate() throws {
    if conditionEncoding.encoding != nil && architecture == .resmlp {
      throw ValidationError(
        "--condition-encoding \(conditionEncoding.encoding!.name) needs --architecture mlp")
    }
    if let validation, !(validation >= 0 && validation < 1) {
      throw ValidationError("--validation must lie in [0, 1), got \(validation)")
    }
    guard patience >= 0 else { throw ValidationError("--patience must be 0 or more, got \(patience)") }
    if let validationInterval, validationInterval < 1 {
      throw ValidationError("--validation-interval must be at least 1, got \(validationInterval)")
    }
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
      throw ValidationError("--weight-decay must be finite and non-negative, got \(weightDecay)")
    }
    if let dropout, !(dropout >= 0 && dropout < 1) {
      throw ValidationError("--dropout must lie in [0, 1), got \(dropout)")
    }
    let standard = SizeAwareDefaults.standard
    let (width, depth) = (self.width ?? standard.width, self.depth ?? standard.depth)
    let (steps, batch) = (self.steps ?? standard.steps, self.batch ?? standard.batchSize)
    guard width >= 1, depth >= 1 else { throw ValidationError("--width and --depth must be at least 1") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    guard steps <= maximumTrainingSteps else {
      throw ValidationError(
        "--steps \(steps): at most \(maximumTrainingSteps) (weeks of training at any rate this tool reaches)")
    }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    // Checked again once the data has chosen the network, when --architecture is not given.
    if let shortfall = memoryShortfall(architecture ?? .mlp, width: width, depth: depth, batch: batch) {
      throw ValidationError(shortfall)
    }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--learning-rate must be positive")
    }
    guard URL(fileURLWithPath: out).pathExtension == "safetensors" else {
      throw ValidationError("--out must name a .safetensors file, got '\(out)'")
    }
  }

  /// Why `architecture` at this size would not fit in the machine's memory, or `nil`; `note`
  /// follows the message.
  func memoryShortfall(
    _ architecture: ArchitectureOption, width: Int, depth: Int, batch: Int, note: String = ""
  ) -> String? {
    let needed = architecture.trainingBytes(width: width, depth: depth, batch: batch)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    guard needed > available else { return nil }
    return "--width \(width) --depth \(depth) --batch \(batch) needs about \(byteText(needed)) for the "
      + "\(architecture.rawValue)'s weights and activations; this machine has \(byteText(available))" + note
  }

  /// The process `--sde` (with `--drift`, `--noise`, `--offset`) names.
  func processDescription() throws -> SDEDescription {
    if sde != .linear, drift != nil || noise != nil || offset != nil {
      throw CLIError("--drift, --noise and --offset apply to --sde linear only")
    }
    if sde == .linear || sde == .cld, objective != .noise {
      throw CLIError("--sde \(sde.rawValue) trains a noise prediction: --objective noise only")
    }
    return sde == .linear
      ? try ProcessOption.linearDescription(drift: drift, noise: noise, offset: offset) : sde.description
  }

  /// `--transform` parsed: `none` alone turns the default off and names no transform.
  func transformOptions() throws -> [TransformOption] {
    if transform.contains(where: { $0.lowercased() == "none" }) {
      guard transform.count == 1 else {
        throw CLIError(
          "--transform none trains on the columns as they are; drop it or the other --transform options")
      }
      return []
    }
    return try transform.map(TransformOption.init(argument:))
  }

  func run() throws {
    let input = DataInput(argument: data)
    let process = try processDescription()
    var outputs = CommandOutputs(inputs: input.isFile ? [("--data", data)] : [])
    let modelFile = try outputs.add(out, option: "--out")
    let columns = try parseColumns(conditionColumns)
    // Width, depth, steps, batch, dropout and weight decay left unset are chosen from the data's
    // size once it is read (SizeAwareDefaults).
    var settings = TrainingSettings(
      process: process, width: 0, depth: 0,
      configuration: TrainingConfiguration(
        seed: seed, learningRate: learningRate, loss: objective.loss, conditionDropout: conditionDropout),
      conditionColumns: columns, validationFraction: validation, patience: patience,
      validationInterval: validationInterval, integerColumns: try IntegerColumns(argument: integerColumns),
      conditionEncoding: conditionEncoding.encoding, memoryMap: memoryMap,
      transforms: try transformOptions())
    settings.defaultTransforms = transform.isEmpty
    settings.sizeAwareChoices = SizeAwareChoices(
      width: width, depth: depth, steps: steps, batch: batch, dropout: dropout, weightDecay: weightDecay)
    let prepared = try ModelTraining.prepare(input, settings: settings)
    let network = architecture ?? prepared.defaultArchitecture
    if architecture == nil, let file = prepared.file {
      let chosen = prepared.settings
      // validate() checked the MLP at sizes no smaller than these; the residual network needs more.
      if network == .resmlp,
        let shortfall = memoryShortfall(
          network, width: chosen.width, depth: chosen.depth, batch: chosen.configuration.batchSize,
          note: " (resmlp is the default for this file; --architecture mlp needs less)")
      {
        throw CLIError(shortfall)
      }
      print(
        "network: \(network.rawValue), width \(chosen.width), depth \(chosen.depth) (the default for a file of "
          + "\(file.rows) rows; --architecture chooses)")
    }
    let summary: String
    let heldOut: HeldOutRun?
    switch network {
    case .mlp where conditionEncoding.encoding != nil:
      (summary, heldOut) = try train(EncodedConditionNetwork<MLP<Float>>.self, prepared, to: modelFile)
    case .mlp: (summary, heldOut) = try train(MLP<Float>.self, prepared, to: modelFile)
    case .resmlp: (summary, heldOut) = try train(ResidualMLP<Float>.self, prepared, to: modelFile)
    }
    try outputs.commit()
    print(summary)
    if let heldOut { try reportHeldOut(heldOut, modelAt: URL(fileURLWithPath: out)) }
  }

  /// Prints the validation's outcome and the held-out NLL of the written model beside the
  /// Gaussian baseline's (and both on as many training rows), with the warnings.
  func reportHeldOut(_ run: HeldOutRun, modelAt url: URL) throws {
    let v = run.summary
    print(
      "validation: \(run.rows.rows) held-out rows (\(run.fraction)); best held-out loss "
        + String(format: "%.4f", v.bestLoss) + " at step \(v.bestStep) of \(v.lastStep) (kept)"
        + (v.stoppedEarly ? "; stopped early: no improvement in \(patience) evaluations" : ""))
    if let dq = run.dequantization {
      print(
        "integer columns \(dq.columns.map(String.init).joined(separator: ", ")) (data-column numbers) dequantised "
          + "with bin width \(dq.binWidths.map { String(format: "%g", $0) }.joined(separator: ", ")): the NLLs "
          + "below are of k + w·u, fixed draws; minus Σ log w (\(String(format: "%.4g", dq.logBinVolume))) they "
          + "bound −log P(k)")
    }
    guard conditionColumns?.isEmpty ?? true else { return }
    let limit = TrainCommand.nllRows
    // Evenly spaced rows, not the first ones: a file sorted by class keeps its classes.
    let points = evenlySpacedRows(of: run.rows, count: min(run.rows.rows, limit))
    let training = evenlySpacedRows(of: run.trainingRows, count: min(run.trainingRows.rows, points.rows))
    let model = try LikelihoodReport.modelNLL(of: points, modelAt: url, source: "held-out rows")
    let modelTraining = try LikelihoodReport.modelNLL(of: training, modelAt: url, source: "training rows")
    guard let baseline = run.baseline else {
      if let reason = run.missingBaselineReason {
        LikelihoodReport.printModelOnly(heldOut: model, training: modelTraining)
        print(reason)
        return
      }
      print("(no Gaussian baseline: the training rows' covariance is singular)")
      return
    }
    let comparison = BaselineComparison(
      dimension: points.columns,
      heldOut: (model, baseline.logDensities(points).map { -$0 }),
      training: (modelTraining, baseline.logDensities(training).map { -$0 }))
    LikelihoodReport.print(
      comparison, heldOutLabel: "held-out", trainingLabel: "training", modelIsBound: sde == .cld)
  }

  /// `count` rows of `m` at indices `⌊i·m.rows/count⌋`, i = 0 … count − 1.
  func evenlySpacedRows(of m: Matrix<Double>, count: Int) -> Matrix<Double> {
    guard count < m.rows else { return m }
    var out = Matrix<Double>(rows: count, columns: m.columns)
    for i in 0..<count { out.setRow(i, to: m.row(i * m.rows / count)) }
    return out
  }

  /// At most this many held-out (and training) rows enter the NLL printed after training.
  static let nllRows = 1_000

  /// Trains a `network`, writes the model into `file` and returns a summary to print once the
  /// file is in place.
  func train<Network: CommandLineNetwork>(
    _ network: Network.Type, _ prepared: PreparedTraining, to file: OutputFile
  ) throws -> (String, HeldOutRun?) where Network.Scalar == Float {
    let outcome = try ModelTraining.train(prepared, network: network, label: "train")
    try file.write([UInt8](outcome.model.fileContents))
    var summary = String(
      format: "trained %d steps in %.1f s (%.0f steps/s), final loss %.4f → %@",
      outcome.model.training.steps,
      outcome.seconds, outcome.stepsPerSecond, outcome.losses.last?.smoothed ?? .nan, out)
    if let note = outcome.transformNote { summary += "\ncolumn transforms: " + note }
    return (summary, outcome.heldOut)
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

/// The most steps `train` takes: a billion, weeks of training at any rate the tool reaches, so
/// that a mistyped exponent is refused at once instead of running forever.
let maximumTrainingSteps = 1_000_000_000

/// The most fixed steps `sample` and `nll` take: far more than any sampler needs, and few enough
/// that the time grid (one number per step) is never the allocation that fails.
let maximumSamplerSteps = 1_000_000

/// `--steps` of `sample` and `nll`: at least 1 and at most ``maximumSamplerSteps``.
func validateSteps(_ steps: Int?) throws {
  guard let steps else { return }
  guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
  guard steps <= maximumSamplerSteps else {
    throw ValidationError("--steps \(steps): at most \(maximumSamplerSteps) steps (no sampler needs more)")
  }
}
