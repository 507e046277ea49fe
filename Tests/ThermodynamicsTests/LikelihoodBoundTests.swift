import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing
import Thermodynamics

/// With the exact score and the exact terminal density the bound is tight: every point's
/// estimate is within 4 SE of its exact `−log p_ε(y)`, on every process.
@Test(arguments: Process.allCases)
func likelihoodBoundIsTightForExactScore(process: Process) {
  func check<P: GaussianSDE>(_ sde: P) where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    var rng = Xoshiro256(seed: 41)
    let points = sde.perturb(oracle.sample(count: 6, using: &rng), at: sde.smallTimeCutoff, using: &rng)
      .perturbed
    let result = ScoreLikelihoodBound(process: sde, score: oracle)
      .negativeLogLikelihoodBound(
        of: points, rounds: heavyChecks ? 4000 : 400, seed: 3,
        terminalLogDensity: { oracle.logDensity($0, at: sde.endTime) })
    let nll = oracle.logDensity(points, at: sde.smallTimeCutoff).map { -$0 }
    print("bound \(process), point 0: \(result.perPoint[0]), exact NLL \(nll[0])")
    for (i, estimate) in result.perPoint.enumerated() {
      expectWithin(4, standardErrorsOf: estimate, exact: nll[i], "\(process) point \(i)")
    }
  }
  process.run { check($0) }
}

/// With the prior `π` the estimate matches the closed form
/// `−log p_ε(y) + E[log p_T(x_T) − log π(x_T) | y]` of `GaussianScore.scoreLikelihoodBound`,
/// within 4 SE per point.
@Test(arguments: Process.allCases)
func likelihoodBoundMatchesGaussianClosedForm(process: Process) {
  func check<P: GaussianSDE>(_ sde: P) where P.Scalar == Double {
    let oracle = GaussianData.oracle(sde)
    var rng = Xoshiro256(seed: 42)
    let points = oracle.sample(count: 6, using: &rng)
    let result = ScoreLikelihoodBound(process: sde, score: oracle)
      .negativeLogLikelihoodBound(of: points, rounds: heavyChecks ? 4000 : 400, seed: 4)
    let exact = oracle.scoreLikelihoodBound(of: points)
    for (i, estimate) in result.perPoint.enumerated() {
      expectWithin(4, standardErrorsOf: estimate, exact: exact[i], "\(process) point \(i)")
    }
  }
  process.run { check($0) }
}

/// On mixtures (1-D and 2-D) with the exact score: the bound with the exact terminal density is
/// within 4 SE of the true NLL, and the bound with the prior is not below the probability-flow
/// NLL (exact score, prior, Dormand–Prince at 1e-8) by more than 4 SE — they are reported side
/// by side.
@Test func likelihoodBoundOnMixturesAgainstProbabilityFlow() throws {
  let sde = VPSDE<Double>()
  let oracles = [
    try GaussianMixtureScore(
      weights: [0.3, 0.7], means: [[-1.5], [1]], standardDeviations: [0.3, 0.5], process: sde),
    try GaussianMixtureScore(
      weights: [0.2, 0.3, 0.5], means: [[-2, 0], [2, 1], [0, -2.5]], standardDeviations: [0.35, 0.4, 0.3],
      process: sde),
  ]
  for oracle in oracles {
    var rng = Xoshiro256(seed: 43)
    let points = oracle.sample(count: 5, using: &rng)
    let bound = ScoreLikelihoodBound(process: sde, score: oracle)
    let tight = bound.negativeLogLikelihoodBound(
      of: points, rounds: heavyChecks ? 4000 : 400, seed: 5,
      terminalLogDensity: { oracle.logDensity($0, at: sde.endTime) })
    let withPrior = bound.negativeLogLikelihoodBound(of: points, rounds: heavyChecks ? 4000 : 400, seed: 6)
    let nll = oracle.logDensity(points, at: sde.smallTimeCutoff).map { -$0 }
    let flow = try ProbabilityFlowLikelihood(
      process: sde, score: oracle,
      integration: .adaptive(PIController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8))
    ).logLikelihood(of: points).logLikelihoods.map { -$0 }
    print(
      "\(oracle.dimension)-D mixture, point 0: tight \(tight.perPoint[0]), exact \(nll[0]),",
      "with prior \(withPrior.perPoint[0]), PF-ODE \(flow[0])")
    for i in 0..<points.rows {
      expectWithin(4, standardErrorsOf: tight.perPoint[i], exact: nll[i], "\(oracle.dimension)-D point \(i)")
      let e = withPrior.perPoint[i]
      #expect(
        e.mean > flow[i] - 4 * e.standardError,
        "\(oracle.dimension)-D point \(i): bound \(e) below the PF-ODE NLL \(flow[i])")
    }
  }
}
