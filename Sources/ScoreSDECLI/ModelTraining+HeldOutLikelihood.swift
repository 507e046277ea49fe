import Datasets
import DiffusionProcesses
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

extension ModelTraining {
  /// Held-out rows whose exact NLL `train` measures as it goes, at most this many.
  static let likelihoodRows = 32
  /// The fixed RK4 steps of that NLL's probability-flow ODE.
  static let likelihoodSteps = 12
  /// Every this many held-out evaluations (and at the last) the NLL is measured.
  static let likelihoodInterval = 10

  /// The held-out NLL that `train` prints as it goes: exact divergence, ``likelihoodRows``
  /// evenly spaced held-out rows, RK4 with ``likelihoodSteps`` steps from ε to T, in data units
  /// (nats per point; `heldOut` is standardised, `logAbsDeterminant` the standardisation's
  /// log-Jacobian). The fixed coarse grid makes it a few percent off the `nll` command's value,
  /// but the same every time, so its course over training is what it shows: a rise while the
  /// denoising loss still falls is memorisation. Its cost, `rows · d` Jacobian products at
  /// `4 · steps` times, is bounded whatever the data's size. `nil` for conditional data and for
  /// processes whose state is not the data (critically-damped Langevin: the positions' NLL is
  /// only bounded, by `nll`, with velocity draws).
  static func heldOutLikelihood<Network: CommandLineNetwork, Process: LinearGaussianSDE>(
    of heldOut: Matrix<Float>, dataColumns d: Int, process: Process, settings: TrainingSettings,
    encoding: ConditionEncoding, logAbsDeterminant: Double, network: Network.Type
  ) -> ((Network) -> Double)? where Network.Scalar == Float, Process.Scalar == Float {
    guard heldOut.columns == d, process.stateDimension(dataDimension: d) == d, encoding.networkColumns == 0,
      heldOut.rows > 0
    else { return nil }
    let count = min(heldOut.rows, likelihoodRows)
    var points = Matrix<Float>(rows: count, columns: d)
    for i in 0..<count { points.setRow(i, to: heldOut.row(i * heldOut.rows / count)) }
    let parameterization = settings.configuration.loss.parameterization
    return { network in
      let score = NetworkScoreModel(network: network, process: process, parameterization: parameterization)
      let likelihood = ProbabilityFlowLikelihood(
        process: process, score: score, integration: .rungeKutta4(steps: likelihoodSteps))
      guard let result = try? likelihood.logLikelihood(of: points) else { return .nan }
      let mean = result.logLikelihoods.reduce(0.0) { $0 + Double($1) } / Double(count)
      return -(mean + logAbsDeterminant)
    }
  }
}
