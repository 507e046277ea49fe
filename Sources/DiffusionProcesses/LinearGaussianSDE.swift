public import LinearAlgebra
import RealModule

/// A linear SDE `dx = (A(t) x + b(t)) dt + G(t) dW` whose kernel from time 0 is Gaussian with
/// matrix-valued mean map and covariance (Särkkä & Solin 2019, *Applied Stochastic Differential
/// Equations*, §6.1–6.2):
///
///     p_t(x | x₀) = N(Φ(t) x₀ + m(t), Σ(t)),
///     dΦ/dt = A Φ,   dm/dt = A m + b,   dΣ/dt = A Σ + Σ Aᵀ + G Gᵀ   (Φ(0) = I, m(0) = 0, Σ(0) = 0).
///
/// This is the seam between ``SDE`` and ``GaussianSDE``: the samplers that only need a drift, a
/// (matrix) diffusion and a Gaussian kernel — Euler–Maruyama, the probability-flow ODE
/// solvers, predictor–corrector with those predictors, the exact likelihood — take any
/// `LinearGaussianSDE`; the ones whose update is written in the scalar kernel
/// `(scale, std)` (DPM-Solver, ancestral sampling, Langevin with the SNR rule) keep requiring a
/// ``GaussianSDE`` in their type constraints.
///
/// Every ``GaussianSDE`` is a `LinearGaussianSDE` (`Φ = scale·I`, `m = shift·𝟙`,
/// `Σ = std² I`, `A = a(t) I`), with the defaults written below; ``LinearSDE`` gives the
/// matrix forms.
///
/// ```swift
/// func kernelCovariance(_ p: some LinearGaussianSDE<Double>, at t: Double) -> Matrix<Double> {
///   p.marginalKernel(at: t, dimension: 3).covariance
/// }
/// ```
public protocol LinearGaussianSDE<Scalar>: SDE {
  /// The kernel `p_t(x | x₀) = N(Φ x₀ + m, Σ)` from time 0 to `t`, in `dimension` dimensions
  /// (a process with a fixed dimension requires it to match).
  func marginalKernel(at t: Scalar, dimension: Int) -> LinearTransition<Scalar>

  /// The divergence of the drift, `∇ₓ·f(x, t) = tr A(t)` (the same at every `x`): the drift's
  /// part of `∇ₓ·v` in the probability-flow likelihood.
  func driftDivergence(at t: Scalar, dimension: Int) -> Scalar

  /// Overwrites every row of `out` with `pᵢᵀ ∂f/∂x = pᵢᵀ A(t)` for the rows `pᵢ` of `probe`
  /// (Hutchinson's estimator of the likelihood's divergence).
  func driftVectorJacobianProduct(_ probe: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>)

  /// The log signal-to-noise ratio used to space time grids (``GaussianSDE``: `log(scale²/std²)`;
  /// ``LinearSDE``: that of the isotropic kernel with the same volume change and mean variance).
  func logSignalToNoiseRatio(at t: Scalar) -> Scalar

  /// The inverse of ``logSignalToNoiseRatio(at:)`` on `[0, endTime]`.
  func time(atLogSignalToNoiseRatio logSNR: Scalar) -> Scalar

  /// Perturbs a batch with the kernel, one time per row: `x_tᵢ = Φ(tᵢ) x₀ᵢ + m(tᵢ) + C(tᵢ) zᵢ`
  /// with a factor `C Cᵀ = Σ(tᵢ)` (``GaussianSDE``: `C = std·I`; ``LinearSDE``: Cholesky).
  /// - Parameters:
  ///   - x0: clean data, `n × d`.
  ///   - times: `n` times in `[0, endTime]`.
  ///   - noise: standard normal `z`, `n × d`.
  ///   - xt: the perturbed batch, `n × d` (overwritten).
  func perturb(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into xt: inout Matrix<Scalar>)

  /// The kernel's score at the point ``perturb(_:at:noise:into:)`` made from `noise`,
  /// `∇ log p_tᵢ(x_tᵢ | x₀ᵢ) = −Σ⁻¹ C zᵢ = −C⁻ᵀ zᵢ`, the regression target of denoising score
  /// matching (Vincent 2011; Song et al. 2021, eq. 7).
  /// - Precondition: every time is positive (the kernel is a point mass at 0).
  func conditionalScore(noise: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>)

  /// The kernel's score `−Σ(tᵢ)⁻¹(x_tᵢ − Φ(tᵢ) x₀ᵢ − m(tᵢ))` from the clean and the perturbed point.
  func conditionalScore(
    _ xt: Matrix<Scalar>, given x0: Matrix<Scalar>, at times: [Scalar], into out: inout Matrix<Scalar>)

  // Denoising score matching (defaults and the math in LinearGaussianSDE+Denoising.swift).

  /// `(scale, std, shift)` of an isotropic kernel `N(scale·x₀ + shift, std² I)`: every
  /// ``GaussianSDE``'s marginal; `nil` (the default) for a matrix kernel. Training and network
  /// score models take the scalar path, bit for bit the one of a ``GaussianSDE``, when it is set.
  func isotropicMarginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar, shift: Scalar)?

  /// The width of the state the process runs on for data of `dataDimension` columns: the data's
  /// own (the default), `2d` for critically-damped Langevin diffusion's `(x, v)`.
  func stateDimension(dataDimension: Int) -> Int

  /// The state columns whose score a network learns (all by default; the velocities for
  /// critically-damped Langevin diffusion's hybrid score matching).
  func learnedScoreColumns(stateDimension: Int) -> Range<Int>

  /// The denoising perturbation of clean data, one time per row: `u_tᵢ = A(tᵢ) x₀ᵢ + m(tᵢ) + C(tᵢ) zᵢ`
  /// with `C Cᵀ` the covariance of `u_t` given the data `x₀` (the default is
  /// ``perturb(_:at:noise:into:)``; critically-damped Langevin integrates out `v₀`).
  /// - Parameters:
  ///   - x0: clean data, `n × d`.
  ///   - times: `n` times.
  ///   - noise: standard normal `z`, `n × D` (`D` the state dimension).
  ///   - state: receives `u_t`, `n × D`.
  func denoisingPerturbation(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into state: inout Matrix<Scalar>)

  /// The `D × D` matrix `K(t)` that turns a noise prediction `f ≈ z` into the score, `s = K f`:
  /// `−C(t)⁻ᵀ` by default (the conditional score of ``conditionalScore(noise:at:into:)``), zero
  /// outside ``learnedScoreColumns(stateDimension:)``.
  func noisePredictionScoreMatrix(at t: Scalar, dimension: Int) -> Matrix<Scalar>
}

extension GaussianSDE {
  /// `Φ = scale·I`, `m = shift·𝟙`, `Σ = std²·I`.
  @inlinable
  public func marginalKernel(at t: Scalar, dimension: Int) -> LinearTransition<Scalar> {
    let (a, s) = marginal(at: t)
    return LinearTransition(
      transition: Matrix(diagonal: [Scalar](repeating: a, count: dimension)),
      shift: [Scalar](repeating: marginalShift(at: t), count: dimension),
      covariance: Matrix(diagonal: [Scalar](repeating: s * s, count: dimension)))
  }

  /// `d·a(t)` with `a` from ``GaussianSDE/linearDrift(at:)``.
  @inlinable
  public func driftDivergence(at t: Scalar, dimension: Int) -> Scalar {
    Scalar(dimension) * linearDrift(at: t).coefficient
  }

  /// `out = a(t)·probe`.
  @inlinable
  public func driftVectorJacobianProduct(
    _ probe: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>
  ) {
    out.assign(probe, scaledBy: linearDrift(at: t).coefficient, offset: 0)
  }
}
