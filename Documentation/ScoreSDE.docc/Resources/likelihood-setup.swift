let sde = VPSDE<Double>()
let oracle = try GaussianMixtureScore(
  weights: [0.4, 0.6], means: [[-1.5, 0], [1.5, 0.5]], standardDeviations: [0.5, 0.3], process: sde)
var rng = Xoshiro256(seed: 4)
let data = oracle.sample(count: 200, using: &rng)
