public import LinearAlgebra

/// Critically-damped Langevin diffusion is a ``LinearGaussianSDE`` on `(x, v)`: every requirement
/// is its ``CriticallyDampedLangevin/process``'s, except the three of denoising score matching
/// (hybrid score matching: the state is `2d` wide, only the velocity score is learned, and the
/// perturbation is given `x₀` alone; see ``HybridScoreKernel``). So a network trained for it is a
/// score model that Euler–Maruyama, the probability-flow ODE, the exact likelihood and
/// ``SymmetricSplittingSampler`` run on unchanged.
extension CriticallyDampedLangevin: LinearGaussianSDE {
  /// `T`.
  @inlinable public var endTime: Scalar { process.endTime }
  /// The process's `ε`.
  @inlinable public var smallTimeCutoff: Scalar { process.smallTimeCutoff }
  /// `L`, noise on the velocities only.
  @inlinable public var noiseFactor: Matrix<Scalar>? { process.noiseFactor }
  /// `L Lᵀ`.
  @inlinable public var noiseCovariance: Matrix<Scalar>? { process.noiseCovariance }

  /// The drift on `(x, v)`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    process.drift(x, at: t, into: &out)
  }

  /// `√β(t)`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { process.diffusion(at: t) }

  /// Draws from `N(0, I) ⊗ N(0, M I)` (`dimension` is `2d`).
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    process.samplePrior(count: count, dimension: dimension, using: &rng)
  }

  /// The prior's log-density of `(x, v)`.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] { process.priorLogDensity(x) }

  /// The kernel of `(x_t, v_t)` given `(x₀, v₀)`.
  @inlinable
  public func marginalKernel(at t: Scalar, dimension: Int) -> LinearTransition<Scalar> {
    process.marginalKernel(at: t, dimension: dimension)
  }

  /// `β(t) tr F`.
  @inlinable
  public func driftDivergence(at t: Scalar, dimension: Int) -> Scalar {
    process.driftDivergence(at: t, dimension: dimension)
  }

  /// `β(t) P F`.
  @inlinable
  public func driftVectorJacobianProduct(
    _ probe: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>
  ) {
    process.driftVectorJacobianProduct(probe, at: t, into: &out)
  }

  /// The process's log-SNR.
  @inlinable
  public func logSignalToNoiseRatio(at t: Scalar) -> Scalar { process.logSignalToNoiseRatio(at: t) }

  /// The process's inverse log-SNR.
  @inlinable
  public func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar {
    process.time(atLogSignalToNoiseRatio: logSNR)
  }

  /// The perturbation of `(x₀, v₀)` (the full kernel; hybrid score matching uses
  /// ``denoisingPerturbation(_:at:noise:into:)``).
  @inlinable
  public func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>
  ) {
    process.perturb(x0, at: times, noise: noise, into: &xt)
  }

  /// `−C⁻ᵀ z` of the full kernel.
  @inlinable
  public func conditionalScore(noise: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>) {
    process.conditionalScore(noise: noise, at: times, into: &out)
  }

  /// `−Σ⁻¹(u_t − Φ u₀)` of the full kernel.
  @inlinable
  public func conditionalScore(
    _ xt: Matrix<Scalar>, given x0: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>
  ) {
    process.conditionalScore(xt, given: x0, at: times, into: &out)
  }
}
