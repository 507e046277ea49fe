let likelihood = ProbabilityFlowLikelihood(
  process: sde, score: oracle,
  integration: .adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8)))
let result = try likelihood.logLikelihood(of: data)
print(
  "NLL \(result.negativeLogLikelihood) nats per point,",
  "\(result.statistics.scoreEvaluations) score evaluations")
