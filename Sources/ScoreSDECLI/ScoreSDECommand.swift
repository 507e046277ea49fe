import ArgumentParser
import Dispatch
import Foundation
import LinearAlgebra

/// `score-sde`: learn a density from samples, draw new samples, evaluate likelihoods.
@main
struct ScoreSDECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score-sde",
    abstract: "Score-based generative modeling with stochastic differential equations.",
    discussion: """
      Learn a probability density from samples (a built-in density or your .npy / .csv file), \
      then draw new samples and evaluate exact log-likelihoods through the probability-flow ODE.

      Start with `score-sde demo`, which trains on a 2-D checkerboard in about a minute and writes \
      the model, samples and plots into ./score-sde-demo.
      """,
    subcommands: [
      DemoCommand.self, TrainCommand.self, SampleCommand.self, NLLCommand.self, DensityCommand.self,
      ThermoCommand.self, DatasetsCommand.self, ConvertCommand.self, MergeCommand.self, ExportCommand.self,
    ])

  /// Sets up the threads (``Workers``) and the interrupt handling, then runs the command line.
  static func main() {
    Workers.configure()
    Interruption.install()
    main(nil)
  }
}
