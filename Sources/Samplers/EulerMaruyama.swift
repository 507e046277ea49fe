public import DiffusionProcesses
public import LinearAlgebra

/// The Euler–Maruyama discretisation of the reverse-time SDE (Song et al. 2021, eq. 6), with
/// `h = t₁ − t₀ < 0`:
///
///     x₁ = x₀ + [f(x₀, t₀) − g(t₀)²·s(x₀, t₀)]·h + g(t₀)·√|h|·z,   z ~ N(0, I),
///
/// with `g²·s` read as `g²·L Lᵀ s` and `g·z` as `g·L z` for a matrix diffusion `G = g·L`
/// (``SDE/noiseFactor``, as in ``LinearSDE``).
/// Weak order 1 (moments converge like `O(|h|)`), strong order ½. One score evaluation per
/// step. Works for any ``SDE``.
///
/// ```swift
/// let em = EulerMaruyama(process: VPSDE<Double>(), score: model)
/// var workspace = em.makeWorkspace(rows: n, columns: d)
/// em.step(&x, from: 1, to: 0.999, noise: &noise, workspace: &workspace)
/// ```
public struct EulerMaruyama<Process: SDE, Model: ScoreModel>: ReverseSDESolver
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The reverse drift, the noise and the reverse SDE's scratch memory.
  public typealias Workspace = ReverseSDEStepWorkspace<Process, Model>

  /// The reverse-time SDE being discretised.
  public let reverse: ReverseSDE<Process, Model>

  /// Euler–Maruyama for the reverse of `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    reverse = ReverseSDE(process: process, score: model)
  }

  /// Euler–Maruyama for the reverse of `forward` with the score `model`.
  @available(*, deprecated, renamed: "init(process:score:)")
  @inlinable
  public init(forward: Process, score model: Model) {
    self.init(process: forward, score: model)
  }

  /// 1.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(for: reverse, rows: rows, columns: columns)
  }

  /// One Euler–Maruyama step from `t0` to `t1 < t0`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    requireBackwardStep(from: t0, to: t1, in: "EulerMaruyama")
    let h = t1 - t0
    workspace.evaluateDrift(reverse, at: x, time: t0)
    // G(t) z = g(t)·L z for a matrix diffusion: rows Z Lᵀ.
    workspace.drawNoise(like: x, from: &noise, correlatedBy: reverse.process.noiseFactor)
    x.scale(
      by: 1, adding: workspace.drift, scaledBy: h, workspace.noise,
      scaledBy: reverse.diffusion(at: t0) * (-h).squareRoot())
  }
}
