let exact = oracle.logDensity(data, at: sde.smallTimeCutoff)  // log p_ε, in closed form
let exactNLL = -exact.reduce(0, +) / Double(exact.count)
func largestError(_ result: LikelihoodResult<Double>) -> Double {
  zip(result.logLikelihoods, exact).map { abs($0 - $1) }.max()!
}
print("exact NLL \(exactNLL); largest error on a point \(largestError(result)) nats")
