public import LinearAlgebra

/// The weights of a score-corrected process `dx = [f(x, t) − λ·g(t)²·s(x, t)] dt + η·g(t) dW̄`:
/// the score weight `λ` and the noise scale `η`, with `λ = (1 + η²)/2` so that the process keeps
/// the forward marginals `p_t` (Song et al. 2021, eq. 6 and 13). ``ReverseTimeWeight`` is the
/// reverse-time SDE (`λ = η = 1`), ``ProbabilityFlowWeight`` the probability-flow ODE (`λ = ½`,
/// `η = 0`).
///
/// ```swift
/// let lambda = ProbabilityFlowWeight.weight(as: Double.self)   // 0.5
/// ```
public protocol ScoreWeightRule: Sendable {
  /// `λ` in the precision `Scalar`.
  static func weight<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar
  /// `η = √(2λ − 1)` in the precision `Scalar`.
  static func noiseScale<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar
}

/// `λ = η = 1`: the reverse-time SDE `dx = [f − g²·s] dt + g dW̄` (Song et al. 2021, eq. 6).
public enum ReverseTimeWeight: ScoreWeightRule {
  /// `1`.
  @inlinable
  public static func weight<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar { 1 }
  /// `1`.
  @inlinable
  public static func noiseScale<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar { 1 }
}

/// `λ = ½`, `η = 0`: the probability-flow ODE `dx/dt = f − ½g²·s` (Song et al. 2021, eq. 13).
public enum ProbabilityFlowWeight: ScoreWeightRule {
  /// `½`.
  @inlinable
  public static func weight<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar { 1 / 2 }
  /// `0`.
  @inlinable
  public static func noiseScale<Scalar: FloatingPoint>(as _: Scalar.Type) -> Scalar { 0 }
}

/// A forward ``SDE`` and a ``ScoreModel`` assembled into the process
///
///     dx = [f(x, t) − λ·g(t)²·s(x, t)] dt + η·g(t) dW̄,
///
/// with `λ` and `η` from `Weight`. Its two uses have their own names: ``ReverseSDE``
/// (`λ = η = 1`) and ``ProbabilityFlowODE`` (`λ = ½`, `η = 0`, whose drift is its `velocity`).
///
/// ```swift
/// let reverse = ReverseSDE(process: VPSDE<Double>(), score: oracle)
/// let flow = ProbabilityFlowODE(process: VPSDE<Double>(), score: oracle)
/// ```
public struct ScoreCorrectedProcess<Process: SDE, Model: ScoreModel, Weight: ScoreWeightRule>:
  ScoreDrivenProcess
where Process.Scalar == Model.Scalar {
  /// The forward (noising) process.
  public var process: Process
  /// The score model `s(x, t) ≈ ∇ₓ log p_t(x)`.
  public var model: Model

  /// The process of `Weight` built from `process` and the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    (self.process, self.model) = (process, model)
  }

  /// The process of `Weight` built from `forward` and the score `model`.
  @available(*, deprecated, renamed: "init(process:score:)")
  @inlinable
  public init(forward: Process, score model: Model) {
    self.init(process: forward, score: model)
  }

  /// `λ` of `Weight`: the drift is `f − λ·g²·s`.
  @inlinable
  public static var scoreWeight: Process.Scalar { Weight.weight(as: Process.Scalar.self) }

  /// Writes the drift `f(xᵢ, t) − λ·g(t)²·s(xᵢ, t)` into row `i` of `out` (the shape of `x`):
  /// the reverse drift for `λ = 1`, the probability-flow velocity for `λ = ½`. Allocates
  /// nothing once `workspace` has the batch's shape.
  @inlinable
  public func drift(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    process.scoreCorrectedDrift(
      x, at: t, score: model, weight: Self.scoreWeight, into: &out, workspace: &workspace,
      caller: "\(Self.self)")
  }

  /// The drift as a new matrix (convenient; allocates).
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> {
    var workspace = makeWorkspace(rows: x.rows, columns: x.columns)
    var out = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    drift(x, at: t, into: &out, workspace: &workspace)
    return out
  }

  /// The diffusion coefficient `η·g(t)`: the forward process's `g(t)` for the reverse-time SDE,
  /// `0` for the probability-flow ODE.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar {
    Weight.noiseScale(as: Scalar.self) * process.diffusion(at: t)
  }
}
