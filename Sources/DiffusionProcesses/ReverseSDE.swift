/// The reverse-time SDE of a forward ``SDE`` (Anderson 1982; Song et al. 2021, eq. 6):
///
///     dx = [f(x, t) − g(t)²·s(x, t)] dt + g(t) dW̄,
///
/// integrated backwards from `t = T` to `t = ε` (`dt < 0`, `W̄` a reverse-time Brownian motion),
/// where `s ≈ ∇ₓ log p_t` is the **score** given by `model`. It is the
/// ``ScoreCorrectedProcess`` with `λ = 1`, built by composition from the forward process and the
/// model; samplers call ``ScoreCorrectedProcess/drift(_:at:into:workspace:)`` and
/// ``ScoreCorrectedProcess/diffusion(at:)``.
///
/// ```swift
/// let reverse = ReverseSDE(process: VPSDE<Double>(), score: oracle)
/// var workspace = reverse.makeWorkspace(rows: n, columns: d)
/// reverse.drift(x, at: t, into: &velocity, workspace: &workspace)   // no allocation
/// x += velocity * dt + g·√|dt|·z  (dt < 0)
/// ```
public typealias ReverseSDE<Process: SDE, Model: ScoreModel> = ScoreCorrectedProcess<
  Process, Model, ReverseTimeWeight
>
where Process.Scalar == Model.Scalar
