public import LinearAlgebra

/// Denoising score matching on a matrix kernel, generalising the noise (ε) prediction of the
/// scalar processes (Ho et al. 2020; Song et al. 2021, eq. 7).
///
/// Given data `x₀`, the state is perturbed as `u_t = A x₀ + m + C z` with `z ~ N(0, I)` and
/// `C Cᵀ = Σ` the covariance of `u_t | x₀` (its lower Cholesky factor), so the regression target
/// of the score is `∇ log p(u_t | x₀) = −Σ⁻¹ C z = −C⁻ᵀ z`. A network `f` predicts `z`, and the
/// score it implies is
///
///     s(u, t) = K(t) f(u, t),   K(t) = −C(t)⁻ᵀ,
///
/// so that the score error measured in the kernel's own metric is the noise error,
/// `‖Cᵀ(s − s*)‖² = ‖f − z‖²`: the weighting `λ = Σ_t` that is the ε-loss's `λ = σ²` when
/// `Σ = σ² I` (then `K = −I/σ`, the `.noise` row of ``Parameterization/coefficients(from:to:scale:standardDeviation:)``).
///
/// For critically-damped Langevin diffusion the state is `(x, v)`, the kernel is that of `u_t`
/// given `x₀` alone (`v₀ ~ N(0, γM I)` integrated out) and only the velocity block of the score
/// is learned (hybrid score matching, Dockhorn et al. 2022, §3.2): see
/// ``CriticallyDampedLangevin``.
extension LinearGaussianSDE {
  /// `nil`: the kernel is a matrix kernel.
  @inlinable
  public func isotropicMarginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar, shift: Scalar)? {
    nil
  }

  /// `dataDimension`: the process runs on the data itself.
  @inlinable
  public func stateDimension(dataDimension: Int) -> Int { dataDimension }

  /// Every column.
  @inlinable
  public func learnedScoreColumns(stateDimension: Int) -> Range<Int> { 0..<stateDimension }

  /// ``perturb(_:at:noise:into:)``: `u_t = Φ x₀ + m + C z` with `C` the Cholesky factor of `Σ(t)`.
  @inlinable
  public func denoisingPerturbation(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into state: inout Matrix<Scalar>
  ) {
    perturb(x0, at: times, noise: noise, into: &state)
  }

  /// `K = −C⁻ᵀ`, read off ``conditionalScore(noise:at:into:)`` with the unit vectors as noise (its
  /// rows are then the columns of `K`: one batched call, no per-row work).
  @inlinable
  public func noisePredictionScoreMatrix(at t: Scalar, dimension: Int) -> Matrix<Scalar> {
    var transposed = Matrix<Scalar>(rows: dimension, columns: dimension)
    conditionalScore(
      noise: .identity(dimension), at: [Scalar](repeating: t, count: dimension), into: &transposed)
    return transposed.transposed()
  }
}

extension GaussianSDE {
  /// The marginal `(scale(t), std(t))` with ``marginalShift(at:)``.
  @inlinable
  public func isotropicMarginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar, shift: Scalar)? {
    let (a, s) = marginal(at: t)
    return (a, s, marginalShift(at: t))
  }

  /// `K = −I/σ(t)`.
  @inlinable
  public func noisePredictionScoreMatrix(at t: Scalar, dimension: Int) -> Matrix<Scalar> {
    let s = marginal(at: t).standardDeviation
    return Matrix(diagonal: [Scalar](repeating: -1 / s, count: dimension))
  }
}
