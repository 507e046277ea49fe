let broad = try GaussianMixtureScore(
  weights: [0.4, 0.6], means: [[-1], [0.8]], standardDeviations: [0.8, 0.9], process: sde)
let grid = (0...100).map { 0.05 + 0.0095 * Double($0) }
let paths = StochasticEntropyProduction(process: sde, score: broad)
  .simulate(data: broad.sample(count: 2000, using: &rng), times: grid, seed: 2)
let theorem = paths.integralFluctuationTheorem  // ⟨exp(−Δs_tot)⟩
print("⟨exp(−Δs_tot)⟩ = \(theorem.mean) ± \(theorem.standardError)")
