import DiffusionProcesses
import Foundation
import LinearAlgebra
import Testing

/// Every process kind → description → `StandardSDE` reproduces the process exactly, and the
/// description survives JSON.
@Test func processDescriptionsRebuildTheProcess() throws {
  func check<P: GaussianSDE<Double>>(_ process: P, name: String) throws {
    guard let description = SDEDescription(process) else {
      Issue.record("\(P.self) has no description")
      return
    }
    #expect(description.name == name && description.validationFailure == nil)
    let json = try JSONEncoder().encode(description)
    #expect(try JSONDecoder().decode(SDEDescription.self, from: json) == description)
    let rebuilt = StandardSDE<Double>(description)
    let x = Matrix<Double>([[0.3, -1.2], [2.0, 0.1]])
    #expect(SDEDescription(rebuilt) == description)
    #expect(rebuilt.endTime == process.endTime)
    for t in [1e-4, 0.3, 0.95] {
      #expect(rebuilt.marginal(at: t) == process.marginal(at: t))
      #expect(rebuilt.marginalShift(at: t) == process.marginalShift(at: t))
      #expect(rebuilt.diffusion(at: t) == process.diffusion(at: t))
      #expect(rebuilt.linearDrift(at: t) == process.linearDrift(at: t))
      #expect(rebuilt.transition(from: t / 2, to: t) == process.transition(from: t / 2, to: t))
      let lambda = process.logSignalToNoiseRatio(at: t)
      #expect(rebuilt.time(atLogSignalToNoiseRatio: lambda) == process.time(atLogSignalToNoiseRatio: lambda))
      let sigma = process.marginal(at: t).standardDeviation
      #expect(rebuilt.time(atStandardDeviation: sigma) == process.time(atStandardDeviation: sigma))
      #expect(rebuilt.drift(x, at: t) == process.drift(x, at: t))
    }
    // The prior, through the one dispatch.
    var (rng1, rng2) = (Xoshiro256(seed: 3), Xoshiro256(seed: 3))
    #expect(
      rebuilt.samplePrior(count: 3, dimension: 2, using: &rng1)
        == process.samplePrior(count: 3, dimension: 2, using: &rng2))
    #expect(rebuilt.priorLogDensity(x) == process.priorLogDensity(x))
  }
  try check(VPSDE<Double>(betaMin: 0.2, betaMax: 15, endTime: 2), name: "vp")
  try check(VPSDE<Double>(schedule: .cosine()), name: "cosine")
  try check(SubVPSDE<Double>(), name: "subvp")
  try check(VESDE<Double>(sigmaMin: 0.02, sigmaMax: 30), name: "ve")
  try check(OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: -1, sigma: 0.5), name: "ou")
  #expect(SDEDescription(DefaultsOnly(base: VPSDE<Double>())) == nil)
  #expect(SDEDescription(.ve(sigmaMin: 1, sigmaMax: 1)).validationFailure != nil)
  #expect(
    SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20)), endTime: 0).validationFailure != nil)
}
