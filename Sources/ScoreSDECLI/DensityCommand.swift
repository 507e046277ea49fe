import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `score-sde density`: the model's log-density on a regular grid, as a .npy array and a heat map.
struct DensityCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "density",
    abstract:
      "The model's log-density log ρ on a regular 2-D grid (probability-flow ODE), as .npy and a heat map.",
    discussion: """
      Each grid point's log ρ is the exact probability-flow ODE log-likelihood that `score-sde nll` \
      computes (same solver, same blocks of 125 points, so the same numbers: log ρ = −NLL), in the \
      data's units (the standardisation's log-Jacobian included), in nats.

      --grid has one entry per data dimension: lo:hi:count for an axis (count nodes from lo to hi, \
      both included, as numpy.linspace) or a single number to fix that coordinate (a slice: \
      -3:3:100,-3:3:100,0.5 is the plane x₃ = 0.5 of a 3-D model). Exactly two entries are axes.

      The .npy array has shape (n_y, n_x): entry [i, j] is log ρ at (x[j], y[i]) with x the first \
      axis and y the second, the layout of numpy.meshgrid(x, y) (indexing='xy'): \
      X, Y = np.meshgrid(np.linspace(...), np.linspace(...)); plt.pcolormesh(X, Y, np.exp(L)).
      """)

  @Option(help: "The model file written by `score-sde train`.")
  var model: String

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "The grid: one comma-separated entry per data dimension, lo:hi:count (an axis) or a number (a fixed "
        + "coordinate); two axes, at most \(DensityGrid<Double>.defaultMaximumPointCount) points.",
      valueName: "lo:hi:count,…"))
  var grid: String

  @Option(
    parsing: .unconditional,
    help: "Conditioning values for a conditional model, comma-separated, in the data's units.")
  var condition: String?

  @Option(name: [.customLong("out"), .customLong("output")], help: "Where to write log ρ (.npy).")
  var out: String

  @Option(help: "Also write a heat map of log ρ (.svg).")
  var plot: String?

  @Option(help: "Fixed RK4 steps instead of the adaptive Dormand–Prince solver (rtol = atol = 1e-5).")
  var steps: Int?

  /// Points per chunk (a progress report after each); the values do not depend on it.
  static let chunkSize = 500
  /// The span of log ρ below its maximum that the heat map colours (lower values are clipped).
  static let plottedRange = 15.0

  func validate() throws {
    try validateSteps(steps)
    if URL(fileURLWithPath: out).pathExtension.lowercased() != "npy" {
      throw ValidationError("--out must name a .npy file, got '\(out)'")
    }
    if let plot, URL(fileURLWithPath: plot).pathExtension.lowercased() != "svg" {
      throw ValidationError("--plot must name an .svg file, got '\(plot)'")
    }
  }

  func run() throws {
    var outputs = CommandOutputs(inputs: [("--model", model)])
    let values = try outputs.add(out, option: "--out")
    let plotFile = try plot.map { try outputs.add($0, option: "--plot") }
    let started = Date()
    let result = try DensityEvaluation(command: self).run(modelAt: URL(fileURLWithPath: model))
    let (density, labels) = (result.density, result.labels)
    let axes = density.grid.axes
    let matrix = density.matrix
    if let bad = matrix.nonFiniteReport() {
      throw CLIError(
        "log ρ is not finite (\(bad.firstValue)) at grid point \(bad.firstRow * matrix.columns + bad.firstColumn + 1); "
          + "try --steps or a smaller grid")
    }
    try CommandOutputs.checkSpace(Double(matrix.count * 8 + 128), for: out, option: "--out")
    try values.write(NumPyFile.header(rows: matrix.rows, columns: matrix.columns, of: Double.self))
    try values.write(NumPyFile.encodedRows(matrix))
    if let plotFile {
      let svg = Plots.densityMap(
        matrix, xRange: axes[0].lowerBound...axes[0].upperBound,
        yRange: axes[1].lowerBound...axes[1].upperBound,
        title: "log ρ" + (condition.map { " given \($0)" } ?? ""), xLabel: labels.x, yLabel: labels.y,
        colorbarLabel: "log ρ (nats)", dynamicRange: Self.plottedRange)
      try plotFile.write(svg.rendered)
    }
    try outputs.commit()
    let top = density.logDensities.indices.max { density.logDensities[$0] < density.logDensities[$1] }!
    let peak = density.grid.points(top..<(top + 1)).row(0)
    print(
      String(
        format: "wrote log ρ, %d × %d (rows: %d %@ ∈ [%g, %g]; columns: %d %@ ∈ [%g, %g]), to %@%@ in %.2f s",
        axes[1].count, axes[0].count, axes[1].count, labels.y, axes[1].lowerBound, axes[1].upperBound,
        axes[0].count, labels.x, axes[0].lowerBound, axes[0].upperBound, out,
        plot.map { " and a heat map to \($0)" } ?? "",
        Date().timeIntervalSince(started)))
    print(
      String(
        format: "∫ρ over the grid (trapezoid rule) = %.6f%@; largest log ρ %.4f at (%@)",
        density.integratedDensity,
        density.grid.dimension > 2 ? " (on a slice: the mass of the unnormalised conditional)" : "",
        density.logDensities[top], peak.map { String(format: "%g", $0) }.joined(separator: ", ")))
  }
}

/// `density`'s work on a model of any network: log ρ on the grid in the data's units.
struct DensityEvaluation: TrainedModelTask {
  typealias Scalar = Double
  let command: DensityCommand

  func run<Network: ScoreNetwork>(_ trained: TrainedModel<Network>) throws -> (
    density: GridLogDensity<Double>, labels: (x: String, y: String)
  ) where Network.Scalar == Double {
    try trained.requireIsotropicKernel(command: "density", path: command.model)
    let d = trained.dimension
    let grid: DensityGrid<Double>
    do {
      grid = try DensityGrid(parsing: command.grid, dimension: d)
    } catch {
      throw CLIError("--grid \(command.grid): \(error.description)")
    }
    guard grid.axes.count == 2 else {
      throw CLIError(
        "--grid \(command.grid): \(grid.axes.count) entr\(grid.axes.count == 1 ? "y is an axis" : "ies are axes"); "
          + "exactly two must be lo:hi:count (fix the others with a single number)")
    }
    let k = trained.conditionEncoding.dimension
    let values = try command.condition.map { try parseValues($0, option: "--condition") }
    switch (k, values) {
    case (0, nil): break
    case (0, .some): throw CLIError("\(command.model): the model is unconditional; drop --condition")
    case (_, nil):
      throw CLIError("\(command.model): the model is conditional on \(k) value(s): pass --condition")
    case (_, .some(let v)) where v.count != k:
      throw CLIError("--condition has \(v.count) value(s), the model takes \(k)")
    default: break
    }
    let score = values.map { trained.scoreModel(conditionInDataUnits: $0) } ?? trained.scoreModel()
    let integration: ODEIntegration<Double> = command.steps.map { .rungeKutta4(steps: $0) } ?? .standard
    var bar = ProgressBar(label: "density", total: grid.pointCount)
    try trained.checkTransformDomain(of: grid, option: "--grid \(command.grid)")
    let density = try ProbabilityFlowLikelihood(process: trained.sde, score: score, integration: integration)
      .logDensity(
        on: grid, chunkSize: DensityCommand.chunkSize, blockRows: NLLCommand.blockRows,
        threads: Workers.count,
        toModelCoordinates: { trained.toModelScale(&$0) }, logJacobian: trained.logDensityCorrection,
        progress: { bar.update($0.completedPoints, etaSeconds: $0.estimatedSecondsRemaining) })
    bar.finish()
    let names = grid.axisDimensions.map { "x\(subscriptDigits($0 + 1))" }
    return (trained.addingTransformJacobians(to: density), (names[0], names[1]))
  }
}

/// `12` as `₁₂`.
func subscriptDigits(_ n: Int) -> String {
  String(String(n).map { c in Character(UnicodeScalar(0x2080 + Int(c.asciiValue! - 48))!) })
}
