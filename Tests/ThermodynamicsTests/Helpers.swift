import DiffusionProcesses
import Foundation
import LinearAlgebra
import RealModule
import TestSupport
import Testing
import Thermodynamics

/// The forward processes every closed form is checked on.
enum Process: String, CaseIterable, CustomTestStringConvertible {
  case vp, subVP, ve, ou

  var testDescription: String { rawValue }

  /// Calls `body` with the concrete SDE (opened from the existential by the generic callee).
  func run<R>(_ body: (any GaussianSDE<Double>) throws -> R) rethrows -> R {
    switch self {
    case .vp: return try body(VPSDE<Double>())
    case .subVP: return try body(SubVPSDE<Double>())
    case .ve: return try body(VESDE<Double>(sigmaMin: 0.01, sigmaMax: 10))
    case .ou: return try body(OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: 1, sigma: 0.8))
    }
  }
}

/// Heavier statistical checks (more samples, finer grids, every process) run only with
/// `THERMODYNAMICS_HEAVY=1`; the default suite runs a lighter version of each.
let heavyChecks = ProcessInfo.processInfo.environment["THERMODYNAMICS_HEAVY"] != nil

/// 2-D Gaussian data with unequal, correlated variances and a non-zero mean (so the mean's
/// motion dissipates too).
enum GaussianData {
  static let mean: [Double] = [1, -0.5]
  static let covariance = Matrix<Double>([[0.5, 0.2], [0.2, 0.3]])

  static func oracle<P: GaussianSDE>(_ process: P) -> GaussianScore<P> where P.Scalar == Double {
    try! GaussianScore(mean: mean, covariance: covariance, process: process)
  }
}

/// A score model off by a constant vector `c`: `s_θ = s + c` (divergence unchanged). Its Girsanov
/// divergence from the exact reverse process is `½‖c‖² ∫ g²`.
struct OffsetScore<Base: DivergenceScoreModel>: DivergenceScoreModel where Base.Workspace == Void {
  typealias Scalar = Base.Scalar
  let base: Base
  let offset: [Scalar]

  func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    base.score(x, at: t, into: &out)
    out.addToEachRow(offset)
  }

  func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Void
  ) {
    base.scoreAndDivergence(x, at: t, into: &out, divergence: &divergence, workspace: &workspace)
    out.addToEachRow(offset)
  }

  func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Void
  ) {
    base.scoreAndVectorJacobianProduct(x, at: t, probe: probe, into: &out, vjp: &vjp, workspace: &workspace)
    out.addToEachRow(offset)
  }
}

/// A score model scaled by `1 + δ`: `s_θ = (1 + δ)s`.
struct ScaledScore<Base: ScoreModel>: ScoreModel where Base.Workspace == Void {
  typealias Scalar = Base.Scalar
  let base: Base
  let factor: Scalar

  func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    base.score(x, at: t, into: &out)
    out *= factor
  }
}

/// `#expect` that a Monte Carlo estimate lies within `k` of its standard errors of `exact`, plus
/// the rounding of the sums behind both (`roundingTolerance` for `count` terms, relative to
/// `max(1, |exact|)`), which matters only when the estimator has no variance at all (a constant
/// integrand, a term that vanishes identically).
func expectWithin(
  _ k: Double, standardErrorsOf estimate: MonteCarloEstimate, exact: Double, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let rounding = roundingTolerance(Double.self, terms: 100 * estimate.count) * max(1, abs(exact))
  #expect(
    abs(estimate.mean - exact) < k * estimate.standardError + rounding,
    "\(what): \(estimate) against \(exact) (\(estimate.standardErrors(from: exact)) SE)",
    sourceLocation: sourceLocation)
}
