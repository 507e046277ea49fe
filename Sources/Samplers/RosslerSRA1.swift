public import DiffusionProcesses
public import LinearAlgebra

/// Rößler's SRA1: the two-stage stochastic Runge–Kutta method of **strong order 1.5** (and weak
/// order 2) for SDEs with additive noise (Rößler 2010, "Runge–Kutta methods for the strong
/// approximation of solutions of stochastic differential equations", SIAM J. Numer. Anal. 48(3),
/// 922–952: the SRA scheme for additive noise with the SRA1 coefficients, as StochasticDiffEq.jl
/// tabulates them), applied to the reverse-time SDE
///
///     dx = [f(x, t) − g(t)²·s(x, t)] dt + g(t) dW̄,
///
/// whose noise `g(t) dW̄` does not depend on `x` (every forward process here has a scalar,
/// time-only diffusion), so it is additive and the SRA order conditions apply.
///
/// With `F(x, t) = f − g²s` the reverse drift, `h = t₁ − t₀ < 0`, `|h|` the step length, and the
/// step's Brownian increment `ΔB` and time integral `I = I₍₁,₀₎ = ∫₀^{|h|} B(u) du` (Kloeden &
/// Platen's multiple Itô integral `∫∫ dW ds`, the inner integral over `W`; read in the
/// direction of integration; `Var ΔB = |h|`, `Cov(ΔB, I) = |h|²/2`, `Var I = |h|³/3`), SRA1 with
/// `c⁽⁰⁾ = (0, ¾)`, `c⁽¹⁾ = (1, 0)`, `A⁽⁰⁾₂₁ = ¾`, `B⁽⁰⁾₂₁ = 3/2`, `α = (⅓, ⅔)`, `β⁽¹⁾ = (1, 0)`,
/// `β⁽²⁾ = (−1, 1)` reads
///
///     H₂  = x₀ + ¾·h·F(x₀, t₀) + (3/2)·g(t₁)·I/|h|
///     x₁  = x₀ + h·[⅓F(x₀, t₀) + ⅔F(H₂, t₀ + ¾h)] + g(t₁)·(ΔB − I/|h|) + g(t₀)·I/|h|.
///
/// (The reverse SDE in the increasing time `τ = t₀ − t` has drift `−F` and diffusion `g(t₀ − τ)`;
/// substituting gives the lines above.) With constant `g` the noise term is `g·ΔB`; the `I` terms
/// carry the time dependence of `g` to order 1.5. Two score evaluations per step.
///
/// ``step(_:from:to:noise:workspace:)`` draws `(ΔB, I)` exactly from the row's stream,
/// `ΔB = √|h|·z₁`, `I = |h|·(ΔB/2 + √(|h|/12)·z₂)` (independent `z₁, z₂`), so samples do not
/// depend on the batch; ``step(_:from:to:brownian:timeIntegral:workspace:)`` takes them from a
/// ``BrownianPaths`` for pathwise (strong) work.
///
/// ```swift
/// let sra = RosslerSRA1(process: VPSDE<Double>(), score: model)
/// var workspace = sra.makeWorkspace(rows: n, columns: d)
/// _ = try sra.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 50, process: sde),
///                       noise: &noise, workspace: &workspace)   // NFE 100
/// ```
public struct RosslerSRA1<Process: SDE, Model: ScoreModel>: PathwiseReverseSDESolver
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The reverse-time SDE being discretised.
  public let reverse: ReverseSDE<Process, Model>

  /// SRA1 for the reverse of `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    reverse = ReverseSDE(process: process, score: model)
  }

  /// 2: the drift at `(x₀, t₀)` and at the inner stage.
  @inlinable public var evaluationsPerStep: Int { 2 }

  /// One SRA1 step from `t0` to `t1 < t0`, drawing `(ΔB, I₍₁,₀₎)` for row `i` from
  /// `noise.generators[i]` (first `d` normals for `ΔB`, then `d` for the Lévy-area part).
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    let length = t0 - t1
    workspace.base.drawNoise(like: x, from: &noise)
    workspace.timeIntegral.ensureShape(of: x)
    noise.fillNormal(&workspace.timeIntegral)
    workspace.base.noise *= length.squareRoot()
    // I = |h|·(ΔB/2 + √(|h|/12)·z₂)
    workspace.timeIntegral.scale(
      by: length * (length / 12).squareRoot(), adding: workspace.base.noise, scaledBy: length / 2)
    let (brownian, timeIntegral) = (workspace.base.noise, workspace.timeIntegral)
    step(&x, from: t0, to: t1, brownian: brownian, timeIntegral: timeIntegral, workspace: &workspace)
  }

  /// One SRA1 step from `t0` to `t1 < t0` with the given `ΔB` and `I₍₁,₀₎` (each the shape of `x`).
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, brownian: Matrix<Scalar>,
    timeIntegral: Matrix<Scalar>, workspace: inout Workspace
  ) {
    requirePathwiseStep(
      x, from: t0, to: t1, brownian: brownian, timeIntegral: timeIntegral, in: "RosslerSRA1")
    let h = t1 - t0
    let length = -h
    let (g0, g1) = (reverse.diffusion(at: t0), reverse.diffusion(at: t1))
    workspace.base.evaluateDrift(reverse, at: x, time: t0)
    workspace.base.stage.ensureShape(of: x)
    workspace.base.stage.assign(x, adding: workspace.base.drift, scaledBy: 3 * h / 4)
    workspace.base.stage.add(timeIntegral, scaledBy: 3 * g1 / (2 * length))
    workspace.base.evaluateStageDrift(reverse, time: t0 + 3 * h / 4)
    x.scale(
      by: 1, adding: workspace.base.drift, scaledBy: h / 3, workspace.base.stageDrift, scaledBy: 2 * h / 3)
    x.scale(by: 1, adding: brownian, scaledBy: g1, timeIntegral, scaledBy: (g0 - g1) / length)
  }
}

extension RosslerSRA1 {
  /// The two drift stages (`F(x₀, t₀)` and the inner stage's), the inner stage `H₂`, the
  /// increments `ΔB` and `I₍₁,₀₎` and the reverse SDE's scratch.
  public struct Workspace {
    /// `F(x₀, t₀)`, `H₂`, `F(H₂, t₀ + ¾h)`, `ΔB` and the reverse SDE's scratch.
    @usableFromInline var base: ReverseSDEStepWorkspace<Process, Model>
    /// `I₍₁,₀₎`.
    @usableFromInline var timeIntegral: Matrix<Scalar>

    @inlinable
    init(for sde: ReverseSDE<Process, Model>, rows: Int, columns: Int) {
      base = ReverseSDEStepWorkspace(for: sde, rows: rows, columns: columns, stages: true)
      timeIntegral = base.drift
    }
  }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(for: reverse, rows: rows, columns: columns)
  }
}

extension RosslerSRA1.Workspace: Sendable where Model.Workspace: Sendable {}
