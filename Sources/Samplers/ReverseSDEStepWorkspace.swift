public import DiffusionProcesses
public import LinearAlgebra

/// The scratch memory that every solver of the reverse-time SDE `dx = F(x, t) dt + g(t) dW̄`
/// (`F = f − g²s`, Song et al. 2021, eq. 6) starts from: the ``ReverseSDE``'s own workspace (the
/// model's), the drift `F(x₀, t₀)` at the step's start, and the step's noise — standard normals
/// `z` (with `L z` for a matrix diffusion, ``SDE/noiseFactor``) or a Brownian increment `ΔB`.
/// Shared by ``EulerMaruyama``, ``RosslerSRA1`` and ``AdaptiveReverseSDESolver``, which add the
/// buffers of their own stages (it is the whole of ``EulerMaruyama``'s), as ``ScoreStepWorkspace``
/// is shared by the Gaussian steps. Made once per batch shape by the solver's `makeWorkspace`,
/// after which nothing is allocated.
///
/// ```swift
/// let em = EulerMaruyama(process: VPSDE<Double>(), score: model)
/// var workspace: ReverseSDEStepWorkspace = em.makeWorkspace(rows: n, columns: d)
/// ```
public struct ReverseSDEStepWorkspace<Process: SDE, Model: ScoreModel> where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The reverse SDE's scratch memory, used by every drift evaluation of the step.
  @usableFromInline var reverse: ReverseSDE<Process, Model>.Workspace
  /// `F(x₀, t₀)` after `evaluateDrift(_:at:time:)`.
  @usableFromInline var drift: Matrix<Scalar>
  /// An inner stage's state (``RosslerSRA1``'s `H₂`, ``AdaptiveReverseSDESolver``'s proposal
  /// `x'`) and its drift `F(stage, t)` after `evaluateStageDrift(_:time:)`; both empty for
  /// single-stage solvers.
  @usableFromInline var stage, stageDrift: Matrix<Scalar>
  /// The step's noise: `z ~ N(0, I)` (or `L z`) after `drawNoise(like:from:correlatedBy:)`, or
  /// a Brownian increment `ΔB` the solver writes itself.
  @usableFromInline var noise: Matrix<Scalar>
  /// `L z` before it is swapped into `noise`; empty until a matrix diffusion needs it.
  @usableFromInline var correlatedNoise: Matrix<Scalar>

  /// Scratch memory of `sde` for batches of `rows × columns`, with the stage buffers when
  /// `stages` (a solver that evaluates the drift at an inner stage).
  @inlinable
  init(for sde: ReverseSDE<Process, Model>, rows: Int, columns: Int, stages: Bool = false) {
    reverse = sde.makeWorkspace(rows: rows, columns: columns)
    drift = Matrix(rows: rows, columns: columns)
    noise = drift
    stage = stages ? drift : Matrix(rows: 0, columns: 0)
    stageDrift = stage
    correlatedNoise = Matrix(rows: 0, columns: 0)
  }

  /// Writes `F(x, t)` into `drift` (resized to `x`'s shape if needed).
  @inlinable
  mutating func evaluateDrift(_ sde: ReverseSDE<Process, Model>, at x: Matrix<Scalar>, time t: Scalar) {
    drift.ensureShape(of: x)
    sde.drift(x, at: t, into: &drift, workspace: &reverse)
  }

  /// Writes `F(stage, t)` into `stageDrift` (resized to the stage's shape if needed).
  @inlinable
  mutating func evaluateStageDrift(_ sde: ReverseSDE<Process, Model>, time t: Scalar) {
    stageDrift.ensureShape(of: stage)
    sde.drift(stage, at: t, into: &stageDrift, workspace: &reverse)
  }

  /// Fills `noise` (resized to `x`'s shape if needed) with row `i`'s next standard normal
  /// variates from stream `i`, then, for a matrix diffusion `G = g·L`, replaces `z` by `L z`
  /// (rows `Z Lᵀ`).
  @inlinable
  mutating func drawNoise(
    like x: Matrix<Scalar>, from streams: inout RowStreams, correlatedBy factor: Matrix<Scalar>? = nil
  ) {
    noise.ensureShape(of: x)
    streams.fillNormal(&noise)
    guard let factor else { return }
    correlatedNoise.ensureShape(of: x)
    correlatedNoise.formProduct(noise, factor, transposingB: true)
    swap(&noise, &correlatedNoise)
  }
}

extension ReverseSDEStepWorkspace: Sendable where Model.Workspace: Sendable {}

/// Stops a reverse-time step from `t0` to `t1` that does not go backwards (`t1 < t0`), naming
/// `solver`.
@inlinable
func requireBackwardStep<Scalar: BLASScalar>(from t0: Scalar, to t1: Scalar, in solver: String) {
  precondition(t1 < t0, "\(solver) steps backwards in time, got \(t0) → \(t1)")
}

/// Stops a pathwise reverse-time step (``PathwiseReverseSDESolver``) from `t0` to `t1` that does
/// not go backwards or whose Brownian increments (and time integrals, for a solver that reads
/// them) are not the shape of the batch `x`, naming `solver`.
@inlinable
func requirePathwiseStep<Scalar: BLASScalar>(
  _ x: Matrix<Scalar>, from t0: Scalar, to t1: Scalar, brownian: Matrix<Scalar>,
  timeIntegral: Matrix<Scalar>?, in solver: String
) {
  requireBackwardStep(from: t0, to: t1, in: solver)
  precondition(
    brownian.hasShape(of: x) && timeIntegral.map { $0.hasShape(of: x) } ?? true,
    "\(solver): Brownian increments \(brownian.shapeDescription)"
      + (timeIntegral.map { ", time integrals \($0.shapeDescription)" } ?? "")
      + " for a batch of \(x.shapeDescription)")
}
