public import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// Stochastic (trajectory) entropy production along simulated forward paths, and the integral
/// fluctuation theorem (Seifert 2005, "Entropy production along a stochastic trajectory and an
/// integral fluctuation theorem", PRL 95, 040602).
///
/// Along one path `x(τ)` of `dX = f dt + g dW` (`D = g²/2`) from `t₀` to `t₁`, the system's
/// stochastic entropy is `s(τ) = −log p_τ(x(τ))` and the entropy delivered to the medium is the
/// Stratonovich integral of the force, so
///
///     Δs_m   = ∫ f(x, τ)/D(τ) ∘ dx,
///     Δs_sys = −log p_{t₁}(x(t₁)) + log p_{t₀}(x(t₀)) = −∫ [∂_τ log p_τ dτ + ∇log p_τ ∘ dx],
///     Δs_tot = Δs_sys + Δs_m = ∫ v/D ∘ dx − ∫ ∂_τ log p_τ dτ,      v = f − D∇log p_τ.
///
/// With paths started from `p_{t₀}` and `p_τ` the true marginal, `e^{−Δs_tot}` is the ratio of the
/// probability of the time-reversed path under the time-reversed protocol (started from `p_{t₁}`)
/// to that of the path: the Onsager–Machlup actions differ by `∫ f/D ∘ dx` only (the `∇·f` terms
/// cancel), so `⟨e^{−Δs_tot}⟩ = 1` (integral fluctuation theorem) and `⟨Δs_tot⟩ = ∫ Ṡ_tot ≥ 0`
/// (``EntropyProduction``).
///
/// Only a score is needed, not `log p`: the Fokker–Planck equation gives
///
///     ∂_τ log p = −∇·v − v·∇log p = −∇·f + D ∇·s − f·s + D‖s‖²,   s = ∇log p_τ,
///
/// so with a ``DivergenceScoreModel`` (exact divergence) the whole of `Δs_tot` is available. A
/// wrong score gives a `Δs_tot` for which the theorem fails, which makes it a test of a model.
///
/// **Discretisation.** Paths are sampled *exactly* on the time grid with the closed-form kernel
/// `x_{k+1} = scale_{k}·x_k + shift_{k} + std_{k}·z` (``GaussianSDE/transition(from:to:)``), so
/// the law of the path is right at any step. The integrals use the midpoint rule in both `x` and
/// `τ`, `x̄ = (x_k + x_{k+1})/2`, `τ̄ = (τ_k + τ_{k+1})/2`: the midpoint in `x` is the
/// Stratonovich product (an Itô left point would add `⟨Δx·∇(f/D)·Δx⟩/2 ≈ d·a(t)·Δτ` per step,
/// which does not vanish with the step), and for the system term the midpoint rule is exact to
/// third order for the smooth function `log p_τ(x)`. The remaining error is `O(Δτ)` in the mean.
/// Each path's noise comes from its own stream (``RowStreams``), so results do not depend on
/// how paths are batched.
///
/// ```swift
/// let sep = StochasticEntropyProduction(process: VPSDE<Double>(), score: oracle)
/// let paths = sep.simulate(data: x0, times: grid, seed: 7)
/// print(paths.integralFluctuationTheorem)   // ≈ 1 ± SE for the exact score
/// ```
public struct StochasticEntropyProduction<Process: GaussianSDE, Model: DivergenceScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// The score (with exact divergence) standing in for `∇log p_τ`.
  public let score: Model

  /// Trajectory entropy production of `process` with `score`.
  public init(process: Process, score: Model) {
    self.process = process
    self.score = score
  }

  /// Simulates one forward path per data row and accumulates its entropy production.
  ///
  /// Row `i` starts at `x(t₀) = scale(t₀)·x₀ᵢ + shift(t₀) + std(t₀)·z` (a sample of `p_{t₀}`) and
  /// is carried along `times` by the exact kernel; every draw comes from stream `firstRow + i` of
  /// `seed`.
  ///
  /// - Parameters:
  ///   - data: samples of the data distribution `p_0`, `n × d`.
  ///   - times: the increasing time grid `t₀ < t₁ < … < t_K` with `t₀ ≥ 0`, `t_K ≤ T`.
  ///   - seed: the seed of the per-path streams.
  ///   - firstRow: the global index of `data`'s first row.
  /// - Returns: the per-path entropy productions and the end points.
  public func simulate(
    data: Matrix<Scalar>, times: [Scalar], seed: UInt64, firstRow: Int = 0
  ) -> TrajectoryEntropy<Scalar> {
    precondition(times.count >= 2, "StochasticEntropyProduction.simulate needs at least two times")
    precondition(
      zip(times, times.dropFirst()).allSatisfy { $0 < $1 } && times[0] >= 0 && times.last! <= process.endTime,
      "StochasticEntropyProduction.simulate: times must increase within [0, \(process.endTime)]")
    let (n, d) = (data.rows, data.columns)
    var streams = RowStreams(seed: seed, rows: firstRow..<(firstRow + n))
    var noise = Matrix<Scalar>(rows: n, columns: d)
    var x = data
    if times[0] > 0 {
      streams.fillNormal(&noise)
      process.perturb(data, at: [Scalar](repeating: times[0], count: n), noise: noise, into: &x)
    }
    let start = x
    var next = x
    var midpoint = x
    var f = x
    var s = x
    var divergence = [Scalar](repeating: 0, count: n)
    var workspace = score.makeWorkspace(rows: n)
    var system = [Double](repeating: 0, count: n)
    var medium = system
    for (t0, t1) in zip(times, times.dropFirst()) {
      let (scale, shift, std) = process.transition(from: t0, to: t1)
      streams.fillNormal(&noise)
      next.assign(x, scaledBy: scale, offset: shift)
      next.add(noise, scaledBy: std)
      midpoint.assign(x)
      midpoint.add(next)
      midpoint *= 1 / 2
      let tm = t0 + (t1 - t0) / 2
      let dt = Double(t1 - t0)
      process.drift(midpoint, at: tm, into: &f)
      score.scoreAndDivergence(midpoint, at: tm, into: &s, divergence: &divergence, workspace: &workspace)
      let g = Double(process.diffusion(at: tm))
      let diffusivity = g * g / 2
      let fieldDivergence = Double(d) * Double(process.linearDrift(at: tm).coefficient)
      x.withUnsafeBufferPointer { x in
        next.withUnsafeBufferPointer { y in
          f.withUnsafeBufferPointer { f in
            s.withUnsafeBufferPointer { s in
              for i in 0..<n {
                var fdx = 0.0
                var sdx = 0.0
                var fs = 0.0
                var ss = 0.0
                for j in (i * d)..<((i + 1) * d) {
                  let dx = Double(y[j]) - Double(x[j])
                  let (fj, sj) = (Double(f[j]), Double(s[j]))
                  fdx += fj * dx
                  sdx += sj * dx
                  fs += fj * sj
                  ss += sj * sj
                }
                let timeDerivative =
                  -fieldDivergence + diffusivity * Double(divergence[i]) - fs + diffusivity * ss
                medium[i] += fdx / diffusivity
                system[i] -= sdx + timeDerivative * dt
              }
            }
          }
        }
      }
      swap(&x, &next)
    }
    return TrajectoryEntropy(system: system, medium: medium, start: start, end: x)
  }
}

/// The entropy produced along each simulated path (``StochasticEntropyProduction``), in nats.
public struct TrajectoryEntropy<Scalar: BLASScalar>: Sendable {
  /// `Δs_sys` per path.
  public let system: [Double]
  /// `Δs_m` per path.
  public let medium: [Double]
  /// The paths' starting points, samples of `p_{t₀}`.
  public let start: Matrix<Scalar>
  /// The paths' end points, samples of `p_{t_K}`.
  public let end: Matrix<Scalar>

  /// The per-path results.
  public init(system: [Double], medium: [Double], start: Matrix<Scalar>, end: Matrix<Scalar>) {
    precondition(system.count == medium.count, "TrajectoryEntropy: \(system.count) and \(medium.count) paths")
    self.system = system
    self.medium = medium
    self.start = start
    self.end = end
  }

  /// `Δs_tot = Δs_sys + Δs_m` per path.
  public var total: [Double] { zip(system, medium).map { $0 + $1 } }

  /// The path averages `⟨Δs_tot⟩`, `⟨Δs_sys⟩`, `⟨Δs_m⟩`: estimates of the integrals of
  /// ``EntropyProduction``'s rates over the grid.
  public var averages: EntropyProductionEstimate {
    EntropyProductionEstimate(
      total: MonteCarloEstimate(total), system: MonteCarloEstimate(system), medium: MonteCarloEstimate(medium))
  }

  /// `⟨e^{−Δs_tot}⟩`, which the integral fluctuation theorem says is 1 when the score is exact.
  public var integralFluctuationTheorem: MonteCarloEstimate {
    MonteCarloEstimate(total.map { Double.exp(-$0) })
  }
}
