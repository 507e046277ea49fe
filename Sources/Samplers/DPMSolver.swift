public import DiffusionProcesses
public import LinearAlgebra
public import RealModule

/// DPM-Solver++ multistep (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of
/// Diffusion Probabilistic Models", Algorithm 2 and its third-order extension), an exponential
/// integrator of the probability-flow ODE for any ``GaussianSDE``: few steps, one score
/// evaluation each.
///
/// With `α = scale`, `σ = std`, `λ = log(α/σ)` (half the log-SNR) and the data prediction
/// `mᵢ = x̂₀(xᵢ, tᵢ) = (xᵢ − shift + σᵢ²·s(xᵢ, tᵢ))/αᵢ`, the probability-flow ODE in `y = x − shift`
/// has the exact solution `y_t = (σ_t/σ_s)·y_s + σ_t ∫ e^{λ} x̂₀ dλ`. Approximating `x̂₀` by a
/// polynomial in `λ` through the last `k` predictions gives, with `h = λ₁ − λ₀`,
/// `φ₁ = 1 − e^{−h}`, `φ₂ = 1 − φ₁/h`, `φ₃ = (h − φ₁)/h² − ½`, `rⱼ = hⱼ/h` (previous step sizes):
///
///     order 1 (DDIM):  y₁ = (σ₁/σ₀)·y₀ + α₁φ₁·m₀
///     order 2:         y₁ = (σ₁/σ₀)·y₀ + α₁φ₁·m₀ + (α₁φ₁/2)·(m₀ − m₁)/r₀
///     order 3:         y₁ = (σ₁/σ₀)·y₀ + α₁φ₁·m₀ + α₁φ₂·D₁ − α₁φ₃·D₂,
///                      D₁ = Δ₀ + r₀/(r₀ + r₁)·(Δ₀ − Δ₁),  D₂ = (Δ₀ − Δ₁)/(r₀ + r₁),
///                      Δ₀ = (m₀ − m₁)/r₀,  Δ₁ = (m₁ − m₂)/r₁.
///
/// The first steps use lower orders until enough history exists. The last step of a grid is
/// first order, and on grids of fewer than 15 steps the one before is at most second order (Lu
/// et al.'s `lower_order_final`): near `t = ε = 1e-5` the last step spans a long stretch of `λ`
/// (from `λ ≈ 1.5` to `6.9` on a uniform 20-step VP grid), where extrapolating the previous
/// predictions with the ratio `1/r₀ ≫ 1` is unstable; the first-order step there is the stable
/// denoising update `x₁ ≈ (σ₁/σ₀)x + α₁m₀`. Use a log-SNR grid (``TimeGrid/Spacing/logSNR``), and
/// for 20 steps or fewer end it at `ε = 1e-3` rather than `1e-5`, as Lu et al. do for few steps:
/// the range of `λ` between the two holds no structure of the data but would take a tenth of the
/// steps (on a thin 2-D mixture, 10 steps reach a sliced 1-Wasserstein distance of 0.017 with
/// `ε = 1e-3` against 0.028 with `1e-5`).
///
/// ```swift
/// let dpm = DPMSolver(process: VPSDE<Double>(), score: model, order: 2)
/// var workspace = dpm.makeWorkspace(rows: n, columns: d)
/// let nfe = try dpm.integrate(&x, over: TimeGrid(spacing: .logSNR, steps: 10, process: sde),
///                             workspace: &workspace)   // 10
/// ```
public struct DPMSolver<Process: GaussianSDE, Model: ScoreModel>: ODESolver, ScoreComposition
where Process.Scalar == Model.Scalar {
  /// The forward process whose probability flow is solved.
  public let process: Process
  /// The score model (the solver reads its data predictions, never the flow's velocity).
  public let model: Model
  /// The multistep order, 1, 2 or 3.
  public let order: Int
  /// Whether a grid ends with lower-order steps.
  public let lowerOrderFinal: Bool

  /// The last three data predictions and their `λ`, and the model's scratch memory.
  public struct Workspace {
    @usableFromInline var history: DataPredictionHistory<Model>
    /// `λ` at the start of the last three steps, most recent first.
    @usableFromInline var lambdas: (Scalar, Scalar, Scalar) = (0, 0, 0)
    @usableFromInline var stepIndex = 0
    @usableFromInline var gridSteps: Int? = nil

    @inlinable
    init(model: Model, rows: Int, columns: Int) {
      history = DataPredictionHistory(model: model, rows: rows, columns: columns)
    }
  }

  /// DPM-Solver++ of the given order for the probability flow of `process` with `model`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - model: the score model.
  ///   - order: 1, 2 (the default, Lu et al.'s choice for guided sampling) or 3.
  ///   - lowerOrderFinal: make a grid's last step first order (and the one before at most second
  ///     order on grids shorter than 15 steps); default true.
  @inlinable
  public init(process: Process, score model: Model, order: Int = 2, lowerOrderFinal: Bool = true) {
    precondition((1...3).contains(order), "DPMSolver supports orders 1, 2 and 3, got \(order)")
    self.process = process
    self.model = model
    self.order = order
    self.lowerOrderFinal = lowerOrderFinal
  }

  /// DPM-Solver++ for the probability flow of `forward` with `model`.
  @available(*, deprecated, renamed: "init(process:score:order:lowerOrderFinal:)")
  @inlinable
  public init(forward: Process, score model: Model, order: Int = 2, lowerOrderFinal: Bool = true) {
    self.init(process: forward, score: model, order: order, lowerOrderFinal: lowerOrderFinal)
  }

  /// 1: one score evaluation per step.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model, rows: rows, columns: columns)
  }

  /// Clears the history and records the grid's length (for the lower-order final steps).
  @inlinable
  public func prepare(_ workspace: inout Workspace, for grid: TimeGrid<Scalar>) {
    workspace.history.count = 0
    workspace.history.previousEnd = nil
    workspace.stepIndex = 0
    workspace.gridSteps = grid.steps
  }

  /// `λ(t) = log scale(t) − log std(t)`.
  @inlinable
  func halfLogSNR(at t: Scalar) -> Scalar {
    let (a, s) = process.marginal(at: t)
    return Scalar.log(a) - Scalar.log(s)
  }

  /// One multistep update from `t0` to `t1`, using the predictions kept from the previous steps
  /// when they ended at `t0` (otherwise the history restarts at first order).
  @inlinable
  public func step(_ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, workspace w: inout Workspace) {
    if w.history.restartUnlessChained(at: t0) && w.history.previousEnd != nil { w.gridSteps = nil }
    let (_, s0, shift0) = w.history.push(x, at: t0, process: process, model: model)
    w.lambdas = (halfLogSNR(at: t0), w.lambdas.0, w.lambdas.1)

    var k = Swift.min(order, w.history.count + 1)
    if lowerOrderFinal, let n = w.gridSteps {
      if w.stepIndex == n - 1 {
        k = 1
      } else if w.stepIndex == n - 2 && n < 15 {
        k = Swift.min(k, 2)
      }
    }
    let (a1, s1) = process.marginal(at: t1)
    let shift1 = process.marginalShift(at: t1)
    let lambda1 = Scalar.log(a1) - Scalar.log(s1)
    let h = lambda1 - w.lambdas.0
    let phi1 = -Scalar.expMinusOne(-h)
    var c0 = a1 * phi1
    var c1: Scalar = 0
    var c2: Scalar = 0
    if k >= 2 {
      let inverseR0 = h / (w.lambdas.0 - w.lambdas.1)  // 1/r₀
      if k == 2 {
        c0 += a1 * phi1 / 2 * inverseR0
        c1 -= a1 * phi1 / 2 * inverseR0
      } else {
        let r0 = 1 / inverseR0
        let r1 = (w.lambdas.1 - w.lambdas.2) / h
        let inverseR1 = 1 / r1
        let phi2 = 1 - phi1 / h
        let phi3 = (h - phi1) / (h * h) - 1 / 2
        let third = thirdOrderWeights(
          scale: a1, phi2: phi2, phi3: phi3, r0: r0, r1: r1, u: inverseR0, v: inverseR1)
        c0 += third.0
        c1 += third.1
        c2 += third.2
      }
    }
    // x₁ = (σ₁/σ₀)(x − shift₀) + c₀m₀ + c₁m₁ + c₂m₂ + shift₁.
    let ratio = s1 / s0
    w.history.combine(into: &x, ratio: ratio, weights: (c0, c1, c2), order: k)
    let offset = shift1 - ratio * shift0
    if offset != 0 { x.apply { $0 + offset } }
    w.history.advance(to: t1)
    w.stepIndex += 1
  }
}

extension DPMSolver.Workspace: Sendable where Model.Workspace: Sendable {}
