import DiffusionProcesses
import LinearAlgebra
import RealModule
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// The Gaussian test data N(μ, Σ) in 2-D, with the eigen-decomposition of Σ.
struct GaussianData {
  let mean: [Double] = [1, -0.5]
  let covariance = Matrix<Double>([[1.5, 0.6], [0.6, 0.8]])
  let eigenvalues: [Double]
  let eigenvectors: Matrix<Double>

  init() {
    let (values, vectors) = try! covariance.symmetricEigendecomposition()
    eigenvalues = values
    eigenvectors = vectors
  }

  var dimension: Int { 2 }

  /// `n` draws of the data, `μ + L z`.
  func sample(count n: Int, using rng: inout Xoshiro256) -> Matrix<Double> {
    let l = try! Cholesky(covariance).lower
    let z = Matrix<Double>.randomNormal(rows: n, columns: 2, using: &rng)
    var x = Matrix<Double>.product(z, l, transposingB: true)
    x.addToEachRow(mean)
    return x
  }

  /// The exact score `−Σ_t⁻¹(x − m_t)` of one point, `Σ_t⁻¹ = V diag(1/(a²λ + σ²)) Vᵀ`.
  func score(_ x: [Double], scale a: Double, shift b: Double, standardDeviation s: Double) -> [Double] {
    let y = (0..<2).map { x[$0] - a * mean[$0] - b }
    var w = [0.0, 0.0]
    for k in 0..<2 {
      w[k] = (eigenvectors[0, k] * y[0] + eigenvectors[1, k] * y[1]) / (a * a * eigenvalues[k] + s * s)
    }
    return (0..<2).map { -(eigenvectors[$0, 0] * w[0] + eigenvectors[$0, 1] * w[1]) }
  }

  /// `E‖s* + z/σ‖²` at one time: `Σ_k a²λ_k / (σ²(a²λ_k + σ²))`.
  func minimumScoreError(scale a: Double, standardDeviation s: Double) -> Double {
    eigenvalues.reduce(0) { $0 + a * a * $1 / (s * s * (a * a * $1 + s * s)) }
  }
}

/// λ(t) of a weighting, written from its definition (not from the library's κ).
/// `cutoff` is the ε the `.edm` weighting's log-normal density is truncated at.
func lambda<P: GaussianSDE<Double>>(
  _ weighting: LossWeighting, _ process: P, at t: Double, cutoff: Double
) -> Double {
  switch weighting {
  case .noise: return process.marginalVariance(at: t)
  case .likelihood:
    let g = process.diffusion(at: t)
    return g * g
  case .uniform: return 1
  case .edm:
    // q_LN(t)·(T − ε)·λ_D(σ̃)·σ⁴/a², with q_LN from the log-normal CDF by central differences.
    let (a, s) = process.marginal(at: t)
    let sigma = s / a
    let lambdaD = (sigma * sigma + 1) / (sigma * sigma)
    return logNormalDensity(process, at: t, smallTimeCutoff: cutoff) * (process.endTime - cutoff)
      * lambdaD * s * s * s * s / (a * a)
  }
}

/// The density of EDM's `ln(σ/a) ~ N(−1.2, 1.2²)` truncated to `[ε, T]`, as a density of `t`,
/// from the normal CDF (`erfc`) by a fourth-order central difference.
func logNormalDensity<P: GaussianSDE<Double>>(_ process: P, at t: Double, smallTimeCutoff eps: Double)
  -> Double
{
  func cdf(_ t: Double) -> Double {
    let (a, s) = process.marginal(at: t)
    return 0.5 * Double.erfc(-(Double.log(s / a) + 1.2) / (1.2 * 2.0.squareRoot()))
  }
  // Fourth-order central difference (truncation ~h⁴, rounding ~1e-16/h).
  let h = 1e-4 * t
  let derivative = (8 * (cdf(t + h) - cdf(t - h)) - (cdf(t + 2 * h) - cdf(t - 2 * h))) / (12 * h)
  return derivative / (cdf(process.endTime) - cdf(eps))
}

/// EDM's `(c_skip, c_out)` with `σ_data = 1`, from Karras et al. (2022), Table 1.
func edmSkipAndOut(scale a: Double, standardDeviation s: Double) -> (skip: Double, out: Double) {
  let sigma = s / a
  return (1 / (sigma * sigma + 1), sigma / (sigma * sigma + 1).squareRoot())
}

/// The network output for the exact score at each row of a batch, in `parameterization`, with
/// the ε-space offset `eta` added (`ε̂ = ε* + η`): score `s* − η/σ`, noise `ε* + η`,
/// data `(x − shift − σ(ε* + η))/a`.
func exactOutput<P: GaussianSDE<Double>>(
  _ data: GaussianData, _ process: P, _ parameterization: Parameterization, batch: DenoisingBatch<Double>,
  eta: [Double] = [0, 0]
) -> Matrix<Double> {
  let x = batch.perturbed
  var out = Matrix<Double>(rows: x.rows, columns: 2)
  for i in 0..<x.rows {
    let t = batch.times[i]
    let (a, s) = process.marginal(at: t)
    let b = process.marginalShift(at: t)
    let star = data.score(x.row(i), scale: a, shift: b, standardDeviation: s)
    for j in 0..<2 {
      let epsilon = -s * star[j] + eta[j]
      switch parameterization {
      case .score: out[i, j] = -epsilon / s
      case .noise: out[i, j] = epsilon
      case .data: out[i, j] = (x[i, j] - b - s * epsilon) / a
      case .edm:
        let (skip, cOut) = edmSkipAndOut(scale: a, standardDeviation: s)
        out[i, j] = ((x[i, j] - b - s * epsilon) / a - skip * (x[i, j] - b) / a) / cOut
      }
    }
  }
  return out
}

/// Mean and standard error of a list of values.
func meanAndError(_ values: [Double]) -> (mean: Double, error: Double) {
  let m = SampleMoments(values)
  return (m.mean, m.standardErrorOfMean)
}

/// A small MLP configuration for tests.
func smallNetwork(
  dimension: Int = 2, condition: Int = 0, width: Int = 8, depth: Int = 2, frequencies: Int = 4
) -> MLPConfiguration {
  MLPConfiguration(
    inputDimension: dimension, conditionDimension: condition,
    timeEmbedding: .gaussianFourier(frequencies: frequencies, scale: 4), width: width, depth: depth)
}

/// Every tensor of a parameter group, for exact comparisons.
func tensors<P: ParameterGroup>(_ group: P) -> [Matrix<P.Scalar>] {
  (0..<group.tensorCount).map { group.tensor(at: $0) }
}

/// Checks a score model's exact divergence and vector–Jacobian products against central
/// differences (step 10⁻⁵) of its score, row by row, to 10⁻⁶ relative.
func expectJacobianProductsMatchFiniteDifferences<M: ScoreModel<Double>>(
  _ model: M, x: Matrix<Double>, at t: Double, divergence: [Double], probe: Matrix<Double>,
  vjp: Matrix<Double>
) {
  let (n, d) = (x.rows, x.columns)
  let h = 1e-5
  for i in 0..<n {
    var jacobian = Matrix<Double>(rows: d, columns: d)  // J[j, k] = ∂s_j/∂x_k
    for k in 0..<d {
      var plus = x
      var minus = x
      plus[i, k] += h
      minus[i, k] -= h
      let (sp, sm) = (model.score(plus, at: t), model.score(minus, at: t))
      for j in 0..<d { jacobian[j, k] = (sp[i, j] - sm[i, j]) / (2 * h) }
    }
    let trace = (0..<d).reduce(0.0) { $0 + jacobian[$1, $1] }
    #expect(abs(divergence[i] - trace) < 1e-6 * max(1, abs(trace)), "row \(i)")
    for k in 0..<d {
      let expected = (0..<d).reduce(0.0) { $0 + probe[i, $1] * jacobian[$1, k] }
      #expect(abs(vjp[i, k] - expected) < 1e-6 * max(1, abs(expected)), "row \(i), column \(k)")
    }
  }
}
