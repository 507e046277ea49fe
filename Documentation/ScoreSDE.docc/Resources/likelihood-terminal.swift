// The prior N(0, I) is not exactly p_T: with the true p_T at the end, only the ODE's error is left.
let sharp = try likelihood.logLikelihood(
  of: data, terminalLogDensity: { oracle.logDensity($0, at: sde.endTime) })
print("with the exact p_T: NLL \(sharp.negativeLogLikelihood), largest error \(largestError(sharp)) nats")
