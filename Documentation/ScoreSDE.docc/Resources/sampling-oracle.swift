let sde = VPSDE<Double>()
let oracle = try GaussianMixtureScore(
  weights: [0.2, 0.3, 0.5], means: [[-1, 0], [1, 0.5], [0, -1]],
  standardDeviations: [0.02, 0.02, 0.02], process: sde)
var rng = Xoshiro256(seed: 2022)
let exact = oracle.sample(count: 2000, using: &rng)  // draws of the true p₀
