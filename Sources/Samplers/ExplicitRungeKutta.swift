public import LinearAlgebra

/// An explicit Runge–Kutta method for `dx/dt = v(x, t)`, its coefficients given by a
/// ``ButcherTableau``: every stage state `x₀ + h Σⱼ aᵢⱼkⱼ` and the update `x₀ + h Σᵢ bᵢkᵢ` are
/// formed by one routine, whatever the tableau. ``Euler``, ``Heun``, ``RungeKutta4`` and
/// ``DormandPrince5`` are its instances; with an ``EmbeddedButcherTableau`` it also takes adaptive
/// steps (``integrate(_:from:to:controller:workspace:observer:)``).
///
/// ```swift
/// let rk4 = RungeKutta4(ProbabilityFlowODE(process: sde, score: model))
/// var workspace = rk4.makeWorkspace(rows: n, columns: d)
/// let nfe = try rk4.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 50, process: sde),
///                             workspace: &workspace)   // 200
/// ```
public struct ExplicitRungeKutta<Field: VectorField, Tableau: ButcherTableau>: ODESolver {
  /// The precision.
  public typealias Scalar = Field.Scalar

  /// The right-hand side.
  public let field: Field

  /// The stage slopes, the stage state, the candidate and error of an adaptive step, and the
  /// field's scratch memory.
  public struct Workspace {
    @usableFromInline var field: Field.Workspace
    /// `kᵢ`, one per stage (one more for an adaptive step's last stage).
    @usableFromInline var k: [Matrix<Scalar>]
    @usableFromInline var stage: Matrix<Scalar>
    @usableFromInline var candidate: Matrix<Scalar>
    @usableFromInline var error: Matrix<Scalar>

    @inlinable
    init(field: Field.Workspace, stages: Int, rows: Int, columns: Int) {
      self.field = field
      k = Array(repeating: Matrix(rows: rows, columns: columns), count: stages)
      stage = Matrix(rows: rows, columns: columns)
      candidate = Matrix(rows: 0, columns: 0)
      error = Matrix(rows: 0, columns: 0)
    }

    /// Gives `count` slopes and the stage buffer the shape of `x` (and the candidate and error
    /// buffers when `adaptive`); allocates only when a shape changes.
    @inlinable
    mutating func ensureShape(of x: Matrix<Scalar>, slopes count: Int, adaptive: Bool) {
      while k.count < count { k.append(Matrix(rows: x.rows, columns: x.columns)) }
      for i in k.indices { k[i].ensureShape(of: x) }
      stage.ensureShape(of: x)
      if adaptive {
        candidate.ensureShape(of: x)
        error.ensureShape(of: x)
      }
    }
  }

  /// The method of `Tableau` for `field`.
  @inlinable
  public init(_ field: Field) { self.field = field }

  /// The tableau's order.
  @inlinable public var order: Int { Tableau.order }
  /// The number of stages.
  @inlinable public var evaluationsPerStep: Int { Tableau.weights.count }

  /// Scratch memory for states of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(
      field: field.makeWorkspace(rows: rows, columns: columns), stages: Tableau.weights.count, rows: rows,
      columns: columns)
  }

  /// One step from `t0` to `t1`: all stages, then `x ← x + h Σ bᵢkᵢ` in place.
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace w: inout Workspace) {
    let s = Tableau.weights.count
    w.ensureShape(of: x, slopes: s, adaptive: false)
    field.velocity(x, at: t0, into: &w.k[0], workspace: &w.field)
    evaluateStages(1..<s, from: x, at: t0, to: t1, workspace: &w)
    Self.accumulate(w.k, into: &x, from: nil, weights: Tableau.weights, step: t1 - t0)
  }

  /// Stages `range` (each after the ones before it, `k₀` already in the workspace):
  /// `kᵢ = v(x + h Σ_{j<i} aᵢⱼkⱼ, t₀ + cᵢh)`, with `t₁` itself where `cᵢ = 1`.
  @inlinable
  func evaluateStages(
    _ range: Range<Int>, from x: Matrix<Scalar>, at t0: Scalar, to t1: Scalar, workspace w: inout Workspace
  ) {
    let a = Tableau.stageCoefficients
    let c = Tableau.nodes
    let h = t1 - t0
    for i in range {
      Self.accumulate(w.k, into: &w.stage, from: x, weights: a[i], step: h)
      let t = c[i] == 1 ? t1 : t0 + Scalar(c[i]) * h
      field.velocity(w.stage, at: t, into: &w.k[i], workspace: &w.field)
    }
  }

  /// `target ← base + h Σⱼ wⱼkⱼ` (or `target ← target + h Σⱼ wⱼkⱼ` without a base), skipping
  /// zero weights and adding the slopes two at a time: the one place stage states and updates
  /// are formed.
  @inlinable
  static func accumulate(
    _ k: [Matrix<Scalar>], into target: inout Matrix<Scalar>, from base: Matrix<Scalar>?,
    weights: [Double], step h: Scalar
  ) {
    var pending: Int? = nil
    var started = base == nil
    for j in weights.indices where weights[j] != 0 {
      if !started, let base {
        target.assign(base, adding: k[j], scaledBy: h * Scalar(weights[j]))
        started = true
      } else if let p = pending {
        target.scale(
          by: 1, adding: k[p], scaledBy: h * Scalar(weights[p]), k[j], scaledBy: h * Scalar(weights[j]))
        pending = nil
      } else {
        pending = j
      }
    }
    if let p = pending { target.add(k[p], scaledBy: h * Scalar(weights[p])) }
    if !started, let base { target.assign(base) }
  }
}

extension ExplicitRungeKutta.Workspace: Sendable where Field.Workspace: Sendable {}

/// The explicit Euler method (order 1, one field evaluation a step; ``EulerTableau``).
///
/// ```swift
/// let euler = Euler(ProbabilityFlowODE(process: sde, score: model))
/// ```
public typealias Euler<Field: VectorField> = ExplicitRungeKutta<Field, EulerTableau>

/// Heun's method (order 2, two field evaluations a step; ``HeunTableau``).
///
/// ```swift
/// let heun = Heun(ProbabilityFlowODE(process: sde, score: model))
/// ```
public typealias Heun<Field: VectorField> = ExplicitRungeKutta<Field, HeunTableau>

/// The classical fourth-order Runge–Kutta method (four field evaluations a step;
/// ``RungeKutta4Tableau``): the fixed-step choice for probability-flow sampling and likelihoods
/// on a grid.
///
/// ```swift
/// let rk4 = RungeKutta4(ProbabilityFlowODE(process: sde, score: model))
/// ```
public typealias RungeKutta4<Field: VectorField> = ExplicitRungeKutta<Field, RungeKutta4Tableau>

/// The Dormand–Prince 5(4) pair (``DormandPrince5Tableau``): six evaluations a fixed step, or
/// adaptive steps with a ``PIController``
/// (``ExplicitRungeKutta/integrate(_:from:to:controller:workspace:observer:)``).
///
/// ```swift
/// let dopri = DormandPrince5(ProbabilityFlowODE(process: sde, score: model))
/// var workspace = dopri.makeWorkspace(rows: n, columns: d)
/// let stats = try dopri.integrate(&x, from: 1, to: 1e-5,
///     controller: PIController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6), workspace: &workspace)
/// print(stats.scoreEvaluations, stats.acceptedSteps, stats.rejectedSteps)
/// ```
public typealias DormandPrince5<Field: VectorField> = ExplicitRungeKutta<Field, DormandPrince5Tableau>
