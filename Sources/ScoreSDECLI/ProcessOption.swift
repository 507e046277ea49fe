import ArgumentParser
import DiffusionProcesses
import ScoreMatching

/// The forward SDE chosen with `--sde`.
enum ProcessOption: String, ExpressibleByArgument, CaseIterable {
  case vp, cosine, subvp, ve, ou

  /// The process with the literature's default parameters. OU is dx = −θx dt + σ dW with
  /// θ = 4 and σ = √8: a unit stationary variance reached to within e⁻⁸ at T = 1.
  var description: SDEDescription {
    switch self {
    case .vp: return SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20)))
    case .cosine: return SDEDescription(.vp(schedule: .cosine(offset: 0.008, maximumBeta: 20)))
    case .subvp: return SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20)))
    case .ve: return SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 50))
    case .ou: return SDEDescription(.ornsteinUhlenbeck(theta: 4, mean: 0, sigma: 8.0.squareRoot()))
    }
  }
}
