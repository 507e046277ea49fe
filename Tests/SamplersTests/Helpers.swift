import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// The 2-D Gaussian data of the moment tests: a correlated covariance with unequal variances,
/// so that a sampler with a wrong score scaling or a wrong noise level shows in some entry.
enum GaussianData {
  static let mean: [Double] = [1, -0.5]
  static let covariance = Matrix<Double>([[0.5, 0.3], [0.3, 0.4]])

  static func oracle<Process: GaussianSDE>(_ process: Process) -> GaussianScore<Process>
  where Process.Scalar == Double {
    try! GaussianScore(mean: mean, covariance: covariance, process: process)
  }
}

/// A well-separated 2-D mixture of three components with unequal weights.
enum MixtureData {
  static let weights: [Double] = [0.2, 0.3, 0.5]
  static let means: [[Double]] = [[-2, 0], [2, 1], [0, -2.5]]
  static let standardDeviations: [Double] = [0.35, 0.4, 0.3]

  static func oracle<Process: GaussianSDE>(_ process: Process) -> GaussianMixtureScore<Process>
  where Process.Scalar == Double {
    try! GaussianMixtureScore(
      weights: weights, means: means, standardDeviations: standardDeviations, process: process)
  }
}

/// The forward processes the sampler tests run on.
enum Process: String, CaseIterable, CustomTestStringConvertible {
  case vp, subVP, ve

  var testDescription: String { rawValue }

  /// Calls `body` with the concrete SDE (VE with σ_max = 20, the data's scale).
  func run<R>(_ body: (any GaussianSDE<Double>) throws -> R) rethrows -> R {
    switch self {
    case .vp: return try body(VPSDE<Double>())
    case .subVP: return try body(SubVPSDE<Double>())
    case .ve: return try body(VESDE<Double>(sigmaMin: 0.01, sigmaMax: 20))
    }
  }
}

/// Checks the sample mean and covariance of `x` against `N(mean, covariance)` within `bound`
/// standard errors (plus `bias`, a stated discretisation allowance, in absolute units).
///
/// Standard errors: `√(Σⱼⱼ/n)` for the mean, `√((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/n)` for covariance entries (normal
/// data).
func expectMoments(
  _ x: Matrix<Double>, mean: [Double], covariance: Matrix<Double>, standardErrors bound: Double = 4.5,
  bias: Double = 0, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let n = Double(x.rows)
  let m = x.columnMeans()
  let c = x.covariance()
  for j in mean.indices {
    let se = (covariance[j, j] / n).squareRoot()
    #expect(
      abs(m[j] - mean[j]) < bound * se + bias,
      "\(label): mean[\(j)] = \(m[j]), expected \(mean[j]) ± \(bound * se + bias)",
      sourceLocation: sourceLocation)
    for k in mean.indices {
      let sek = ((covariance[j, j] * covariance[k, k] + covariance[j, k] * covariance[j, k]) / n).squareRoot()
      #expect(
        abs(c[j, k] - covariance[j, k]) < bound * sek + bias,
        "\(label): cov[\(j), \(k)] = \(c[j, k]), expected \(covariance[j, k]) ± \(bound * sek + bias)",
        sourceLocation: sourceLocation)
    }
  }
}
