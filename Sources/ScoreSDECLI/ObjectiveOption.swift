import ArgumentParser
import ScoreMatching

/// `train --objective`: what the network predicts and how the denoising loss weighs the times.
enum ObjectiveOption: String, ExpressibleByArgument, CaseIterable {
  /// ε-prediction, `λ = σ²`, uniform times (Ho et al. 2020; Song et al. 2021).
  case noise
  /// Karras et al.'s (2022, EDM) preconditioned output with `σ_data = 1` (the data are
  /// standardised), their loss weighting and log-normal noise levels.
  case edm
  /// ε-prediction with the likelihood weighting `λ = g²` and importance-sampled times (Song,
  /// Durkan et al. 2021).
  case likelihood

  /// The loss settings.
  var loss: DenoisingOptions {
    switch self {
    case .noise: return DenoisingOptions()
    case .edm: return DenoisingOptions(parameterization: .edm(), weighting: .edm)
    case .likelihood: return DenoisingOptions(weighting: .likelihood)
    }
  }
}
