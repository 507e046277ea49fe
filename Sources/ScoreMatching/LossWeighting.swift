/// The weighting `λ(t)` of the denoising score-matching objective (Song et al. 2021, eq. 7):
///
///     J(θ) = E_{t ~ U[ε, T]} λ(t) · E_{x₀, z} ‖s_θ(x_t, t) − ∇ log p_t(x_t | x₀)‖²,
///     x_t = a(t)·x₀ + shift(t) + σ(t)·z,   ∇ log p_t(x_t | x₀) = −z/σ(t).
///
/// Whatever the network predicts (``Parameterization``), the loss is measured
/// on the **score** it implies, so the three weightings mean the same for every
/// parameterisation:
///
/// - ``noise``: `λ = σ²`, so `λ‖s_θ + z/σ‖² = ‖ε̂ − z‖²` for an ε-predicting network: the
///   "simple" loss of Ho et al. (2020) and the default of Song et al. (2021), and exactly the
///   loss of `shared/bench/torch_ref.py` (mean over the batch of the sum over dimensions of
///   `(ε̂ − z)²`).
/// - ``likelihood``: `λ = g(t)²` (Song, Durkan, Murray & Ermon 2021, "Maximum Likelihood
///   Training of Score-Based Diffusion Models", Theorem 1): then `½(T − ε)·J` plus terms that do
///   not depend on θ bounds the negative log-likelihood of the probability-flow / SDE model,
///   `−E log p_θ(x₀) ≤ ½(T − ε)·J(θ) + C`, so minimising it maximises a bound on the likelihood.
///   Its integrand grows like `1/t` near 0; sample `t` by importance (``TimeProposal``).
/// - ``uniform``: `λ = 1`, the plain score-matching loss of Hyvärinen (2005) / Vincent (2011)
///   averaged over time; dominated by small `t`, where `E‖z/σ‖² = d/σ²`.
///
/// ```swift
/// var options = DenoisingOptions()           // ε-prediction, λ = σ²
/// options.weighting = .likelihood            // λ = g², importance-sampled t by default
/// ```
public enum LossWeighting: String, Sendable, Codable, CaseIterable {
  /// `λ(t) = σ(t)²`: the ε-prediction loss `‖ε̂ − z‖²`.
  case noise
  /// `λ(t) = g(t)²`: the likelihood weighting (an upper bound on the negative log-likelihood).
  case likelihood
  /// `λ(t) = 1` on the score.
  case uniform
  /// EDM's weighting (Karras et al. 2022, §5, eq. 8 and Table 1): their loss
  /// `E_{ln σ̃ ~ N(P_mean, P_std²)} λ_D(σ̃)‖D − x₀‖²` with `λ_D = (σ̃² + σ_d²)/(σ̃·σ_d)²`, written as
  /// a weighting of the score error under uniform times: `‖D − x₀‖ = (σ²/a)·‖s − s*‖`, so
  /// `λ(t) = q_LN(t)·(T − ε)·λ_D(σ̃)·σ⁴/a²`, with `q_LN` the log-normal density of
  /// ``LogNormalNoiseLevels`` and `σ_d` the `.edm` parameterisation's (1 otherwise). With the
  /// `.logNormal` proposal and the `.edm` parameterisation every row's weight on `‖F − F*‖²` is 1,
  /// as in Karras et al.
  case edm
}

/// How the times of a batch are spread over `[ε, T]`, for variance reduction.
///
/// Each row gets a quantile `uᵢ ∈ [0, 1]` that the ``TimeProposal`` maps to a time (`t = ε +
/// u(T − ε)` when uniform). Every scheme gives each `uᵢ` the uniform distribution, so the loss
/// stays unbiased; the schemes differ in how the batch's quantiles depend on each other.
public enum TimeSampling: String, Sendable, Codable, CaseIterable {
  /// `uᵢ` independent and uniform (`torch_ref.py`'s `torch.rand(B)`).
  case independent
  /// One quantile per stratum: `uᵢ = (i + Uᵢ)/n` for row `i` of `n`, so the batch covers
  /// `[0, 1]` evenly (stratified sampling; the variance can only decrease).
  case stratified
  /// Antithetic pairs `(U, 1 − U)` on rows `2j, 2j + 1` (an odd last row is independent):
  /// small and large times are always drawn together.
  case antithetic
}

/// The density the times are drawn from, before the loss re-weights them so that the objective
/// is always `J` with `t ~ U[ε, T]` (``LossWeighting``).
public enum TimeProposal: String, Sendable, Codable, CaseIterable {
  /// `q(t) = 1/(T − ε)`.
  case uniform
  /// `q(t) ∝ g(t)²/σ(t)²` on `[ε, T]` (Song, Durkan et al. 2021, §5 "variance reduction").
  ///
  /// For every linear SDE `g²/σ² = −dλ_SNR/dt` with `λ_SNR(t) = log(a(t)²/σ(t)²)`, the log
  /// signal-to-noise ratio (Kingma et al. 2021), so the proposal's CDF is
  /// `F(t) = (λ_SNR(ε) − λ_SNR(t)) / (λ_SNR(ε) − λ_SNR(T))` and its inverse is the process's
  /// ``GaussianSDE/time(atLogSignalToNoiseRatio:)``: closed form for VP (both
  /// schedules), sub-VP, VE and Ornstein–Uhlenbeck, bisection for other processes. No table is
  /// needed. With the likelihood weighting the importance weight `g²/q` is `Z·σ²` (`Z` the
  /// normaliser), so each sample's loss is the ε-loss times a constant: the estimator has the
  /// low variance of the ε-loss.
  case importance
  /// EDM's log-normal noise levels, `ln(σ/a) ~ N(−1.2, 1.2²)` truncated to `[ε, T]`
  /// (``LogNormalNoiseLevels``; Karras et al. 2022, Table 1). The default for the `.edm` weighting.
  case logNormal
}
