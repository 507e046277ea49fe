public import DiffusionProcesses
public import LinearAlgebra

/// The Kullback–Leibler divergence between two reverse-time SDEs that differ only in their score,
/// by Girsanov's theorem.
///
/// The reverse SDE driven by a score `s` is `dx = [f − g² s] dt + g dW̄` (Anderson 1982; Song et
/// al. 2021, eq. 6). Two such processes started from the same law at `t₁` and run back to `t₀`
/// share their diffusion, so Girsanov's theorem gives the path-space divergence of the one driven
/// by the reference score `s⋆` from the one driven by the model `s_θ`
/// (Song, Durkan, Murray & Ermon 2021, "Maximum Likelihood Training of Score-Based Diffusion
/// Models", Theorem 1 and its proof):
///
///     KL(ℙ⋆ ‖ ℙ_θ) = ½ ∫_{t₀}^{t₁} g(t)² E_{p_t} ‖s_θ(x, t) − s⋆(x, t)‖² dt,
///
/// with `p_t` the marginals of the reference process, i.e. the forward marginals when `s⋆` is the
/// exact score `∇log p_t`. By the data-processing inequality it bounds `KL(p_{t₀} ‖ p^θ_{t₀})` of
/// the models' time-`t₀` laws. The expectation is over perturbed data; the time integral is by
/// stratified random times, one per round; the standard error adds the rounds' and the data's
/// share (the points are a sample of `p_0`). When `s⋆` is an exact
/// oracle the estimate is unbiased for the exact divergence.
///
/// ```swift
/// let kl = PathSpaceDivergence(process: VPSDE<Double>(), model: learned, reference: oracle)
/// print(kl.divergence(from: 1e-3, to: 1, data: x0, rounds: 100, using: &rng))
/// ```
public struct PathSpaceDivergence<Process: GaussianSDE, Model: ScoreModel, Reference: ScoreModel>: Sendable
where Process.Scalar == Model.Scalar, Model.Scalar == Reference.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// The model score `s_θ`.
  public let model: Model
  /// The reference score `s⋆` (the exact one, for the divergence from the true reverse process).
  public let reference: Reference

  /// The divergence between reverse SDEs driven by `model` and by `reference`.
  public init(process: Process, model: Model, reference: Reference) {
    self.process = process
    self.model = model
    self.reference = reference
  }

  /// `½ g(t)² ‖s_θ(xᵢ, t) − s⋆(xᵢ, t)‖²` for every row of `x`.
  @inlinable
  public func integrand(_ x: Matrix<Scalar>, at t: Scalar) -> [Double] {
    let g = Double(process.diffusion(at: t))
    let difference = model.score(x, at: t) - reference.score(x, at: t)
    return difference.squaredRowNorms().map { g * g / 2 * Double($0) }
  }

  /// The rate `½ g(t)² E_{p_t}‖s_θ − s⋆‖²` at time `t`, from `data` perturbed to `t`; the
  /// standard error is over the points.
  @inlinable
  public func rate<G: RandomNumberGenerator>(
    at t: Scalar, data: Matrix<Scalar>, using rng: inout G
  ) -> MonteCarloEstimate {
    MonteCarloEstimate(integrand(process.perturb(data, at: t, using: &rng).perturbed, at: t))
  }

  /// `KL(ℙ⋆ ‖ ℙ_θ)` over `[t₀, t₁]` by `rounds` stratified random times.
  /// - Parameters:
  ///   - start: `t₀ > 0` (scores of data without density diverge at 0).
  ///   - end: `t₁ ≤ T`.
  ///   - data: samples of `p_0`, `n × d`, all perturbed to each round's time.
  ///   - rounds: stratified times (even, ≥ 2).
  ///   - rng: the source of times and noise.
  @inlinable
  public func divergence<G: RandomNumberGenerator>(
    from start: Scalar, to end: Scalar, data: Matrix<Scalar>, rounds: Int, using rng: inout G
  ) -> MonteCarloEstimate {
    RoundsOverPoints.integrate(
      "PathSpaceDivergence", process: process, from: start, to: end, data: data, rounds: rounds, terms: 1,
      using: &rng
    ) { x, t in [integrand(x, at: t)] }[0]
  }
}
