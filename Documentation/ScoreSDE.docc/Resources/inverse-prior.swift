let sde = VPSDE<Double>()
// The prior: ½ N((−1, −1), 0.6² I) + ½ N((1, 1), 0.6² I), with its exact score.
let prior = try GaussianMixtureScore(
  weights: [0.5, 0.5], means: [[-1, -1], [1, 1]], standardDeviations: [0.6, 0.6], process: sde)
let y = 0.3
// We observe y = x₁ + n = 0.3 with n ~ N(0, σ_y²). Given y, component k has weight
// ∝ wₖ N(y; μₖ₁, 0.6² + σ_y²), and x₂ (independent of x₁ within a component) has mean μₖ₂.
func exactMean(observationNoise: Double) -> Double {
  let variance = 0.36 + observationNoise * observationNoise
  let likelihoods = [-1.0, 1.0].map { exp(-0.5 * pow(y - $0, 2) / variance) }
  let upper = likelihoods[1] / (likelihoods[0] + likelihoods[1])
  return upper * 1 + (1 - upper) * -1
}
print(
  "exact E[x₂ | y]: \(exactMean(observationNoise: 0)) (σ_y = 0), \(exactMean(observationNoise: 0.1)) (σ_y = 0.1)"
)
