public import LinearAlgebra

/// The exact score of Gaussian data `N(μ, Σ)` pushed through a ``GaussianSDE``: an oracle for
/// testing samplers, likelihoods and training against.
///
/// At time `t`, with `(a, s) = marginal(t)` and `b = shift(t)`, the marginal is
///
///     p_t = N(m_t, Σ_t),   m_t = a·μ + b,   Σ_t = a²Σ + s²I,
///     ∇ₓ log p_t(x) = −Σ_t⁻¹(x − m_t),   ∂s/∂x = −Σ_t⁻¹,   ∇ₓ·s = −tr Σ_t⁻¹.
///
/// `Σ` is checked (Cholesky) and diagonalised once, `Σ = V Λ Vᵀ`, so `Σ_t = V(a²Λ + s²)Vᵀ` at every
/// time without another factorisation; a batch costs two `n × d × d` matrix products. The
/// oracle returns the **score** parameterisation.
///
/// ```swift
/// let oracle = try GaussianScore(
///   mean: [1, -1], covariance: Matrix([[2, 0.5], [0.5, 1]]), process: VPSDE<Double>())
/// let s = oracle.score(x, at: 0.3)
/// let logp = oracle.logDensity(x, at: 0.3)
/// ```
public struct GaussianScore<Forward: GaussianSDE>: DivergenceScoreModel, ScoreOracleShapes {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The forward process that noises the data.
  public let process: Forward
  @usableFromInline let component: GaussianComponent<Scalar>

  /// The exact score of `N(mean, covariance)` data under `process`.
  /// - Parameters:
  ///   - mean: `μ`, `d` entries.
  ///   - covariance: `Σ`, `d × d`, symmetric positive definite.
  ///   - process: the forward SDE.
  /// - Throws: ``ScoreOracleError`` (component 0) for non-finite, non-symmetric or not positive
  ///   definite parameters.
  public init(mean: [Scalar], covariance: Matrix<Scalar>, process: Forward) throws(ScoreOracleError) {
    self.process = process
    self.component = try GaussianComponent(mean: mean, covariance: covariance, component: 0)
  }

  /// The dimension `d`.
  @inlinable public var dimension: Int { component.dimension }
  /// The data mean `μ`.
  @inlinable public var mean: [Scalar] { component.mean }
  /// The data covariance `Σ` (symmetrised).
  @inlinable public var covariance: Matrix<Scalar> { component.covariance }

  /// The marginal mean `m_t = scale(t)·μ + shift(t)`.
  @inlinable
  public func marginalMean(at t: Scalar) -> [Scalar] {
    let a = process.marginal(at: t).scale
    let b = process.marginalShift(at: t)
    return mean.map { a * $0 + b }
  }

  /// The marginal covariance `Σ_t = scale(t)²Σ + std(t)²I`.
  @inlinable
  public func marginalCovariance(at t: Scalar) -> Matrix<Scalar> {
    let (a, s) = process.marginal(at: t)
    var c = covariance * (a * a)
    for i in 0..<dimension { c[i, i] += s * s }
    return c
  }

  /// Writes `−Σ_t⁻¹(xᵢ − m_t)` into row `i` of `out`.
  @inlinable
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    checkShapes(x, out, "GaussianScore.score")
    out.assign(evaluate(x, at: t, withScore: true).score!)
  }

  /// `log p_t(xᵢ) = log N(xᵢ; m_t, Σ_t)` for every row, exactly.
  @inlinable
  public func logDensity(_ x: Matrix<Scalar>, at t: Scalar) -> [Scalar] {
    precondition(
      x.columns == dimension, "GaussianScore.logDensity: points \(x.shapeDescription), dimension \(dimension)"
    )
    return evaluate(x, at: t, withScore: false).logDensity
  }

  /// The score and its divergence `∇ₓ·s = −tr Σ_t⁻¹` (the same for every row).
  @inlinable
  public func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Void
  ) {
    checkShapes(x, score: out, divergence: divergence, "GaussianScore")
    out.assign(evaluate(x, at: t, withScore: true).score!)
    let (a, s) = process.marginal(at: t)
    let value = -component.traceOfPrecision(scale: a, standardDeviation: s)
    for i in divergence.indices { divergence[i] = value }
  }

  /// The score and `vᵢᵀ ∂s/∂x = −Σ_t⁻¹ vᵢ` for every probe row `vᵢ`.
  @inlinable
  public func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Void
  ) {
    checkShapes(x, score: out, probe: probe, vjp: vjp, "GaussianScore")
    out.assign(evaluate(x, at: t, withScore: true).score!)
    let (a, s) = process.marginal(at: t)
    vjp.assign(component.precisionTimes(probe, scale: a, standardDeviation: s))
    vjp *= -1
  }

  /// `count` independent draws from the data distribution `N(μ, Σ)` (time 0), as `μ + L z`.
  @inlinable
  public func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<Scalar> {
    component.transform(standardNormal: .randomNormal(rows: count, columns: dimension, using: &rng))
  }

  @inlinable
  func evaluate(_ x: Matrix<Scalar>, at t: Scalar, withScore: Bool) -> (
    logDensity: [Scalar], score: Matrix<Scalar>?
  ) {
    let (a, s) = process.marginal(at: t)
    return component.evaluate(
      x, scale: a, shift: process.marginalShift(at: t), standardDeviation: s, withScore: withScore)
  }
}
