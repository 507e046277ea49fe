var rng = Xoshiro256(seed: 5)
let states = oracle.sample(count: 20, using: &rng)  // (x₀, v₀), v₀ ~ N(0, γM I)
let likelihood = ProbabilityFlowLikelihood(
  process: cld, score: oracle,
  integration: .adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8)))
let result = try likelihood.logLikelihood(of: states) { oracle.logDensity($0, at: cld.endTime) }
let exact = oracle.logDensity(states, at: cld.smallTimeCutoff)
let worst = zip(result.logLikelihoods, exact).map { abs($0 - $1) }.max()!
print("largest error of log p(x, v):", worst, "nats")
