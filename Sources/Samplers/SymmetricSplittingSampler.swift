public import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// The symmetric splitting CLD sampler (SSCS) of Dockhorn, Vahdat & Kreis (2022, §3.3 and
/// App. E) for ``CriticallyDampedLangevin``.
///
/// The generative SDE of CLD in reverse time `τ` (`t = T − τ`, `β = β(t)`, `u = (x, v)`) is
/// `dū = β[−F ū + Q s(ū, t)] dτ + √β L dW̄` with `Q = L Lᵀ = diag(0, 2Γ)`. Writing the score as
/// the prior's plus a remainder, `s = s_∞ + r` with `s_∞(u) = −(x, v/M)`, splits it into
///
///     A:  dū = β F_A ū dτ + √β L dW̄,    F_A = [ 0   −M⁻¹ ]   (an Ornstein–Uhlenbeck process,
///                                              [ 1   −ΓM⁻¹ ]    solved exactly),
///     B:  dv̄ = 2Γβ (s_v(ū, t) + v̄/M) dτ,  dx̄ = 0        (the score part, an Euler step),
///
/// and one step from `t₀` to `t₁ < t₀` is the Strang composition `A(½) ∘ B(1) ∘ A(½)`, with the
/// score evaluated once at the midpoint time. `F_A` is critically damped too (double eigenvalue
/// `−2/Γ`, `(F_A + 2/Γ)² = 0`), so over an integrated rate `b = ∫β`
///
///     Φ_A(b) = e^{−2b/Γ} [ 1 + 2b/Γ   −4b/Γ² ],   Σ_A(b) = 2Γ ∫₀ᵇ e^{−4u/Γ} w(u) w(u)ᵀ du,
///                        [ b          1 − 2b/Γ ]   w(u) = (−4u/Γ², 1 − 2u/Γ),
///
/// the covariance by Gauss–Legendre quadrature (exact up to the exponential's series remainder,
/// and free of the cancellation of `Σ_∞ − Φ Σ_∞ Φᵀ` at small `b`). Each coordinate's `(xⱼ, vⱼ)`
/// pair moves with these `2 × 2` maps; a step evaluates the score once and allocates nothing.
///
/// ```swift
/// let cld = CriticallyDampedLangevin<Double>(dimension: 2)
/// let sscs = SymmetricSplittingSampler(process: cld, score: model)
/// var u = samplePrior(of: cld.process, dimension: 4, streams: &noise)
/// var workspace = sscs.makeWorkspace(rows: n, columns: 4)
/// _ = try sscs.integrate(&u, over: TimeGrid(spacing: .uniform, steps: 50, process: cld.process),
///                        noise: &noise, workspace: &workspace)
/// ```
public struct SymmetricSplittingSampler<Model: ScoreModel>: ReverseSDESolver, ScoreStepWorkspaceProviding {
  /// The precision.
  public typealias Scalar = Model.Scalar

  /// The forward process.
  public let process: CriticallyDampedLangevin<Scalar>
  /// The score model of `(x, v)` (`2d` columns).
  public let model: Model

  /// SSCS for `process` with the score `model` of the augmented state.
  public init(process: CriticallyDampedLangevin<Scalar>, score model: Model) {
    self.process = process
    self.model = model
  }

  /// 1.
  @inlinable public var evaluationsPerStep: Int { 1 }

  /// One SSCS step from `t0` to `t1 < t0`: `A(½)`, `B(1)` with the score at `(t0 + t1)/2`, `A(½)`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    precondition(t1 < t0, "SymmetricSplittingSampler steps backwards in time, got \(t0) → \(t1)")
    let d = process.dimension
    precondition(
      x.columns == 2 * d, "SymmetricSplittingSampler: states \(x.shapeDescription) for 2d = \(2 * d)")
    let schedule = process.process.schedule
    let mid = t0 + (t1 - t0) / 2
    applyOrnsteinUhlenbeck(
      &x, integratedBeta: Double(schedule.integratedBeta(from: mid, to: t0)),
      noise: &noise, workspace: &workspace)
    workspace.evaluate(model, at: x, time: mid)
    let gamma = process.friction
    let step = 2 * gamma * schedule.integratedBeta(from: t1, to: t0)
    let inverseMass = 1 / process.mass
    let n = x.rows
    workspace.score.withUnsafeBufferPointer { s in
      x.withUnsafeMutableBufferPointer { u in
        for i in 0..<n {
          for j in (i * 2 * d + d)..<((i + 1) * 2 * d) { u[j] += step * (s[j] + u[j] * inverseMass) }
        }
      }
    }
    applyOrnsteinUhlenbeck(
      &x, integratedBeta: Double(schedule.integratedBeta(from: t1, to: mid)),
      noise: &noise, workspace: &workspace)
  }

  /// The exact `A` flow over `b = ∫β`: `(xⱼ, vⱼ) ← Φ_A (xⱼ, vⱼ) + C_A (z, z′)` per coordinate,
  /// with `C_A` the Cholesky factor of `Σ_A`.
  @inlinable
  func applyOrnsteinUhlenbeck(
    _ x: inout Matrix<Scalar>, integratedBeta b: Double, noise: inout RowStreams, workspace: inout Workspace
  ) {
    let (phi, sigma) = Self.splittingKernel(integratedBeta: b, friction: Double(process.friction))
    let c11 = sigma.xx.squareRoot()
    let c21 = c11 > 0 ? sigma.xv / c11 : 0
    let c22 = Swift.max(0, sigma.vv - c21 * c21).squareRoot()
    let (p11, p12, p21, p22) = (Scalar(phi.0), Scalar(phi.1), Scalar(phi.2), Scalar(phi.3))
    let (l11, l21, l22) = (Scalar(c11), Scalar(c21), Scalar(c22))
    workspace.drawNoise(like: x, from: &noise)
    let d = process.dimension
    let n = x.rows
    workspace.noise.withUnsafeBufferPointer { z in
      x.withUnsafeMutableBufferPointer { u in
        for i in 0..<n {
          let row = i * 2 * d
          for j in 0..<d {
            let (p, v) = (u[row + j], u[row + d + j])
            let (z1, z2) = (z[row + j], z[row + d + j])
            u[row + j] = p11 * p + p12 * v + l11 * z1
            u[row + d + j] = p21 * p + p22 * v + l21 * z1 + l22 * z2
          }
        }
      }
    }
  }

  /// The `2 × 2` transition `Φ_A` (row-major `(Φ₁₁, Φ₁₂, Φ₂₁, Φ₂₂)`) and covariance `Σ_A` of the
  /// splitting's Ornstein–Uhlenbeck part over `b = ∫β`, for friction `Γ` (see the type).
  @inlinable
  public static func splittingKernel(integratedBeta b: Double, friction gamma: Double) -> (
    transition: (Double, Double, Double, Double), covariance: (xx: Double, xv: Double, vv: Double)
  ) {
    let decay = Double.exp(-2 * b / gamma)
    let phi = (
      decay * (1 + 2 * b / gamma), decay * (-4 * b / (gamma * gamma)), decay * b, decay * (1 - 2 * b / gamma)
    )
    // 2Γ ∫₀ᵇ e^{−4u/Γ} w wᵀ du by composite 8-point Gauss–Legendre, one panel per unit of 4b/Γ.
    let panels = Swift.max(1, Int((4 * b / gamma).rounded(.up)))
    func entry(_ product: (_ w1: Double, _ w2: Double) -> Double) -> Double {
      GaussLegendre.eightPoint.integrate(from: 0, to: b, panels: panels) { u in
        Double.exp(-4 * u / gamma) * product(-4 * u / (gamma * gamma), 1 - 2 * u / gamma)
      }
    }
    let (xx, xv, vv) = (entry { w1, _ in w1 * w1 }, entry { $0 * $1 }, entry { _, w2 in w2 * w2 })
    return (phi, (2 * gamma * xx, 2 * gamma * xv, 2 * gamma * vv))
  }
}
