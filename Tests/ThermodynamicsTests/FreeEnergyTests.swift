import Datasets
import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing
import Thermodynamics

/// `log Z` of the double well `U = a(x₁² − 1)² + x₂²/2` at temperature T by Simpson quadrature,
/// independent of `DoubleWell`'s own trapezoidal normaliser: `Z = ∫e^{−(a/T)(x²−1)²}dx · √(2πT)`.
func doubleWellLogZByQuadrature(barrier: Double, temperature: Double) -> Double {
  let beta = barrier / temperature
  let z1 = simpson(from: -4, to: 4, intervals: 20_000) { x in Double.exp(-beta * (x * x - 1) * (x * x - 1)) }
  return Double.log(z1) + Double.log(2 * Double.pi * temperature) / 2
}

/// The proposal: an equal mixture of Gaussians on the two wells, wider than the wells so that the
/// importance weights have a finite variance at both temperatures. Its exact density is the
/// mixture oracle's at t = 0 (the VP kernel is the identity there).
func doubleWellProposal() -> GaussianMixtureScore<VPSDE<Double>> {
  try! GaussianMixtureScore(
    weights: [0.5, 0.5], means: [[-1, 0], [1, 0]],
    covariances: [Matrix(diagonal: [0.3, 2.5]), Matrix(diagonal: [0.3, 2.5])], process: VPSDE<Double>())
}

/// `log Z` of the double well at T = 1 and T = 2 by importance sampling is within 3 standard errors
/// of quadrature, and the free-energy difference `F(2) − F(1)` from the same draws (paired
/// standard error) is within 3 SE of quadrature's.
@Test func doubleWellFreeEnergyMatchesQuadrature() {
  let proposal = doubleWellProposal()
  var rng = Xoshiro256(seed: 61)
  let x = proposal.sample(count: heavyChecks ? 200_000 : 20_000, using: &rng)
  let logq = proposal.logDensity(x, at: 0)
  var exact: [Double] = []
  var targets: [[Double]] = []
  for temperature in [1.0, 2.0] {
    let well = DoubleWell(barrier: 3, temperature: temperature)
    let logTarget = well.unnormalizedLogDensity(x)
    let estimate = FreeEnergy.logPartitionFunction(logTarget: logTarget, logProposal: logq)
    let reference = doubleWellLogZByQuadrature(barrier: 3, temperature: temperature)
    print("double well at T = \(temperature): \(estimate), quadrature \(reference)")
    expectWithin(3, standardErrorsOf: estimate.estimate, exact: reference, "log Z at T = \(temperature)")
    #expect(estimate.effectiveSampleSize > Double(x.rows) / 10, "ESS \(estimate.effectiveSampleSize)")
    exact.append(reference)
    targets.append(logTarget)
  }
  let difference = FreeEnergy.difference(
    logTargetA: targets[0], temperatureA: 1, logTargetB: targets[1], temperatureB: 2, logProposal: logq)
  let reference = -2 * exact[1] + 1 * exact[0]
  print("F(2) − F(1): \(difference), quadrature \(reference)")
  expectWithin(3, standardErrorsOf: difference, exact: reference, "F(2) − F(1)")
}

/// Importance sampling from the target itself has equal weights: `log Z` exact, ESS = n, SE = 0.
@Test func perfectProposalGivesExactPartitionFunction() {
  let proposal = doubleWellProposal()
  var rng = Xoshiro256(seed: 62)
  let x = proposal.sample(count: 100, using: &rng)
  let logq = proposal.logDensity(x, at: 0)
  let shifted = logq.map { $0 + 2.5 }  // an unnormalised copy of q with Z = e^{2.5}
  let estimate = FreeEnergy.logPartitionFunction(logTarget: shifted, logProposal: logq)
  #expect(abs(estimate.logNormalizer - 2.5) < 1e-12)
  #expect(abs(estimate.effectiveSampleSize - 100) < 1e-9)
  #expect(estimate.standardError < 1e-12)
}

/// The Boltzmann generator end to end: the exact mixture score stands in for a trained model,
/// the probability-flow ODE (Dormand–Prince at 1e-5) draws 300 samples and gives their exact
/// log q, and `log Z` of the double well at T = 1 is within 3 standard errors of quadrature. (A
/// trained network would only change the proposal; the estimator is the same. The ODE model's
/// `q` is the push-forward of the prior, not the mixture itself: they differ by the prior
/// mismatch, 3e-4 nats at most here, which is why `log q` is computed, not taken from the oracle.)
@Test func boltzmannGeneratorEstimatesDoubleWellPartitionFunction() throws {
  let proposal = doubleWellProposal()
  let generator = BoltzmannGenerator(
    process: proposal.process, score: proposal,
    integration: .adaptive(PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5)), startTime: 1e-3)
  let (x, logq) = try generator.sample(count: heavyChecks ? 4000 : 300, dimension: 2, seed: 63)
  let well = DoubleWell(barrier: 3, temperature: 1)
  let estimate = FreeEnergy.logPartitionFunction(logTarget: well.unnormalizedLogDensity(x), logProposal: logq)
  let reference = doubleWellLogZByQuadrature(barrier: 3, temperature: 1)
  print("Boltzmann generator: \(estimate), quadrature \(reference)")
  expectWithin(3, standardErrorsOf: estimate.estimate, exact: reference, "log Z by the probability-flow ODE")
}
