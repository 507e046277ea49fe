let sde = VPSDE<Double>()
let mixture = try GaussianMixtureScore(
  weights: [0.5, 0.5], means: [[-2, 0], [2, 0]], standardDeviations: [0.5, 0.5], process: sde)
var rng = Xoshiro256(seed: 1)
let data = mixture.sample(count: 1000, using: &rng)
