public import LinearAlgebra
public import RealModule

/// The exact score of Gaussian-mixture data `Σₖ wₖ N(μₖ, Σₖ)` pushed through a ``GaussianSDE``:
/// the oracle for multimodal targets (mode weights, mode collapse, likelihoods).
///
/// Each component moves as in ``GaussianScore``: at time `t` it is `N(mₖ, Σₖ,ₜ)` with
/// `mₖ = a·μₖ + b`, `Σₖ,ₜ = a²Σₖ + s²I`. With responsibilities `rₖ(x) ∝ wₖ N(x; mₖ, Σₖ,ₜ)`,
/// precisions `Pₖ = Σₖ,ₜ⁻¹` and component scores `sₖ = −Pₖ(x − mₖ)`:
///
///     log p_t(x) = log Σₖ wₖ N(x; mₖ, Σₖ,ₜ)          (log-sum-exp, stable far from every mode)
///     s(x)       = Σₖ rₖ sₖ
///     ∂s/∂x      = Σₖ rₖ(−Pₖ + sₖsₖᵀ) − s sᵀ,   ∇ₓ·s = Σₖ rₖ(−tr Pₖ + ‖sₖ‖²) − ‖s‖².
///
/// Components are accumulated in one pass with a running maximum of the log-weights (the
/// streaming log-sum-exp), so memory is `O(n·d)` whatever the number of components. The
/// oracle returns the **score** parameterisation.
///
/// ```swift
/// let oracle = try GaussianMixtureScore(
///   weights: [0.3, 0.7], means: [[-2, 0], [2, 0]], standardDeviations: [0.5, 0.5],
///   process: VESDE<Double>())
/// let logp = oracle.logDensity(x, at: 0.5)
/// ```
public struct GaussianMixtureScore<Forward: GaussianSDE>: DivergenceScoreModel, GaussianMixtureOracle {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The process and the validated mixture (``process``, ``weights``, ``means``, ``covariances``).
  @usableFromInline let storage: MixtureOracleStorage<Forward>

  /// The oracle holding `storage`.
  @usableFromInline
  init(storage: MixtureOracleStorage<Forward>) { self.storage = storage }

  /// A mixture of isotropic components `N(μₖ, σₖ² I)`.
  /// - Throws: ``ScoreOracleError`` for a non-positive or non-finite `σₖ` or bad weights.
  public init(
    weights: [Scalar], means: [[Scalar]], standardDeviations: [Scalar], process: Forward
  ) throws(ScoreOracleError) {
    precondition(
      standardDeviations.count == means.count,
      "GaussianMixtureScore: \(standardDeviations.count) standard deviations for \(means.count) means")
    try self.init(
      weights: weights, means: means,
      covariances: zip(means, standardDeviations).map { mean, s in
        Matrix(diagonal: [Scalar](repeating: s * s, count: mean.count))
      },
      process: process)
  }

  /// Writes `s(xᵢ, t) = Σₖ rₖ sₖ` into row `i` of `out`.
  @inlinable
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    checkShapes(x, out, "GaussianMixtureScore.score")
    let result = accumulate(x, at: t, score: true, divergence: false, probe: nil)
    out.assign(result.score!)
  }

  /// `log p_t(xᵢ) = log Σₖ wₖ N(xᵢ; mₖ, Σₖ,ₜ)` for every row, by log-sum-exp.
  @inlinable
  public func logDensity(_ x: Matrix<Scalar>, at t: Scalar) -> [Scalar] {
    precondition(
      x.columns == dimension,
      "GaussianMixtureScore.logDensity: points \(x.shapeDescription), dimension \(dimension)")
    return accumulate(x, at: t, score: false, divergence: false, probe: nil).logDensity
  }

  /// The responsibilities `rₖ(xᵢ) = wₖ N(xᵢ; mₖ, Σₖ,ₜ) / p_t(xᵢ)` as an `n × K` matrix (rows sum
  /// to 1); at `t = 0` they classify data points by component.
  @inlinable
  public func responsibilities(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> {
    precondition(
      x.columns == dimension,
      "GaussianMixtureScore.responsibilities: points \(x.shapeDescription), dimension \(dimension)")
    let (a, s) = process.marginal(at: t)
    let b = process.marginalShift(at: t)
    var r = Matrix<Scalar>(rows: x.rows, columns: componentCount)
    for k in components.indices {
      let logN = components[k].evaluate(x, scale: a, shift: b, standardDeviation: s, withScore: false)
        .logDensity
      for i in 0..<x.rows { r[i, k] = Scalar.log(weights[k]) + logN[i] }
    }
    for i in 0..<x.rows {
      let row = r.row(i)
      let m = row.max()!
      let z = row.reduce(0) { $0 + Scalar.exp($1 - m) }
      r.setRow(i, to: row.map { Scalar.exp($0 - m) / z })
    }
    return r
  }

  /// The score and its divergence `Σₖ rₖ(−tr Pₖ + ‖sₖ‖²) − ‖s‖²` per row.
  @inlinable
  public func scoreAndDivergence(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, divergence: inout [Scalar],
    workspace: inout Void
  ) {
    checkShapes(x, score: out, divergence: divergence, "GaussianMixtureScore")
    let result = accumulate(x, at: t, score: true, divergence: true, probe: nil)
    out.assign(result.score!)
    for i in divergence.indices { divergence[i] = result.divergence![i] }
  }

  /// The score and `vᵢᵀ ∂s/∂x = Σₖ rₖ(−Pₖvᵢ + (vᵢ·sₖ)sₖ) − (vᵢ·s)s` for every probe row `vᵢ`.
  @inlinable
  public func scoreAndVectorJacobianProduct(
    _ x: Matrix<Scalar>, at t: Scalar, probe: Matrix<Scalar>, into out: inout Matrix<Scalar>,
    vjp: inout Matrix<Scalar>, workspace: inout Void
  ) {
    checkShapes(x, score: out, probe: probe, vjp: vjp, "GaussianMixtureScore")
    let result = accumulate(x, at: t, score: true, divergence: false, probe: probe)
    out.assign(result.score!)
    vjp.assign(result.vjp!)
  }

  /// `count` independent draws from the data distribution (time 0) and the component each came
  /// from: the component is drawn first (one uniform variate per row), then `μₖ + Lₖ z`.
  @inlinable
  public func sampleWithComponents<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> (
    samples: Matrix<Scalar>, components: [Int]
  ) {
    var cumulative: [Scalar] = []
    var running: Scalar = 0
    for w in weights {
      running += w
      cumulative.append(running)
    }
    let labels = (0..<count).map { _ in
      let u = running * (1 - Scalar.randomOpenUnit(using: &rng))  // in [0, total)
      return cumulative.firstIndex { u < $0 } ?? (componentCount - 1)
    }
    let z = Matrix<Scalar>.randomNormal(rows: count, columns: dimension, using: &rng)
    var samples = Matrix<Scalar>(rows: count, columns: dimension)
    for k in components.indices {
      let rows = labels.indices.filter { labels[$0] == k }
      if rows.isEmpty { continue }
      let block = Matrix<Scalar>(rows.map { z.row($0) })
      let x = components[k].transform(standardNormal: block)
      for (r, i) in rows.enumerated() { samples.setRow(i, to: x.row(r)) }
    }
    return (samples, labels)
  }

  /// `count` independent draws from the data distribution (time 0).
  @inlinable
  public func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<Scalar> {
    sampleWithComponents(count: count, using: &rng).samples
  }
}
