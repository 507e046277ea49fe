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
/// let reverse = ReverseSDE(forward: VPSDE<Double>(), score: oracle)
/// var workspace = reverse.makeWorkspace(rows: n, columns: d)
/// reverse.drift(x, at: t, into: &velocity, workspace: &workspace)   // no allocation
/// x += velocity * dt + g·√|dt|·z  (dt < 0)
/// ```
public struct ReverseSDE<Forward: SDE, Model: ScoreModel>: Sendable where Forward.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The forward (noising) process.
  public var forward: Forward
  /// The score model `s(x, t) ≈ ∇ₓ log p_t(x)` (score parameterisation).
  public var model: Model

  /// Scratch memory for ``drift(_:at:into:workspace:)``: the model's workspace and a buffer for
  /// the forward drift, resized on first use to the batch's shape.
  public typealias Workspace = ScoreDriftWorkspace<Model>

  /// The reverse of `forward` with the score `model`.
  @inlinable
  public init(forward: Forward, score model: Model) {
    self.forward = forward
    self.model = model
  }

  /// The forward process's end time `T`, where reverse integration starts.
  @inlinable
  public var endTime: Scalar { forward.endTime }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model, rows: rows, columns: columns)
  }

  /// Writes the reverse drift `f(xᵢ, t) − g(t)²·s(xᵢ, t)` into row `i` of `out` (the shape of
  /// `x`). Allocates nothing once `workspace` has the batch's shape.
  @inlinable
  public func drift(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    forward.scoreCorrectedDrift(
      x, at: t, score: model, weight: 1, into: &out, workspace: &workspace, caller: "ReverseSDE.drift")
  }

  /// The reverse drift as a new matrix (convenient; allocates).
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> {
    var workspace = makeWorkspace(rows: x.rows, columns: x.columns)
    var out = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    drift(x, at: t, into: &out, workspace: &workspace)
    return out
  }

  /// The diffusion coefficient `g(t)` of the forward process.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { forward.diffusion(at: t) }
}
