public import DiffusionProcesses
public import LinearAlgebra

/// The data predictions of a multistep exponential integrator's last three steps, most recent
/// first, `m₀, m₁, m₂` with
///
///     mᵢ = x̂₀(xᵢ, tᵢ) = (xᵢ − shift(tᵢ) + σᵢ²·s(xᵢ, tᵢ))/αᵢ     (α = scale, σ = std),
///
/// how many of the earlier ones are valid, and the end of the last step (a step that does not
/// start there restarts the history at first order). The bookkeeping shared by ``DPMSolver`` and
/// ``DPMSolverSDE`` (Lu et al. 2022, Algorithm 2), whose update is
/// `x₁ = ratio·(x₀ − shift₀) + c₀m₀ + c₁m₁ + c₂m₂ (+ noise) + shift₁`.
@usableFromInline
struct DataPredictionHistory<Model: ScoreModel> {
  @usableFromInline typealias Scalar = Model.Scalar

  /// The model's scratch memory.
  @usableFromInline var model: Model.Workspace
  /// `m₀`, the prediction at the current step's start.
  @usableFromInline var m0: Matrix<Scalar>
  /// `m₁`, the previous step's.
  @usableFromInline var m1: Matrix<Scalar>
  /// `m₂`, the one before.
  @usableFromInline var m2: Matrix<Scalar>
  /// How many previous predictions are valid (0, 1 or 2).
  @usableFromInline var count = 0
  /// The end time of the previous step, for checking that steps chain.
  @usableFromInline var previousEnd: Scalar? = nil

  /// An empty history for batches of `rows × columns` of `model`.
  @inlinable
  init(model: Model, rows: Int, columns: Int) {
    self.model = model.makeWorkspace(rows: rows)
    m0 = Matrix(rows: rows, columns: columns)
    m1 = Matrix(rows: rows, columns: columns)
    m2 = Matrix(rows: rows, columns: columns)
  }

  /// Restarts the history (no valid previous predictions) unless a step from `t0` continues the
  /// last one; returns whether it restarted.
  @inlinable @discardableResult
  mutating func restartUnlessChained(at t0: Scalar) -> Bool {
    if previousEnd == t0 { return false }
    count = 0
    return true
  }

  /// Shifts the history (`m₂ ← m₁ ← m₀`) and writes `m₀ = x̂₀(x, t)`; returns `α`, `σ` and the
  /// shift at `t`.
  @inlinable
  mutating func push<Process: GaussianSDE>(
    _ x: Matrix<Scalar>, at t: Scalar, process: Process, model: Model
  ) -> (scale: Scalar, std: Scalar, shift: Scalar) where Process.Scalar == Scalar {
    swap(&m2, &m1)
    swap(&m1, &m0)
    m0.ensureShape(of: x)
    model.score(x, at: t, into: &m0, workspace: &self.model)
    let (a0, s0) = process.marginal(at: t)
    let shift0 = process.marginalShift(at: t)
    // m₀ = (x − shift + σ²s)/α.
    m0.scale(by: s0 * s0 / a0, adding: x, scaledBy: 1 / a0)
    if shift0 != 0 { m0.apply { $0 - shift0 / a0 } }
    return (a0, s0, shift0)
  }

  /// `x ← ratio·x + c₀m₀ + c₁m₁ + c₂m₂`, the terms of the predictions an order-`k` step uses.
  @inlinable
  func combine(into x: inout Matrix<Scalar>, ratio: Scalar, weights c: (Scalar, Scalar, Scalar), order k: Int)
  {
    if k >= 2 {
      x.scale(by: ratio, adding: m0, scaledBy: c.0, m1, scaledBy: c.1)
      if k == 3 { x.add(m2, scaledBy: c.2) }
    } else {
      x.scale(by: ratio, adding: m0, scaledBy: c.0)
    }
  }

  /// Records a finished step that ended at `t1`: one more valid prediction (at most two).
  @inlinable
  mutating func advance(to t1: Scalar) {
    count = Swift.min(count + 1, 2)
    previousEnd = t1
  }
}

extension DataPredictionHistory: Sendable where Model.Workspace: Sendable {}

/// The weights of `m₀, m₁, m₂` in the third-order term `α₁·(φ₂·D₁ − φ₃·D₂)` of DPM-Solver++
/// (Lu et al. 2022, §3.3; k-diffusion's `sample_dpmpp_3m_sde`), with
/// `D₁ = Δ₀ + r₀/(r₀ + r₁)·(Δ₀ − Δ₁)`, `D₂ = (Δ₀ − Δ₁)/(r₀ + r₁)`, `Δ₀ = (m₀ − m₁)/r₀`,
/// `Δ₁ = (m₁ − m₂)/r₁`; `u = 1/r₀` and `v = 1/r₁` are passed as each solver computes them.
@inlinable
func thirdOrderWeights<Scalar: BLASScalar>(
  scale a1: Scalar, phi2: Scalar, phi3: Scalar, r0: Scalar, r1: Scalar, u: Scalar, v: Scalar
) -> (Scalar, Scalar, Scalar) {
  // Δ₀ − Δ₁ = u·m₀ − (u + v)·m₁ + v·m₂.
  let diff = (u, -(u + v), v)
  let q = r0 / (r0 + r1)
  let first = (u + q * diff.0, -u + q * diff.1, q * diff.2)
  let second = (diff.0 / (r0 + r1), diff.1 / (r0 + r1), diff.2 / (r0 + r1))
  return (
    a1 * (phi2 * first.0 - phi3 * second.0), a1 * (phi2 * first.1 - phi3 * second.1),
    a1 * (phi2 * first.2 - phi3 * second.2)
  )
}
