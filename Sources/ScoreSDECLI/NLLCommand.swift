import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `score-sde nll`: exact negative log-likelihoods through the probability-flow ODE.
struct NLLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nll",
    abstract: "Mean negative log-likelihood of data under a trained model (probability-flow ODE).")

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(help: "The points to evaluate: a .npy / .csv file, or a built-in density's name (fresh samples).")
  var data: String

  @Option(help: "Number of fresh samples when --data names a built-in density.")
  var count: Int = 1000

  @Option(
    help: "Also write each point's NLL in nats (.npy or .csv); with --condition-grid, the posterior table.")
  var out: String?

  @Option(help: "Fixed RK4 steps instead of the adaptive Dormand–Prince solver (rtol = atol = 1e-5).")
  var steps: Int?

  @Option(
    name: .customLong("bin-width"),
    help: "For discrete data: the quantisation bin width, to report bits/dim of the dequantised data.")
  var binWidth: Double?

  @Option(help: "Seed for fresh samples of a built-in density (and a CLD model's velocity draws).")
  var seed: UInt64 = 1

  @Option(
    name: .customLong("velocity-draws"),
    help: ArgumentHelp(
      "A CLD model (--sde cld): velocities v ~ N(0, γM I) drawn per point for the bound log p(x) ≥ "
        + "E_v[log p(x, v)] + H(N(0, γM I)), each one probability-flow solve."))
  var velocityDraws: Int = 1

  @OptionGroup var posterior: PosteriorOptions

  @Option(
    help: ArgumentHelp(
      "Evaluate only shard k of n (1 ≤ k ≤ n) of the points, writing their NLL to out.shard-k-of-n.npy "
        + "(needs --out); `score-sde merge` joins the shards into the unsharded run's file, byte for byte.",
      valueName: "k/n"))
  var shard: String?

  /// Points per likelihood block: each block is integrated on its own, at fixed global rows, so
  /// a point's value depends neither on the thread count nor on the shard it is in.
  static let blockRows = 125

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    guard velocityDraws >= 1 else { throw ValidationError("--velocity-draws must be at least 1") }
    try validateSteps(steps)
    if let binWidth, !(binWidth > 0 && binWidth.isFinite) {
      throw ValidationError("--bin-width must be positive")
    }
    if try Sharding.parse(shard) != nil, out == nil {
      throw ValidationError(
        "--shard needs --out: each shard writes its points' NLL, and `score-sde merge` joins the shards")
    }
  }

  func run() throws {
    if posterior.conditionGrid != nil {
      if binWidth != nil { throw CLIError("--bin-width does not apply with --condition-grid") }
      if shard != nil {
        throw CLIError("--shard does not apply with --condition-grid (the posterior needs every point)")
      }
      return try posterior.run(model: model, data: data, count: count, seed: seed, out: out, steps: steps)
    }
    let input = DataInput(argument: data)
    var outputs = CommandOutputs(inputs: [("--model", model)] + (input.isFile ? [("--data", data)] : []))
    let format = try out.map { try OutputFormat($0) }
    let shard = try Sharding.parse(self.shard)
    let out = self.out.map { Sharding.path($0, shard: shard) }
    let outFile = try out.map { try outputs.add($0, option: "--out") }
    let points: PointSource
    if input.isFile {
      points = .table(try input.load(count: 0, seed: 0).data)
    } else {
      points = .fresh(try input.distribution(), count: count, seed: seed)
    }
    let rows = shard?.rows(of: points.count, alignment: Self.blockRows) ?? 0..<points.count
    if let out, let format {
      try CommandOutputs.checkSpace(
        format.estimatedBytes(rows: rows.count, columns: 1), for: out, option: "--out")
    }
    let integration: ODEIntegration<Double> = steps.map { .rungeKutta4(steps: $0) } ?? .standard
    var stream = try outFile.map {
      try MatrixStream(format!, file: $0, rows: rows.count, columns: 1, columnNames: ["nll"])
    }
    var summary = RunningMean()
    var baselineSummary = RunningMean()
    var excess = RunningMean()
    let (dimension, dequantization, bound) = try Evaluation(
      points: points, rows: rows, integration: integration, source: data, dequantizationSeed: seed,
      velocityDraws: velocityDraws
    ) { nll, baseline in
      for v in nll { summary.add(v) }
      if let baseline {
        for (m, b) in zip(nll, baseline) {
          baselineSummary.add(b)
          excess.add(m - b)
        }
      }
      try stream?.append(Matrix(rows: nll.count, columns: 1, elements: nll))
    }.run(modelAt: URL(fileURLWithPath: model))
    try outputs.commit()
    if let shard {
      print(Sharding.summary(shard, rows: rows, of: points.count, unit: "points", alignment: Self.blockRows))
    }
    guard summary.count > 0 else {
      if let out { print("wrote each point's NLL to \(out)") }
      return
    }
    let d = Double(dimension)
    if let bound {
      print(
        String(
          format: "mean NLL ≤ %.4f ± %.4f nats per point (%d points): an upper bound, %@", summary.mean,
          summary.count > 1 ? summary.standardError : .nan, summary.count, bound))
    } else if summary.count > 1 {
      print(
        String(
          format: "mean NLL %.4f ± %.4f nats per point (%d points)", summary.mean, summary.standardError,
          summary.count))
    } else {
      print(String(format: "NLL %.4f nats (1 point: no standard error)", summary.mean))
    }
    if let dequantization {
      let bound = dequantization.discreteBound(continuousNLL: summary.mean)
      let m = dequantization.columns.count
      print(
        String(
          format:
            "discrete NLL bound %.4f nats per point (%.4f bits/dim): %d integer column(s) dequantised with "
            + "bin width %@, one u per point (−log P(k) ≤ E_u[−log p(k + w·u)] − Σ log w)", bound,
          bound / (d * Double.log(2.0)), m,
          dequantization.binWidths.map { String(format: "%g", $0) }.joined(separator: ", ")))
      if binWidth != nil { print("(--bin-width is not used: the model records its own bin widths)") }
      if m < dimension {
        print(
          "(the other \(dimension - m) column(s) are continuous: the bound mixes a probability and a density)"
        )
      }
    } else if let binWidth {
      let bpd = (summary.mean - d * Double.log(binWidth)) / (d * Double.log(2.0))
      print(String(format: "%.4f bits/dim of the dequantised data (bin width %g)", bpd, binWidth))
    } else {
      print(
        String(
          format: "%.4f bits/dim (continuous density; pass --bin-width for discrete data)",
          summary.mean / (d * Double.log(2.0))))
    }
    if baselineSummary.count > 0 {
      print(
        String(
          format: "Gaussian baseline (fitted to the training rows): mean NLL %.4f nats per point; "
            + "model − baseline %.4f ± %.4f", baselineSummary.mean, excess.mean,
          excess.count > 1 ? excess.standardError : .nan))
      if excess.mean > 0 {
        FileHandle.standardError.write(
          Data(
            String(
              format:
                "warning: the model's NLL is worse than a full-covariance Gaussian's by %.4g ± %.4g nats "
                + "per point on these points\n", excess.mean, excess.count > 1 ? excess.standardError : .nan
            ).utf8))
      }
    }
    if let out { print("wrote each point's NLL to \(out)") }
  }

  /// Per-point NLL in nats of every row of `points` (see
  /// ``negativeLogLikelihoods(of:under:integration:source:consume:)``), collected.
  static func negativeLogLikelihoods<Network: ScoreNetwork>(
    of points: Matrix<Double>, under trained: TrainedModel<Network>, integration: ODEIntegration<Double>,
    source: String
  ) throws -> [Double] where Network.Scalar == Double {
    var nll: [Double] = []
    nll.reserveCapacity(points.rows)
    try negativeLogLikelihoods(
      of: .table(points), under: trained, integration: integration, source: source
    ) { values, _ in nll.append(contentsOf: values) }
    return nll
  }

  /// Per-point NLL in nats, on the data's own scale (the standardisation's Jacobian included),
  /// of the points `rows` (all by default), in chunks of 500 points with a progress bar;
  /// `consume` gets each chunk's values in order, so that memory stays bounded however many
  /// points there are; `consume` also gets the chunk's points. Condition columns (the last `k`)
  /// condition each point's density. Each point's value is integrated in its block of
  /// ``blockRows`` global rows, so it is the same bits whatever `rows` and the thread count.
  ///
  /// With `dequantizationSeed`, a model that records a ``Dequantization`` sees each point as
  /// `k + w·u` (one `u ~ U[0, 1)` per entry of its integer columns, drawn from
  /// `Xoshiro256(seed: dequantizationSeed, stream: 1)` in point order), and `consume` gets
  /// those points; without it the points are taken as they are.
  ///
  /// A critically-damped Langevin model's value is the bound `−E_v[log p(x, v)] − H(N(0, γM I))`
  /// on the NLL of `x` (``PositionLikelihoodBound``) with `velocityDraws` velocities per point
  /// drawn from the `dequantizationSeed` (0 without one); a general linear SDE's is exact.
  static func negativeLogLikelihoods<Network: ScoreNetwork>(
    of points: PointSource, rows: Range<Int>? = nil, under trained: TrainedModel<Network>,
    integration: ODEIntegration<Double>, source: String, dequantizationSeed: UInt64? = nil,
    velocityDraws: Int = 1, consume: ([Double], Matrix<Double>) throws -> Void
  ) throws where Network.Scalar == Double {
    let rows = rows ?? 0..<points.count
    let d = trained.dimension
    let k = trained.conditionEncoding.dimension
    guard points.columns == d + k else {
      throw CLIError(
        "\(source): the model takes \(d + k) column(s) (\(d) data\(k > 0 ? " + \(k) condition" : "")), the data has \(points.columns)"
      )
    }
    var bar = ProgressBar(label: "nll", total: rows.count)
    let chunks = points.chunks(of: 500)
    var first = 0
    var dequantizationRNG = Xoshiro256(seed: dequantizationSeed ?? 0, stream: 1)
    let dequantization = dequantizationSeed == nil ? nil : trained.dequantization
    var range = ConditionRangeCheck()
    defer { range.report() }
    // Every point is drawn and dequantised in order from the first, so that a shard's points
    // and their noise are those of the unsharded run; only the shard's rows are integrated.
    while first < rows.upperBound, var whole = chunks.next() {
      defer { first += whole.rows }
      dequantization?.dequantize(&whole, using: &dequantizationRNG)
      guard first + whole.rows > rows.lowerBound else { continue }
      let kept = max(first, rows.lowerBound)..<min(first + whole.rows, rows.upperBound)
      let chunk = whole.rows((kept.lowerBound - first)..<(kept.upperBound - first))
      var x = Matrix<Double>(rows: chunk.rows, columns: d)
      var conditions = Matrix<Double>(rows: chunk.rows, columns: k)
      for i in 0..<chunk.rows {
        for j in 0..<d { x[i, j] = chunk[i, j] }
        if k > 0 { conditions.setRow(i, to: trained.networkCondition(Array(chunk.row(i)[d...]))) }
      }
      let corrections = try trained.checkedLogDensityCorrections(
        at: x, source: source, firstRow: kept.lowerBound)
      trained.toModelScale(&x)
      if k > 0 { range.check(trained.network, conditions: (0..<conditions.rows).map { conditions.row($0) }) }
      let condition: ScoreCondition<Double> = k > 0 ? .perRow(conditions) : .unconditional
      let logLikelihoods: [Double]
      if let process = trained.linearSDE, let score = trained.linearScoreModel(condition: condition) {
        let likelihood = ProbabilityFlowLikelihood(process: process, score: score, integration: integration)
        if case .criticallyDampedLangevin(let cld) = process {
          logLikelihoods = try likelihood.positionLogLikelihoodBound(
            of: x, velocityStandardDeviation: (cld.initialVelocityScale * cld.mass).squareRoot(),
            draws: velocityDraws, seed: dequantizationSeed ?? 0, firstRow: kept.lowerBound,
            blockRows: blockRows,
            threads: Workers.count
          ).bounds
        } else {
          logLikelihoods = try likelihood.logLikelihood(
            of: x, firstRow: kept.lowerBound, blockRows: blockRows, threads: Workers.count
          ).logLikelihoods
        }
      } else {
        let score = trained.scoreModel(condition: condition)
        logLikelihoods = try ProbabilityFlowLikelihood(
          process: trained.sde, score: score, integration: integration
        )
        .logLikelihood(of: x, firstRow: kept.lowerBound, blockRows: blockRows, threads: Workers.count)
        .logLikelihoods
      }
      try consume(zip(logLikelihoods, corrections).map { -($0 + $1) }, chunk)
      bar.update(kept.upperBound - rows.lowerBound)
    }
    bar.finish()
  }
}

/// The points `nll` evaluates: a table read from a file, or fresh samples of a built-in density
/// drawn chunk by chunk (so that `--count` may be anything).
enum PointSource {
  case table(Matrix<Double>)
  case fresh(any DataDistribution, count: Int, seed: UInt64)

  /// The number of points.
  var count: Int {
    switch self {
    case .table(let m): return m.rows
    case .fresh(_, let count, _): return count
    }
  }

  /// The number of columns of each point.
  var columns: Int {
    switch self {
    case .table(let m): return m.columns
    case .fresh(let distribution, _, _): return distribution.dimension
    }
  }

  /// The points in consecutive blocks of at most `size` rows.
  func chunks(of size: Int) -> AnyIterator<Matrix<Double>> {
    var first = 0
    switch self {
    case .table(let m):
      return AnyIterator {
        guard first < m.rows else { return nil }
        defer { first += size }
        return m.rows(first..<min(m.rows, first + size))
      }
    case .fresh(let distribution, let count, let seed):
      var rng = Xoshiro256(seed: seed)
      return AnyIterator {
        guard first < count else { return nil }
        let n = min(size, count - first)
        first += n
        return distribution.sample(count: n, as: Double.self, using: &rng)
      }
    }
  }
}

/// The mean and its standard error, accumulated one value at a time (Welford).
struct RunningMean {
  private(set) var count = 0
  private(set) var mean = 0.0
  private var sumOfSquares = 0.0

  mutating func add(_ value: Double) {
    count += 1
    let delta = value - mean
    mean += delta / Double(count)
    sumOfSquares += delta * (value - mean)
  }

  /// s/√n, with s the sample standard deviation (n ≥ 2).
  var standardError: Double { (sumOfSquares / Double(count - 1) / Double(count)).squareRoot() }
}

/// `nll`'s work on a model of any network: the per-point NLL, handed to `consume` chunk by
/// chunk with the model's Gaussian baseline's NLL of the same points (`nil` when the model
/// records none or is conditional); returns the model's dimension.
struct Evaluation: TrainedModelTask {
  typealias Scalar = Double
  let points: PointSource
  /// The points evaluated (`nil`: all).
  let rows: Range<Int>?
  let integration: ODEIntegration<Double>
  let source: String
  /// Dequantise the points of a model with integer columns with this seed (`nil`: take the
  /// points as they are).
  let dequantizationSeed: UInt64?
  let consume: (_ nll: [Double], _ baseline: [Double]?) throws -> Void
  /// Velocity draws per point of a critically-damped Langevin model's bound.
  let velocityDraws: Int

  init(
    points: PointSource, rows: Range<Int>? = nil, integration: ODEIntegration<Double>, source: String,
    dequantizationSeed: UInt64? = nil, velocityDraws: Int = 1,
    consume: @escaping (_ nll: [Double], _ baseline: [Double]?) throws -> Void
  ) {
    self.velocityDraws = velocityDraws
    self.points = points
    self.rows = rows
    self.integration = integration
    self.source = source
    self.dequantizationSeed = dequantizationSeed
    self.consume = consume
  }

  /// The model's dimension, its dequantisation, and for a critically-damped Langevin model the
  /// sentence that says the values are bounds.
  func run<Network: ScoreNetwork>(_ model: TrainedModel<Network>) throws -> (
    dimension: Int, dequantization: Dequantization?, bound: String?
  ) where Network.Scalar == Double {
    let baseline = model.conditionEncoding.dimension == 0 ? model.gaussianBaseline : nil
    try NLLCommand.negativeLogLikelihoods(
      of: points, rows: rows, under: model, integration: integration, source: source,
      dequantizationSeed: dequantizationSeed, velocityDraws: velocityDraws
    ) { nll, chunk in
      try consume(nll, baseline.map { b in b.logDensities(chunk).map { -$0 } })
    }
    var bound: String? = nil
    if case .criticallyDampedLangevin(_, let mass, let gamma, _) = model.process.kind {
      bound = String(
        format: "−E_v[log p(x, v)] − H(N(0, γM I)) with γM = %g, %d velocity draw(s) per point "
          + "(critically-damped Langevin models the density of (x, v); the ± includes the draws)",
        gamma * mass, velocityDraws)
    }
    return (model.dimension, dequantizationSeed == nil ? nil : model.dequantization, bound)
  }
}
