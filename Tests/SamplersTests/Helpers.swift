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

  /// Calls `body` with the concrete SDE. VE uses σ_max = 100: its prior `N(0, σ_max²I)` ignores
  /// the data mean, which the probability flow carries to a bias of about `√λ/σ_max·|μ|` in the
  /// sample mean (0.007 here, half a standard error of the moment tests).
  func run<R>(_ body: (any GaussianSDE<Double>) throws -> R) rethrows -> R {
    switch self {
    case .vp: return try body(VPSDE<Double>())
    case .subVP: return try body(SubVPSDE<Double>())
    case .ve: return try body(VESDE<Double>(sigmaMin: 0.01, sigmaMax: 100))
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

/// The exact probability-flow map of Gaussian data `N(μ, Σ)` from time `s` to time `t`, written
/// independently of the library: in the eigenbasis `Σ = V Λ Vᵀ`, each coordinate of `x − m`
/// scales by `√(v_t/v_s)` with `v = scale²λₖ + std²` and `m = scale·μ + shift` (the flow of
/// `dx/dt = a(t)x + b(t) + ½g²Σ_t⁻¹(x − m_t)` solves to this because `dv/dt = 2a·v + g²`).
func exactGaussianFlow<Process: GaussianSDE>(
  _ sde: Process, mean: [Double], covariance: Matrix<Double>, _ x: Matrix<Double>, from s: Double,
  to t: Double
) -> Matrix<Double> where Process.Scalar == Double {
  let (values, vectors) = try! covariance.symmetricEigendecomposition()
  let d = mean.count
  let (aS, sS) = sde.marginal(at: s)
  let (aT, sT) = sde.marginal(at: t)
  let bS = sde.marginalShift(at: s)
  let bT = sde.marginalShift(at: t)
  var y = x
  for i in 0..<x.rows {
    var out = [Double](repeating: 0, count: d)
    for k in 0..<d {
      var projection = 0.0
      for j in 0..<d { projection += vectors[j, k] * (x[i, j] - aS * mean[j] - bS) }
      let ratio = ((aT * aT * values[k] + sT * sT) / (aS * aS * values[k] + sS * sS)).squareRoot()
      for j in 0..<d { out[j] += vectors[j, k] * projection * ratio }
    }
    for j in 0..<d { y[i, j] = aT * mean[j] + bT + out[j] }
  }
  return y
}

/// The least-squares slope of `log y` against `log x`.
func logLogSlope(_ x: [Double], _ y: [Double]) -> Double {
  let lx = x.map { Double.log($0) }
  let ly = y.map { Double.log($0) }
  let mx = lx.reduce(0, +) / Double(lx.count)
  let my = ly.reduce(0, +) / Double(ly.count)
  var sxy = 0.0
  var sxx = 0.0
  for (a, b) in zip(lx, ly) {
    sxy += (a - mx) * (b - my)
    sxx += (a - mx) * (a - mx)
  }
  return sxy / sxx
}
