import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing
import Thermodynamics

/// The symmetric two-Gaussian mixture `½N(±m, σ₀²I)` in 4-D.
let halfSeparation: [Double] = [2, 1, 0, 0]
let componentVariance = 0.25

func symmetricMixture<P: GaussianSDE>(_ sde: P) -> GaussianMixtureScore<P> where P.Scalar == Double {
  try! GaussianMixtureScore(
    weights: [0.5, 0.5], means: [halfSeparation, halfSeparation.map { -$0 }],
    standardDeviations: [componentVariance.squareRoot(), componentVariance.squareRoot()], process: sde)
}

/// The sign change of the largest Hessian eigenvalue of `log p_t` at the saddle, measured from the
/// exact mixture score, is the closed-form time `SNR(t)(‖m‖² − σ₀²) = 1` on every process: within
/// the bisection bracket (10⁻⁶ T) plus the finite-difference Hessian's error (relative ~1e-10 of a
/// curvature whose time derivative is O(1)), so 10⁻⁵ is a bound, not a guess.
@Test(arguments: Process.allCases)
func measuredSpeciationMatchesClosedForm(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let oracle = symmetricMixture(sde)
    let closed = try #require(
      Speciation.symmetricMixtureTime(
        process: sde, halfSeparation: halfSeparation, componentVariance: componentVariance))
    let measured = try #require(
      try Speciation.measuredTime(process: sde, score: oracle, saddle: [0, 0, 0, 0]))
    print("speciation \(process): measured \(measured), closed form \(closed)")
    #expect(abs(measured - closed) < 1e-5, "\(process): measured \(measured), closed form \(closed)")
    // On either side the curvature has the expected sign.
    for (t, positive) in [(closed / 2, true), ((closed + sde.endTime) / 2, false)] {
      let b = sde.marginalShift(at: t)
      let curvature = try Speciation.largestCurvature(score: oracle, at: [b, b, b, b], time: t)
      #expect((curvature > 0) == positive, "\(process): curvature \(curvature) at \(t)")
    }
  }
  try process.run { try check($0) }
}

/// Biroli et al.'s estimate `SNR(t)·Λ = 1` with `Λ = ‖m‖² + σ₀²` (the largest eigenvalue of the
/// mixture's covariance) differs from the exact time by exactly
/// `Δλ = log((‖m‖² + σ₀²)/(‖m‖² − σ₀²))` in log-SNR (to the closed-form inverse's rounding), and
/// for VP reduces to their `e^{B(t_S)} = Λ + 1`, i.e. `t_S = ½ log Λ` in their time for large Λ.
@Test(arguments: Process.allCases)
func covarianceEstimateAgreesWithClosedForm(process: Process) throws {
  func check<P: GaussianSDE>(_ sde: P) throws where P.Scalar == Double {
    let m2 = halfSeparation.reduce(0) { $0 + $1 * $1 }
    let estimate = Speciation.estimatedTime(process: sde, largestEigenvalue: m2 + componentVariance)
    let closed = try #require(
      Speciation.symmetricMixtureTime(
        process: sde, halfSeparation: halfSeparation, componentVariance: componentVariance))
    let gap = sde.logSignalToNoiseRatio(at: closed) - sde.logSignalToNoiseRatio(at: estimate)
    let expected = Double.log((m2 + componentVariance) / (m2 - componentVariance))
    #expect(abs(gap - expected) < 1e-8, "\(process): Δλ \(gap), expected \(expected)")
    #expect(estimate > closed, "\(process): the covariance estimate is later (Λ > ‖m‖² − σ₀²)")
  }
  try process.run { try check($0) }
  if process == .vp {
    let sde = VPSDE<Double>()
    let lambda = 40.0
    let t = Speciation.estimatedTime(process: sde, largestEigenvalue: lambda)
    let integrated = sde.schedule.integratedBeta(from: 0, to: t)
    #expect(abs(integrated - Double.log(lambda + 1)) < 1e-10, "B(t_S) = \(integrated)")
  }
}

/// The estimate from data samples uses their covariance's top eigenvalue: for 20 000 draws of
/// the mixture it lands within 4 SE of the exact-Λ time, the SE from the delta method for the top
/// eigenvalue of a sample covariance (`Var λ̂ ≈ Var((x·u)²)/n`, measured on the draws) through
/// `dt/dΛ` (central difference).
@Test func covarianceEstimateFromSamples() throws {
  let sde = VPSDE<Double>()
  let oracle = symmetricMixture(sde)
  var rng = Xoshiro256(seed: 51)
  let data = oracle.sample(count: 20_000, using: &rng)
  let estimate = try Speciation.estimatedTime(process: sde, data: data)
  let m2 = halfSeparation.reduce(0) { $0 + $1 * $1 }
  let lambda = m2 + componentVariance
  let exact = Speciation.estimatedTime(process: sde, largestEigenvalue: lambda)
  let u = halfSeparation.map { $0 / m2.squareRoot() }
  let projections = (0..<data.rows).map { i in
    let p = zip(data.row(i), u).reduce(0) { $0 + $1.0 * $1.1 }
    return p * p
  }
  let seLambda = SampleMoments(projections).standardErrorOfMean
  let slope =
    (Speciation.estimatedTime(process: sde, largestEigenvalue: lambda * 1.001)
      - Speciation.estimatedTime(process: sde, largestEigenvalue: lambda * 0.999)) / (0.002 * lambda)
  let se = abs(slope) * seLambda
  #expect(abs(estimate - exact) < 4 * se, "estimate \(estimate), exact-Λ \(exact), SE \(se)")
}
