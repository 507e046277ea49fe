let sde = VPSDE<Double>()
let weights = [0.25, 0.75]
let means: [[Double]] = [[-1, -1], [1, 1]]
let oracle = try GaussianMixtureScore(
  weights: weights, means: means, standardDeviations: [0.3, 0.3], process: sde)
