public import LinearAlgebra

/// The Dormand–Prince 5(4) embedded Runge–Kutta pair (Dormand & Prince 1980; the `RK45` of
/// SciPy that Song et al. 2021 use for probability-flow sampling and likelihoods).
///
/// Seven stages `kᵢ = v(x₀ + h Σⱼ aᵢⱼkⱼ, t₀ + cᵢh)` give the fifth-order solution
/// `x₁ = x₀ + h Σ bᵢkᵢ` and, from the embedded fourth-order one, the error estimate
/// `e = h Σ (bᵢ − b̂ᵢ)kᵢ`. The last stage is evaluated at `x₁` itself ("first same as last"), so
/// an adaptive step costs six new evaluations. Used two ways:
///
/// - fixed steps, through ``ODESolver/integrate(_:over:workspace:observer:)`` (six evaluations a
///   step, no error estimate);
/// - adaptive steps with a ``PIController``, through
///   ``integrate(_:from:to:controller:workspace:observer:)``.
///
/// ```swift
/// let dopri = DormandPrince5(ProbabilityFlowODE(forward: sde, score: model))
/// var workspace = dopri.makeWorkspace(rows: n, columns: d)
/// let stats = try dopri.integrate(&x, from: 1, to: 1e-5,
///     controller: PIController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6), workspace: &workspace)
/// print(stats.evaluations, stats.acceptedSteps, stats.rejectedSteps)
/// ```
public struct DormandPrince5<Field: VectorField>: ODESolver {
  /// The precision.
  public typealias Scalar = Field.Scalar

  /// The right-hand side.
  public let field: Field

  /// The seven stage slopes, the stage and candidate states, the error estimate and the field's
  /// scratch memory.
  public struct Workspace {
    @usableFromInline var field: Field.Workspace
    @usableFromInline var k1: Matrix<Scalar>
    @usableFromInline var k2: Matrix<Scalar>
    @usableFromInline var k3: Matrix<Scalar>
    @usableFromInline var k4: Matrix<Scalar>
    @usableFromInline var k5: Matrix<Scalar>
    @usableFromInline var k6: Matrix<Scalar>
    @usableFromInline var k7: Matrix<Scalar>
    @usableFromInline var stage: Matrix<Scalar>
    @usableFromInline var candidate: Matrix<Scalar>
    @usableFromInline var error: Matrix<Scalar>

    @inlinable
    init(field: Field.Workspace, rows: Int, columns: Int) {
      self.field = field
      let zero = Matrix<Scalar>(rows: rows, columns: columns)
      (k1, k2, k3, k4, k5, k6, k7) = (zero, zero, zero, zero, zero, zero, zero)
      (stage, candidate, error) = (zero, zero, zero)
    }

    @inlinable
    mutating func ensureShape(of x: Matrix<Scalar>) {
      k1.ensureShape(of: x)
      k2.ensureShape(of: x)
      k3.ensureShape(of: x)
      k4.ensureShape(of: x)
      k5.ensureShape(of: x)
      k6.ensureShape(of: x)
      k7.ensureShape(of: x)
      stage.ensureShape(of: x)
      candidate.ensureShape(of: x)
      error.ensureShape(of: x)
    }
  }

  /// The Dormand–Prince pair for `field`.
  @inlinable
  public init(_ field: Field) { self.field = field }

  /// 5.
  @inlinable public var order: Int { 5 }
  /// 6 (fixed steps; the seventh stage only serves the error estimate).
  @inlinable public var evaluationsPerStep: Int { 6 }

  /// Scratch memory for states of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(field: field.makeWorkspace(rows: rows, columns: columns), rows: rows, columns: columns)
  }

  /// One fixed fifth-order step from `t0` to `t1`.
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace: inout Workspace) {
    workspace.ensureShape(of: x)
    field.velocity(x, at: t0, into: &workspace.k1, workspace: &workspace.field)
    stages(x, from: t0, step: t1 - t0, workspace: &workspace, withError: false)
    x.assign(workspace.candidate)
  }

  /// Stages 2–6 (and 7 with the error estimate) from `x` with `k1` already in the workspace;
  /// writes the fifth-order solution into `candidate` (and `h Σ eᵢkᵢ` into `error`).
  @inlinable
  func stages(
    _ x: Matrix<Scalar>, from t0: Scalar, step h: Scalar, workspace w: inout Workspace, withError: Bool
  ) {
    typealias T = DormandPrinceTableau
    w.stage.assign(x, adding: w.k1, scaledBy: h * Scalar(T.a21))
    field.velocity(w.stage, at: t0 + Scalar(T.c2) * h, into: &w.k2, workspace: &w.field)

    w.stage.assign(x, adding: w.k1, scaledBy: h * Scalar(T.a31))
    w.stage.add(w.k2, scaledBy: h * Scalar(T.a32))
    field.velocity(w.stage, at: t0 + Scalar(T.c3) * h, into: &w.k3, workspace: &w.field)

    w.stage.assign(x, adding: w.k1, scaledBy: h * Scalar(T.a41))
    w.stage.add(w.k2, scaledBy: h * Scalar(T.a42))
    w.stage.add(w.k3, scaledBy: h * Scalar(T.a43))
    field.velocity(w.stage, at: t0 + Scalar(T.c4) * h, into: &w.k4, workspace: &w.field)

    w.stage.assign(x, adding: w.k1, scaledBy: h * Scalar(T.a51))
    w.stage.add(w.k2, scaledBy: h * Scalar(T.a52))
    w.stage.add(w.k3, scaledBy: h * Scalar(T.a53))
    w.stage.add(w.k4, scaledBy: h * Scalar(T.a54))
    field.velocity(w.stage, at: t0 + Scalar(T.c5) * h, into: &w.k5, workspace: &w.field)

    w.stage.assign(x, adding: w.k1, scaledBy: h * Scalar(T.a61))
    w.stage.add(w.k2, scaledBy: h * Scalar(T.a62))
    w.stage.add(w.k3, scaledBy: h * Scalar(T.a63))
    w.stage.add(w.k4, scaledBy: h * Scalar(T.a64))
    w.stage.add(w.k5, scaledBy: h * Scalar(T.a65))
    field.velocity(w.stage, at: t0 + h, into: &w.k6, workspace: &w.field)

    // x₁ = x₀ + h(b₁k₁ + b₃k₃ + b₄k₄ + b₅k₅ + b₆k₆)   (b₂ = b₇ = 0)
    w.candidate.assign(x, adding: w.k1, scaledBy: h * Scalar(T.b1))
    w.candidate.add(w.k3, scaledBy: h * Scalar(T.b3))
    w.candidate.add(w.k4, scaledBy: h * Scalar(T.b4))
    w.candidate.add(w.k5, scaledBy: h * Scalar(T.b5))
    w.candidate.add(w.k6, scaledBy: h * Scalar(T.b6))
    guard withError else { return }
    field.velocity(w.candidate, at: t0 + h, into: &w.k7, workspace: &w.field)
    w.error.fill(with: 0)
    w.error.add(w.k1, scaledBy: h * Scalar(T.e1))
    w.error.add(w.k3, scaledBy: h * Scalar(T.e3))
    w.error.add(w.k4, scaledBy: h * Scalar(T.e4))
    w.error.add(w.k5, scaledBy: h * Scalar(T.e5))
    w.error.add(w.k6, scaledBy: h * Scalar(T.e6))
    w.error.add(w.k7, scaledBy: h * Scalar(T.e7))
  }
}

extension DormandPrince5.Workspace: Sendable where Field.Workspace: Sendable {}

/// The Dormand–Prince 5(4) coefficients (Hairer, Nørsett & Wanner, "Solving ODEs I", Table
/// II.5.2); `eᵢ = bᵢ − b̂ᵢ` are the error weights of Hairer's DOPRI5 code.
@usableFromInline
enum DormandPrinceTableau {
  @usableFromInline static let c2 = 1.0 / 5
  @usableFromInline static let c3 = 3.0 / 10
  @usableFromInline static let c4 = 4.0 / 5
  @usableFromInline static let c5 = 8.0 / 9
  @usableFromInline static let a21 = 1.0 / 5
  @usableFromInline static let a31 = 3.0 / 40
  @usableFromInline static let a32 = 9.0 / 40
  @usableFromInline static let a41 = 44.0 / 45
  @usableFromInline static let a42 = -56.0 / 15
  @usableFromInline static let a43 = 32.0 / 9
  @usableFromInline static let a51 = 19372.0 / 6561
  @usableFromInline static let a52 = -25360.0 / 2187
  @usableFromInline static let a53 = 64448.0 / 6561
  @usableFromInline static let a54 = -212.0 / 729
  @usableFromInline static let a61 = 9017.0 / 3168
  @usableFromInline static let a62 = -355.0 / 33
  @usableFromInline static let a63 = 46732.0 / 5247
  @usableFromInline static let a64 = 49.0 / 176
  @usableFromInline static let a65 = -5103.0 / 18656
  @usableFromInline static let b1 = 35.0 / 384
  @usableFromInline static let b3 = 500.0 / 1113
  @usableFromInline static let b4 = 125.0 / 192
  @usableFromInline static let b5 = -2187.0 / 6784
  @usableFromInline static let b6 = 11.0 / 84
  @usableFromInline static let e1 = 71.0 / 57600
  @usableFromInline static let e3 = -71.0 / 16695
  @usableFromInline static let e4 = 71.0 / 1920
  @usableFromInline static let e5 = -17253.0 / 339200
  @usableFromInline static let e6 = 22.0 / 525
  @usableFromInline static let e7 = -1.0 / 40
}
