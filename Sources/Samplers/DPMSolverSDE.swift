public import DiffusionProcesses
public import LinearAlgebra
public import RealModule

/// DPM-Solver++(2M) SDE and (3M) SDE: the reverse-time-SDE counterpart of the multistep
/// data-prediction solver of Lu et al. (2022, "DPM-Solver++: Fast Solver for Guided Sampling of
/// Diffusion Probabilistic Models", Algorithm 2, DPM-Solver++(2M)), written as k-diffusion's
/// `sample_dpmpp_2m_sde` with `η = 1` and the midpoint correction, and `sample_dpmpp_3m_sde`
/// (Crowson 2023); an exponential integrator of the reverse-time SDE for any ``GaussianSDE``: one
/// score evaluation per step, the earlier data predictions reused.
///
/// In the scaled variable `x̃ = (x − shift)/α` at the level `σ̃ = σ/α` (`α = scale`, `σ = std`),
/// with `λ = −log σ̃`, the data predictions `Dᵢ = x̂₀ = (xᵢ − shift + σᵢ²·s(xᵢ, tᵢ))/α` and, for a
/// step from `λ₀` to `λ₁`, `h = λ₁ − λ₀`, `rⱼ = hⱼ/h` (the previous steps), the reverse SDE
/// `dx̃ = 2(x̃ − D)/σ̃ dσ̃ + √(2σ̃) dW̄` solves exactly in its linear part:
///
///     x̃₁ = e^{−2h}·x̃₀ + (1 − e^{−2h})·D₀ + σ̃₁·√(1 − e^{−2h})·z + [correction],   z ~ N(0, I),
///
///     order 2 (2M, midpoint):  correction = ½(1 − e^{−2h})·(D₀ − D₋₁)/r₀
///     order 3 (3M):            correction = φ₂·D₁ − φ₃·D₂ (φ₂·(D₀ − D₋₁)/r₀ while only one
///                              earlier prediction exists), φ₂ = 1 − (1 − e^{−2h})/(2h),
///                              φ₃ = φ₂/(2h) − ½, D₁ = Δ₀ + r₀/(r₀ + r₁)·(Δ₀ − Δ₁),
///                              D₂ = (Δ₀ − Δ₁)/(r₀ + r₁), Δ₀ = (D₀ − D₋₁)/r₀, Δ₁ = (D₋₁ − D₋₂)/r₁
///
/// and `x₁ = α₁x̃₁ + shift₁`. The first steps use lower orders until enough history exists.
/// Order 1 (SDE-DPM-Solver++1) is ``DDIM`` with `η = 1`. The noise is one draw per step from
/// each row's stream (k-diffusion's default Brownian tree gives the same law on a fixed grid).
///
/// ```swift
/// let solver = DPMSolverSDE(process: VPSDE<Double>(), score: model, order: 2)
/// var workspace = solver.makeWorkspace(rows: n, columns: d)
/// let nfe = try solver.integrate(&x, over: TimeGrid(spacing: .logSNR, steps: 20, process: sde, to: 1e-3),
///                                noise: &noise, workspace: &workspace)   // 20
/// ```
public struct DPMSolverSDE<Process: GaussianSDE, Model: ScoreModel>: ReverseSDESolver, ScoreComposition
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// The multistep order, 1, 2 (2M SDE) or 3 (3M SDE).
  public let order: Int

  /// The last three data predictions, the last two step sizes in `λ`, the noise and the model's
  /// scratch memory.
  public struct Workspace {
    @usableFromInline var history: DataPredictionHistory<Model>
    @usableFromInline var noise: Matrix<Scalar>
    /// The previous two steps in `λ`, most recent first.
    @usableFromInline var steps: (Scalar, Scalar) = (0, 0)

    @inlinable
    init(model: Model, rows: Int, columns: Int) {
      history = DataPredictionHistory(model: model, rows: rows, columns: columns)
      noise = Matrix(rows: rows, columns: columns)
    }
  }

  /// DPM-Solver++(`order`M) SDE for the reverse SDE of `process` with `model`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - model: the score model.
  ///   - order: 1, 2 (the default, 2M SDE) or 3 (3M SDE).
  @inlinable
  public init(process: Process, score model: Model, order: Int = 2) {
    precondition((1...3).contains(order), "DPMSolverSDE supports orders 1, 2 and 3, got \(order)")
    self.process = process
    self.model = model
    self.order = order
  }

  /// 1: one score evaluation per step.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model, rows: rows, columns: columns)
  }

  /// One multistep update from `t0` to `t1 < t0`, using the predictions kept from the previous
  /// steps when they ended at `t0` (otherwise the history restarts at first order).
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace w: inout Workspace
  ) {
    requireBackwardStep(from: t0, to: t1, in: "DPMSolverSDE")
    w.history.restartUnlessChained(at: t0)
    // D₋₂ ← D₋₁ ← D₀, D₀ = x̂₀(x, t₀) (the history's m₂, m₁, m₀).
    let (a0, s0, shift0) = w.history.push(x, at: t0, process: process, model: model)

    let k = Swift.min(order, w.history.count + 1)
    let (a1, s1) = process.marginal(at: t1)
    let shift1 = process.marginalShift(at: t1)
    let h = (Scalar.log(a1) - Scalar.log(s1)) - (Scalar.log(a0) - Scalar.log(s0))
    let phi1 = -Scalar.expMinusOne(-2 * h)  // 1 − e^{−2h}
    var c0 = a1 * phi1
    var c1: Scalar = 0
    var c2: Scalar = 0
    if k >= 2 {
      let u = h / w.steps.0  // 1/r₀
      if order == 2 {
        c0 += a1 * phi1 / 2 * u
        c1 -= a1 * phi1 / 2 * u
      } else {
        let phi2 = 1 - phi1 / (2 * h)
        if k == 2 {
          c0 += a1 * phi2 * u
          c1 -= a1 * phi2 * u
        } else {
          let phi3 = phi2 / (2 * h) - 1 / 2
          let (r0, r1) = (w.steps.0 / h, w.steps.1 / h)
          let third = thirdOrderWeights(scale: a1, phi2: phi2, phi3: phi3, r0: r0, r1: r1, u: u, v: 1 / r1)
          c0 += third.0
          c1 += third.1
          c2 += third.2
        }
      }
    }
    // x₁ = (σ₁/σ₀)e^{−h}(x − shift₀) + c₀D₀ + c₁D₋₁ + c₂D₋₂ + σ₁√(1 − e^{−2h})·z + shift₁.
    let ratio = s1 / s0 * Scalar.exp(-h)
    w.history.combine(into: &x, ratio: ratio, weights: (c0, c1, c2), order: k)
    w.noise.ensureShape(of: x)
    noise.fillNormal(&w.noise)
    x.add(w.noise, scaledBy: s1 * phi1.squareRoot())
    let offset = shift1 - ratio * shift0
    if offset != 0 { x.apply { $0 + offset } }
    w.steps = (h, w.steps.0)
    w.history.advance(to: t1)
  }
}

extension DPMSolverSDE.Workspace: Sendable where Model.Workspace: Sendable {}
