public import LinearAlgebra

/// The reverse-time SDE of a forward ``SDE`` (Anderson 1982; Song et al. 2021, eq. 6):
///
///     dx = [f(x, t) − g(t)²·s(x, t)] dt + g(t) dW̄,
///
/// integrated backwards from `t = T` to `t = ε` (`dt < 0`, `W̄` a reverse-time Brownian motion),
/// where `s ≈ ∇ₓ log p_t` is the **score** given by `model`. It is built by composition from
/// the forward process and the model; samplers call ``drift(_:at:into:workspace:)`` and
/// ``diffusion(at:)``.
///
/// ```swift
/// let reverse = ReverseSDE(process: VPSDE<Double>(), score: oracle)
/// var workspace = reverse.makeWorkspace(rows: n, columns: d)
/// reverse.drift(x, at: t, into: &velocity, workspace: &workspace)   // no allocation
/// x += velocity * dt + g·√|dt|·z  (dt < 0)
/// ```
public struct ReverseSDE<Process: SDE, Model: ScoreModel>: ScoreDrivenProcess
where Process.Scalar == Model.Scalar {
  /// The forward (noising) process.
  public var process: Process
  /// The score model `s(x, t) ≈ ∇ₓ log p_t(x)`.
  public var model: Model

  /// The reverse of `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    (self.process, self.model) = (process, model)
  }

  /// The reverse of `forward` with the score `model`.
  @available(*, deprecated, renamed: "init(process:score:)")
  @inlinable
  public init(forward: Process, score model: Model) {
    self.init(process: forward, score: model)
  }

  /// `λ = 1`: the drift is `f − g²·s`.
  @inlinable
  public static var scoreWeight: Scalar { 1 }

  /// Writes the reverse drift `f(xᵢ, t) − g(t)²·s(xᵢ, t)` into row `i` of `out` (the shape of
  /// `x`). Allocates nothing once `workspace` has the batch's shape.
  @inlinable
  public func drift(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    scoreCorrectedDrift(x, at: t, into: &out, workspace: &workspace)
  }

  /// The reverse drift as a new matrix (convenient; allocates).
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> { scoreCorrectedDrift(x, at: t) }

  /// The diffusion coefficient `g(t)` of the forward process.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { process.diffusion(at: t) }
}
