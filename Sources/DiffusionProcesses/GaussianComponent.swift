import LinearAlgebra
import RealModule

/// One Gaussian `N(μ, Σ)` of data, with what the oracles need to push it through a
/// ``GaussianSDE``: at time `t` it becomes `N(a·μ + b, a²Σ + s²I)` with `(a, s) = marginal(t)`,
/// `b = shift(t)`. `Σ = V Λ Vᵀ` once, so `Σ_t = V (a²Λ + s²) Vᵀ` needs no factorisation per
/// call: whitening, the score `−Σ_t⁻¹(x − m_t)` and `log det Σ_t` all come from two matrix
/// products per batch.
@usableFromInline
struct GaussianComponent<Scalar: BLASScalar>: Sendable {
  /// μ.
  @usableFromInline let mean: [Scalar]
  /// Σ (symmetrised).
  @usableFromInline let covariance: Matrix<Scalar>
  /// The lower Cholesky factor L of Σ, for sampling `μ + L z`.
  @usableFromInline let choleskyFactor: Matrix<Scalar>
  /// Λ, ascending.
  @usableFromInline let eigenvalues: [Scalar]
  /// V (eigenvectors in columns).
  @usableFromInline let eigenvectors: Matrix<Scalar>

  /// The normalised weights and the validated, factored components of the mixture
  /// `Σₖ wₖ N(means[k], covariances[k])`, checked alike for every mixture oracle.
  ///
  /// - Parameters:
  ///   - weights: non-negative, finite, with a positive sum; normalised to sum to 1.
  ///   - means: `K` means of `d` entries each (as many as `weights`).
  ///   - covariances: `K` symmetric positive-definite `d × d` matrices.
  ///   - oracle: the oracle's name, for the messages of the preconditions.
  /// - Throws: ``ScoreOracleError`` naming the component with a bad mean or covariance, or
  ///   `.invalidWeights`.
  static func mixture(
    weights: [Scalar], means: [[Scalar]], covariances: [Matrix<Scalar>], of oracle: String
  ) throws(ScoreOracleError) -> (weights: [Scalar], components: [GaussianComponent]) {
    precondition(
      !weights.isEmpty && weights.count == means.count && weights.count == covariances.count,
      "\(oracle): \(weights.count) weights, \(means.count) means, \(covariances.count) covariances")
    precondition(
      means.allSatisfy { $0.count == means[0].count },
      "\(oracle): means of different dimensions \(means.map(\.count))")
    for (k, w) in weights.enumerated() where !(w >= 0 && w.isFinite) {
      throw .invalidWeights(reason: "weight \(k) is \(w); weights must be finite and non-negative")
    }
    let total = weights.reduce(0, +)
    guard total > 0 else { throw .invalidWeights(reason: "the weights sum to zero") }
    var components: [GaussianComponent] = []
    for k in means.indices {
      components.append(try GaussianComponent(mean: means[k], covariance: covariances[k], component: k))
    }
    return (weights.map { $0 / total }, components)
  }

  /// Validates and factors `N(mean, covariance)`; `component` numbers the errors.
  init(mean: [Scalar], covariance: Matrix<Scalar>, component: Int) throws(ScoreOracleError) {
    let d = mean.count
    precondition(d > 0, "Component \(component): the mean is empty")
    precondition(
      covariance.rows == d && covariance.columns == d,
      "Component \(component): mean of \(d) entries but covariance \(covariance.shapeDescription)")
    guard mean.allSatisfy(\.isFinite) else { throw .nonFinite(component: component, parameter: "mean") }
    guard covariance.isFinite else { throw .nonFinite(component: component, parameter: "covariance") }
    let tolerance = 1024 * Scalar.ulpOfOne * covariance.maxAbs()
    var symmetric = covariance
    for i in 0..<d {
      for j in 0..<i {
        let (u, v) = (covariance[i, j], covariance[j, i])
        guard Swift.abs(u - v) <= tolerance else {
          throw .covarianceNotSymmetric(component: component, row: i, column: j)
        }
        symmetric[i, j] = (u + v) / 2
        symmetric[j, i] = (u + v) / 2
      }
    }
    do {
      choleskyFactor = try symmetric.cholesky()
      (eigenvalues, eigenvectors) = try symmetric.symmetricEigendecomposition()
    } catch LinearAlgebraError.notPositiveDefinite(_, let minor) {
      throw .covarianceNotPositiveDefinite(component: component, leadingMinor: minor)
    } catch {
      throw .factorizationFailed(component: component, reason: "\(error)")
    }
    guard eigenvalues.allSatisfy({ $0 > 0 }) else {
      throw .covarianceNotPositiveDefinite(component: component, leadingMinor: d)
    }
    self.mean = mean
    self.covariance = symmetric
  }

  /// The dimension d.
  @inlinable var dimension: Int { mean.count }

  /// The eigenvalues `a²λⱼ + s²` of Σ_t.
  @inlinable
  func marginalEigenvalues(scale a: Scalar, standardDeviation s: Scalar) -> [Scalar] {
    eigenvalues.map { a * a * $0 + s * s }
  }

  /// `log N(xᵢ; m_t, Σ_t)` per row and, if `withScore`, the score rows `−Σ_t⁻¹(xᵢ − m_t)`.
  ///
  /// With `T = (X − m_t)V`: `log N = −½ Σⱼ Tᵢⱼ²/eⱼ − ½ Σⱼ log eⱼ − d/2·log 2π` and
  /// `score = −(T diag(1/e)) Vᵀ`.
  @inlinable
  func evaluate(
    _ x: Matrix<Scalar>, scale a: Scalar, shift b: Scalar, standardDeviation s: Scalar, withScore: Bool
  ) -> (logDensity: [Scalar], score: Matrix<Scalar>?) {
    let d = dimension
    let e = marginalEigenvalues(scale: a, standardDeviation: s)
    var centered = x
    centered.addToEachRow(mean.map { -(a * $0 + b) })
    var rotated = Matrix<Scalar>(rows: x.rows, columns: d)
    rotated.formProduct(centered, eigenvectors)
    var constant = -Scalar(d) / 2 * Scalar.log(2 * Scalar.pi)
    for ej in e { constant -= Scalar.log(ej) / 2 }
    let inverse = e.map { 1 / $0 }
    let logDensity = rotated.withUnsafeBufferPointer { r in
      inverse.withUnsafeBufferPointer { inv in
        (0..<x.rows).map { i in
          var q: Scalar = 0
          for j in 0..<d { q += r[i * d + j] * r[i * d + j] * inv[j] }
          return constant - q / 2
        }
      }
    }
    guard withScore else { return (logDensity, nil) }
    rotated.scaleColumns(by: inverse)
    // Reuse `centered` for the score.
    centered.formProduct(rotated, eigenvectors, transposingB: true, alpha: -1)
    return (logDensity, centered)
  }

  /// `Σ_t⁻¹ vᵢ` for every row `vᵢ` of `v` (`(v V) diag(1/e) Vᵀ`, Σ_t being symmetric).
  @inlinable
  func precisionTimes(_ v: Matrix<Scalar>, scale a: Scalar, standardDeviation s: Scalar) -> Matrix<Scalar> {
    var rotated = Matrix<Scalar>(rows: v.rows, columns: dimension)
    rotated.formProduct(v, eigenvectors)
    rotated.scaleColumns(by: marginalEigenvalues(scale: a, standardDeviation: s).map { 1 / $0 })
    var out = Matrix<Scalar>(rows: v.rows, columns: dimension)
    out.formProduct(rotated, eigenvectors, transposingB: true)
    return out
  }

  /// `tr Σ_t⁻¹ = Σⱼ 1/(a²λⱼ + s²)`.
  @inlinable
  func traceOfPrecision(scale a: Scalar, standardDeviation s: Scalar) -> Scalar {
    var sum: Scalar = 0
    for ej in marginalEigenvalues(scale: a, standardDeviation: s) { sum += 1 / ej }
    return sum
  }

  /// `μ + L zᵢ` for every row of standard normal `z`.
  @inlinable
  func transform(standardNormal z: Matrix<Scalar>) -> Matrix<Scalar> {
    var out = Matrix<Scalar>(rows: z.rows, columns: dimension)
    out.formProduct(z, choleskyFactor, transposingB: true)
    out.addToEachRow(mean)
    return out
  }
}
