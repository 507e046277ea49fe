public import LinearAlgebra
import RealModule

/// The exact score of Gaussian or Gaussian-mixture data `Σₖ wₖ N(μₖ, Σₖ)` pushed through any
/// ``LinearGaussianSDE``, such as a ``LinearSDE`` with matrix drift and noise.
///
/// A linear kernel `N(Φ x₀ + m, Σ_t)` maps each component to a Gaussian (Särkkä & Solin 2019,
/// §6.1), so the time-`t` marginal is again a mixture with the same weights:
///
///     p_t = Σₖ wₖ N(mₖ, Cₖ),   mₖ = Φ μₖ + m,   Cₖ = Φ Σₖ Φᵀ + Σ_t.
///
/// With responsibilities `rₖ ∝ wₖ N(x; mₖ, Cₖ)`, precisions `Pₖ = Cₖ⁻¹` and component scores
/// `sₖ = −Pₖ(x − mₖ)`:
///
///     s(x) = Σₖ rₖ sₖ,   ∂s/∂x = Σₖ rₖ(−Pₖ + sₖsₖᵀ) − s sᵀ,
///     ∇ₓ·s = Σₖ rₖ(−tr Pₖ + ‖sₖ‖²) − ‖s‖².
///
/// Each call computes the kernel once (``LinearGaussianSDE/marginalKernel(at:dimension:)``) and
/// one Cholesky factorisation per component; the batch then costs GEMMs. For a ``GaussianSDE``
/// it agrees with ``GaussianMixtureScore`` / ``GaussianScore`` (which avoid the per-call
/// factorisations by diagonalising once).
///
/// ```swift
/// let sde = try LinearSDE(drift: f, noise: l)
/// let oracle = try LinearGaussianMixtureScore(
///   weights: [0.5, 0.5], means: [[-2, 0, 0], [2, 0, 0]], covariances: [c, c], process: sde)
/// let s = oracle.score(x, at: 0.3)
/// ```
public struct LinearGaussianMixtureScore<Forward: LinearGaussianSDE>: DivergenceScoreModel,
  GaussianMixtureOracle
{
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The process and the validated mixture (``process``, ``weights``, ``means``, ``covariances``).
  @usableFromInline let storage: MixtureOracleStorage<Forward>

  /// The oracle holding `storage`.
  @usableFromInline
  init(storage: MixtureOracleStorage<Forward>) { self.storage = storage }

  /// The exact score of Gaussian data `N(mean, covariance)` under `process`.
  /// - Throws: ``ScoreOracleError`` (component 0).
  public init(mean: [Scalar], covariance: Matrix<Scalar>, process: Forward) throws(ScoreOracleError) {
    try self.init(weights: [1], means: [mean], covariances: [covariance], process: process)
  }

  /// The time-`t` components `(mₖ, Cₖ)`: `mₖ = Φ μₖ + m`, `Cₖ = Φ Σₖ Φᵀ + Σ_t`.
  public func marginalComponents(at t: Scalar) -> [(mean: [Scalar], covariance: Matrix<Scalar>)] {
    let k = process.marginalKernel(at: t, dimension: dimension)
    return components.map { c in
      let mean = zip(k.transition.multiplied(by: c.mean), k.shift).map { $0 + $1 }
      let covariance = (k.transition * c.covariance * k.transition.transposed() + k.covariance).symmetrized()
      return (mean, covariance)
    }
  }

  /// The marginal mean `Σₖ wₖ mₖ`.
  public func marginalMean(at t: Scalar) -> [Scalar] {
    marginalComponents(at: t).enumerated().reduce(into: [Scalar](repeating: 0, count: dimension)) {
      sum, item in
      for j in 0..<dimension { sum[j] += weights[item.offset] * item.element.mean[j] }
    }
  }

  /// The marginal covariance `Σₖ wₖ(Cₖ + mₖmₖᵀ) − m̄m̄ᵀ`.
  public func marginalCovariance(at t: Scalar) -> Matrix<Scalar> {
    let parts = marginalComponents(at: t)
    let mean = marginalMean(at: t)
    var c = Matrix<Scalar>(rows: dimension, columns: dimension)
    for (k, part) in parts.enumerated() {
      for i in 0..<dimension {
        for j in 0..<dimension {
          c[i, j] += weights[k] * (part.covariance[i, j] + part.mean[i] * part.mean[j])
        }
      }
    }
    for i in 0..<dimension { for j in 0..<dimension { c[i, j] -= mean[i] * mean[j] } }
    return c
  }

  /// Writes `s(xᵢ, t)` into row `i` of `out`.
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    checkShapes(x, out, "LinearGaussianMixtureScore.score")
    out.assign(evaluate(x, at: t, divergence: false, probe: nil).score)
  }

  /// `log p_t(xᵢ)` for every row, by log-sum-exp over the components.
  public func logDensity(_ x: Matrix<Scalar>, at t: Scalar) -> [Scalar] {
    precondition(
      x.columns == dimension,
      "LinearGaussianMixtureScore.logDensity: points \(x.shapeDescription), dimension \(dimension)")
    return evaluate(x, at: t, divergence: false, probe: nil).logDensity
  }

  /// The score and its divergence `Σₖ rₖ(−tr Pₖ + ‖sₖ‖²) − ‖s‖²` per row.
  public func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Void
  ) {
    checkShapes(x, score: out, divergence: divergence, "LinearGaussianMixtureScore")
    let result = evaluate(x, at: t, divergence: true, probe: nil)
    out.assign(result.score)
    divergence = result.divergence
  }

  /// The score and `vᵢᵀ ∂s/∂x = Σₖ rₖ(−Pₖvᵢ + (vᵢ·sₖ)sₖ) − (vᵢ·s)s` per row.
  public func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Void
  ) {
    checkShapes(x, score: out, probe: probe, vjp: vjp, "LinearGaussianMixtureScore")
    let result = evaluate(x, at: t, divergence: false, probe: probe)
    out.assign(result.score)
    vjp.assign(result.vjp!)
  }

  /// `count` draws from the data distribution (time 0): a component by its weight, then
  /// `μₖ + Lₖ z`.
  public func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<Scalar> {
    var x = Matrix<Scalar>(rows: count, columns: dimension)
    for i in 0..<count {
      var u = Scalar.randomOpenUnit(using: &rng)
      var k = 0
      while k < weights.count - 1 && u > weights[k] {
        u -= weights[k]
        k += 1
      }
      let z = (0..<dimension).map { _ in Scalar.randomNormal(using: &rng) }
      let lz = components[k].choleskyFactor.multiplied(by: z)
      x.setRow(i, to: zip(components[k].mean, lz).map { $0 + $1 })
    }
    return x
  }

  /// Everything the requirements need, in one pass over the components.
  func evaluate(_ x: Matrix<Scalar>, at t: Scalar, divergence withDivergence: Bool, probe: Matrix<Scalar>?)
    -> (logDensity: [Scalar], score: Matrix<Scalar>, divergence: [Scalar], vjp: Matrix<Scalar>?)
  {
    let (n, d) = (x.rows, dimension)
    let parts = marginalComponents(at: t)
    var logTerms = Matrix<Scalar>(rows: n, columns: parts.count)
    var scores: [Matrix<Scalar>] = []
    var traces: [Scalar] = []
    var precisions: [Matrix<Scalar>] = []
    for (k, part) in parts.enumerated() {
      let chol: Cholesky<Scalar>
      do { chol = try Cholesky(part.covariance) } catch {
        preconditionFailure(
          "LinearGaussianMixtureScore: component \(k) at t = \(t) is not positive definite: \(error)")
      }
      let inverseFactor = chol.solveLower(.identity(d))
      let precision = Matrix.product(inverseFactor, inverseFactor, transposingA: true)
      var centered = x
      centered.addToEachRow(part.mean.map { -$0 })
      var s = Matrix<Scalar>(rows: n, columns: d)
      s.formProduct(centered, precision, alpha: -1)
      let constant =
        Scalar.log(weights[k]) - (Scalar(d) * Scalar.log(2 * Scalar.pi) + chol.logDeterminant) / 2
      // −½ rᵀ P r = ½ r·s.
      centered.multiplyElementwise(by: s)
      let quadratic = centered.rowSums()
      for i in 0..<n { logTerms[i, k] = constant + quadratic[i] / 2 }
      scores.append(s)
      var trace: Scalar = 0
      for i in 0..<d { trace += precision[i, i] }
      traces.append(trace)
      precisions.append(precision)
    }
    // Log-sum-exp per row, and the responsibilities rₖ = exp(log termₖ − log p).
    let componentCount = parts.count
    var logDensity = [Scalar](repeating: 0, count: n)
    var responsibilities = logTerms
    logTerms.withUnsafeBufferPointer { terms in
      responsibilities.withUnsafeMutableBufferPointer { r in
        for i in 0..<n {
          let row = (i * componentCount)..<((i + 1) * componentCount)
          var m = -Scalar.infinity
          for j in row { m = Swift.max(m, terms[j]) }
          var sum: Scalar = 0
          for j in row { sum += Scalar.exp(terms[j] - m) }
          logDensity[i] = m + Scalar.log(sum)
          for j in row { r[j] = Scalar.exp(terms[j] - logDensity[i]) }
        }
      }
    }
    var score: Matrix<Scalar>
    if componentCount == 1 {
      score = scores[0]
    } else {
      score = Matrix<Scalar>(rows: n, columns: d)
      for k in parts.indices {
        var weighted = scores[k]
        weighted.scaleRows(by: responsibilities.column(k))
        score += weighted
      }
    }
    var divergence = [Scalar](repeating: 0, count: n)
    if withDivergence {
      let scoreNorms = score.squaredRowNorms()
      for k in parts.indices {
        let norms = scores[k].squaredRowNorms()
        for i in 0..<n { divergence[i] += responsibilities[i, k] * (norms[i] - traces[k]) }
      }
      for i in 0..<n { divergence[i] -= scoreNorms[i] }
    }
    var vjp: Matrix<Scalar>? = nil
    if let v = probe {
      var total = Matrix<Scalar>(rows: n, columns: d)
      for k in parts.indices {
        var term = Matrix<Scalar>(rows: n, columns: d)
        term.formProduct(v, precisions[k], alpha: -1)
        let projections = v.multipliedElementwise(by: scores[k]).rowSums()
        var outer = scores[k]
        outer.scaleRows(by: projections)
        term += outer
        term.scaleRows(by: responsibilities.column(k))
        total += term
      }
      var outer = score
      outer.scaleRows(by: v.multipliedElementwise(by: score).rowSums())
      total -= outer
      vjp = total
    }
    return (logDensity, score, divergence, vjp)
  }
}
