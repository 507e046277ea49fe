import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

extension SamplerName: ExpressibleByArgument {}

/// `score-sde sample`: draw new samples from a trained model.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample", abstract: "Draw samples from a trained model into a .npy or .csv file.")

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(help: "Number of samples.")
  var count: Int = 1000

  @Option(help: "Where to write the samples (.npy or .csv), in the data's units.")
  var out: String

  @Option(
    name: .customLong("sampler"),
    help: ArgumentHelp(
      "dpm (DPM-Solver++, the default), em, pc, ancestral, sra (Rößler's SRA1 stochastic Runge–Kutta), "
        + "adaptive-sde (adaptive reverse SDE), ode (RK4), euler or heun (probability flow), adaptive "
        + "(Dormand–Prince), edm-heun (Karras et al.'s Heun with churn), euler-a (Euler-ancestral), ddim, "
        + "dpm-sde (DPM-Solver++ 2M/3M SDE). Every sampler ends at t = 1e-3; the reverse-SDE samplers "
        + "(em, pc, ancestral, sra, adaptive-sde, edm-heun, euler-a, ddim, dpm-sde) then take one Tweedie "
        + "denoising step. See ChoosingASampler for the measured table. Default: dpm, or dpm-sde for a "
        + "model trained on a data file (tables), whose ODE samples stray off the data. A model trained "
        + "with --sde cld or linear takes em, euler, heun, ode and adaptive (sra and adaptive-sde when "
        + "L = I), and a cld model sscs (the symmetric splitting sampler, its default); a linear model's "
        + "default is ode."))
  var samplerChoice: SamplerName?

  /// `--sampler`, or DPM-Solver++ when it is not given (see ``tabularSampler(for:)`` for the
  /// default on tables, and `SampleCommand+Linear` for matrix-kernel models).
  var sampler: SamplerName { samplerChoice ?? .dpmSolver }

  @Option(
    help: ArgumentHelp(
      "Number of steps (default: 20 for dpm/dpm-sde, 1000 for em/pc/ancestral, 100 for sra/ode/euler/heun/sscs, "
        + "18 for edm-heun, 50 for euler-a/ddim)."))
  var steps: Int?

  @Option(
    help: ArgumentHelp(
      "DPM-Solver++ order, 1, 2 or 3 (--sampler dpm: default 3, or 2 with --guidance; --sampler dpm-sde: "
        + "default 2)."))
  var order: Int?

  @Option(help: "Stochasticity η ≥ 0 (--sampler euler-a, default 1; --sampler ddim, 0 ≤ η ≤ 1, default 0).")
  var eta: Double?

  @Option(help: "EDM's S_churn ≥ 0, fresh noise spread over the steps (--sampler edm-heun only; default 0).")
  var churn: Double?

  @Option(help: "Langevin corrector signal-to-noise ratio r > 0 (--sampler pc only; default 0.16).")
  var snr: Double?

  @Option(help: "Random seed: the same seed gives the same samples, whatever the batching.")
  var seed: UInt64 = 0

  @Option(help: "Conditioning values for a conditional model, comma-separated, in the data's units.")
  var condition: String?

  @Option(
    help: "Classifier-free guidance weight w: (1+w)·s(x|c) − w·s(x) (needs --condition-dropout in training).")
  var guidance: Double = 0

  @Option(help: "Also write a scatter plot of the first two columns (.svg).")
  var plot: String?

  @Option(
    help: ArgumentHelp(
      "Compute only shard k of n (1 ≤ k ≤ n) of the --count samples, into out.shard-k-of-n.npy; "
        + "`score-sde merge` joins the shards into the unsharded run's file, byte for byte.",
      valueName: "k/n"))
  var shard: String?

  @Option(help: "Posterior sampling: the observation y (.npy, m values, data units) of y = A x + n.")
  var observe: String?

  @Option(name: .customLong("operator"), help: "The linear operator A of --observe (.npy, m × d).")
  var operatorFile: String?

  @Option(help: "The observation noise σ of --observe: n ~ N(0, σ² I), in y's units.")
  var observationNoise: Double?

  @Option(
    help:
      "DPS's normalised step ζ: add −ζ∇‖y − A x̂₀‖ instead of ΠGDM's Gaussian likelihood (--observe only).")
  var guidanceScale: Double?

  @OptionGroup var columns: SampleColumnOptions

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    try validateSteps(steps)
    if let order {
      guard sampler == .dpmSolver || sampler == .dpmSolverSDE else {
        throw ValidationError("--order applies to --sampler dpm and dpm-sde only")
      }
      guard (1...3).contains(order) else { throw ValidationError("--order must be 1, 2 or 3") }
    }
    if let snr {
      guard sampler == .predictorCorrector else {
        throw ValidationError("--snr applies to --sampler pc only")
      }
      guard Float(snr).isFinite, snr > 0 else { throw ValidationError("--snr must be positive and finite") }
    }
    if let eta {
      guard sampler == .eulerAncestral || sampler == .ddim else {
        throw ValidationError("--eta applies to --sampler euler-a and ddim only")
      }
      // The sampler runs in Float: 1e308 passes `isFinite` as a Double and is infinite as a Float.
      guard Float(eta).isFinite, eta >= 0, sampler != .ddim || eta <= 1 else {
        throw ValidationError(
          sampler == .ddim ? "--eta must be in [0, 1] for ddim" : "--eta must be finite and ≥ 0")
      }
    }
    if let churn {
      guard sampler == .edmHeun else { throw ValidationError("--churn applies to --sampler edm-heun only") }
      guard Float(churn).isFinite, churn >= 0 else { throw ValidationError("--churn must be finite and ≥ 0") }
    }
    guard Float(guidance).isFinite, guidance >= 0 else {
      throw ValidationError("--guidance must be finite and ≥ 0")
    }
    try validateObservation()
    if let plot, URL(fileURLWithPath: plot).pathExtension.lowercased() != "svg" {
      throw ValidationError("--plot must name an .svg file, got '\(plot)'")
    }
    if try Sharding.parse(shard) != nil, plot != nil {
      throw ValidationError("--plot draws one run, not a shard of it: merge the shards, then plot")
    }
  }

  /// The global rows this run draws: all `--count`, or those of `--shard`, in whole sampling
  /// batches so that the adaptive samplers see the same batches as one unsharded run.
  var rows: Range<Int> {
    (try? Sharding.parse(shard))?.rows(of: count, alignment: Workers.samplingBatch) ?? 0..<count
  }

  func run() throws {
    let format = try OutputFormat(out)
    let shard = try Sharding.parse(self.shard)
    let path = Sharding.path(out, shard: shard)
    var outputs = CommandOutputs(
      inputs: [("--model", model)]
        + [("--observe", observe), ("--operator", operatorFile)].compactMap { o, p in
          p.map { (o, $0) }
        })
    let samples = try outputs.add(path, option: "--out")
    let plotFile = try plot.map { try outputs.add($0, option: "--plot") }
    var options = SamplingOptions<Float>(kind: kind, seed: seed)
    options.threads = Workers.count
    options.batchSize = Workers.samplingBatch
    let started = Date()
    let (nfe, used) = try Drawing(
      command: self, options: options, format: format, samples: samples, plot: plotFile
    )
    .run(modelAt: URL(fileURLWithPath: model))
    try outputs.commit()
    if let shard {
      print(Sharding.summary(shard, rows: rows, of: count, unit: "samples", alignment: Workers.samplingBatch))
    }
    print(
      String(
        format: "wrote %d samples to %@%@ (sampler %@, %d score evaluations per sample, %.2f s)", rows.count,
        path,
        plot.map { " and a plot to \($0)" } ?? "", used.rawValue, nfe,
        Date().timeIntervalSince(started)))
  }

  /// The sampler kind `--sampler`, `--steps`, `--order`, `--snr`, `--eta` and `--churn` describe.
  var kind: SamplerKind<Float> {
    switch sampler {
    case .dpmSolver:
      return .dpmSolver(steps: steps ?? 20, order: order ?? Self.defaultOrder(guided: guidance > 0))
    case .predictorCorrector:
      return .predictorCorrector(
        steps: steps ?? 1000, corrector: LangevinOptions(signalToNoiseRatio: Float(snr ?? 0.16)))
    case .dpmSolverSDE: return .dpmSolverSDE(steps: steps ?? 20, order: order ?? 2)
    case .eulerAncestral: return .eulerAncestral(steps: steps ?? 50, eta: Float(eta ?? 1))
    case .ddim: return .ddim(steps: steps ?? 50, eta: Float(eta ?? 0))
    case .edmHeun: return .edmHeun(steps: steps ?? 18, churn: ChurnOptions(churn: Float(churn ?? 0)))
    default: return SamplerKind(sampler, steps: steps)
    }
  }

  /// The default sampler for a model trained on a data file (one that records a Gaussian
  /// baseline or a dequantisation) when `--sampler` is not given: DPM-Solver++ 2M SDE at
  /// `--steps` (20). On small tables the 20-step probability-flow ODE threw 6–36 % of the samples
  /// far from every training row while the SDE samplers threw none, at the same cost
  /// (`Benchmarks/tabular_benchmark.py`). `nil` otherwise.
  func tabularSampler<Network: ScoreNetwork>(for model: TrainedModel<Network>) -> SamplerKind<Float>? {
    guard samplerChoice == nil, model.linearSDE == nil,
      model.gaussianBaseline != nil || model.dequantization != nil
    else {
      return nil
    }
    return .dpmSolverSDE(steps: steps ?? 20, order: order ?? 2)
  }

  /// DPM-Solver++'s default order: 3 for unguided sampling, which measured best at 20 steps on
  /// a trained model (see ChoosingASampler), 2 with guidance, where Lu et al. (2022, §5) find
  /// the third order unstable.
  static func defaultOrder(guided: Bool) -> Int { guided ? 2 : 3 }

  /// The rows of the samples kept for the plot: a scatter of more is a blot.
  static let plottedRows = 20_000

  /// Samples ``rows`` in chunks of 1024 rows (identical to one batch: each row has its own noise
  /// stream and its own place in the model's row tiles), each mapped back to the data's units in
  /// `Double` and streamed into `samples`, so that memory stays bounded whatever `--count` is;
  /// the first ``plottedRows`` rows go to the plot. Returns the score evaluations per sample and
  /// the sampler that ran.
  func draw<Network: ScoreNetwork>(
    _ trained: TrainedModel<Network>, options: SamplingOptions<Float>, format: OutputFormat,
    samples: OutputFile, plot: OutputFile?
  ) throws -> (Int, SamplerName) where Network.Scalar == Float {
    let k = trained.conditionEncoding.dimension
    let values = try condition.map { try parseValues($0, option: "--condition") }
    switch (k, values) {
    case (0, nil): break
    case (0, .some): throw CLIError("\(model): the model is unconditional; drop --condition")
    case (_, nil): throw CLIError("\(model): the model is conditional on \(k) value(s): pass --condition")
    case (_, .some(let v)) where v.count != k:
      throw CLIError("--condition has \(v.count) value(s), the model takes \(k)")
    default: break
    }
    if let v = values {
      var range = ConditionRangeCheck()
      range.check(trained.network, conditions: [trained.networkCondition(v).map { Double($0) }])
      range.report()
    }
    if guidance > 0 && !trained.conditionEncoding.hasMaskColumn {
      throw CLIError("--guidance needs a conditional model trained with --condition-dropout > 0")
    }
    let matrixKernel = try matrixKernelSampling(trained, options: options, condition: values)
    let d = trained.dimension
    let problem = try inverseProblem(dimension: d)
    let box = try columns.clipBox(for: trained, model: model)
    if problem != nil && box != nil {
      throw CLIError("--clip applies to unconditioned sampling, not --observe")
    }
    var outliers = try columns.outlierReport(for: trained)
    let rows = self.rows
    try CommandOutputs.checkSpace(
      format.estimatedBytes(rows: rows.count, columns: d), for: samples.path, option: "--out")
    var stream = try MatrixStream(format, file: samples, rows: rows.count, columns: d)
    var plotted = Matrix<Double>(rows: min(rows.count, Self.plottedRows), columns: d)
    var bar = ProgressBar(label: "sample", total: rows.count)
    var nfe = 0
    for first in stride(from: rows.lowerBound, to: rows.upperBound, by: 1024) {
      let n = min(1024, rows.upperBound - first)
      let chunk: SamplingResult<Float>
      if let matrixKernel {
        chunk = try matrixKernel.sample(first..<(first + n))
      } else if let problem {
        let prior = values.map { trained.scoreModel(conditionInDataUnits: $0) } ?? trained.scoreModel()
        chunk = try problem.sample(trained, prior: prior, options: options, count: n, firstRow: first)
      } else if let v = values, guidance > 0 {
        let guided = ClassifierFreeGuidance(
          model: trained.scoreModel(), condition: trained.networkCondition(v), weight: Float(guidance))
        chunk = try columns.sample(
          trained, score: guided, box: box, options: options, rows: first..<(first + n), dimension: d)
      } else {
        let score = values.map { trained.scoreModel(conditionInDataUnits: $0) } ?? trained.scoreModel()
        chunk = try columns.sample(
          trained, score: score, box: box, options: options, rows: first..<(first + n), dimension: d)
      }
      nfe = chunk.statistics.scoreEvaluations
      // Back to data units in Double: a column of mean 1e9 would come out in steps of 64 in Float.
      var x = Matrix<Double>(rows: n, columns: d, elements: chunk.samples.elements.map { Double($0) })
      trained.toDataUnits(&x)
      if let bad = x.nonFiniteReport() {
        throw CLIError(
          "sampling produced a non-finite value (\(bad.firstValue)) in sample \(first + bad.firstRow + 1); "
            + "try more --steps")
      }
      try stream.append(x)
      outliers?.add(x, of: trained)
      let done = first - rows.lowerBound
      if done < plotted.rows { plotted.copyRows(0..<min(n, plotted.rows - done), of: x, to: done) }
      bar.update(done + n)
    }
    bar.finish()
    if let outliers { print(outliers.summary) }
    if let plot {
      let shown = plotted.rows < count ? "first \(plotted.rows) of \(count)" : "\(count)"
      let title = "\(shown) samples (\((matrixKernel?.name ?? options.kind.name).rawValue))"
      let svg =
        d >= 2
        ? Plots.scatter(samples: plotted, title: title, maximumPoints: plotted.rows)
        : Plots.histogram(plotted.elements, title: title, xLabel: "x₁")
      try plot.write(svg.rendered)
    }
    return (nfe, matrixKernel?.name ?? options.kind.name)
  }
}

/// `sample`'s work on a model of any network.
struct Drawing: TrainedModelTask {
  typealias Scalar = Float
  let command: SampleCommand
  let options: SamplingOptions<Float>
  let format: OutputFormat
  let samples: OutputFile
  let plot: OutputFile?

  func run<Network: ScoreNetwork>(_ model: TrainedModel<Network>) throws -> (Int, SamplerName)
  where Network.Scalar == Float {
    var options = options
    if let kind = command.tabularSampler(for: model) { options.kind = kind }
    return try command.draw(model, options: options, format: format, samples: samples, plot: plot)
  }
}
