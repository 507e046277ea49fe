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
/// `x_{k+1} = A_k·x_k + c_k + S_k·z` (``GaussianSDE/transition(from:to:)``), so the law of the
/// path at the grid times is right at any step. Then:
///
/// - `Δs_sys` is the line integral of the exact differential `d log p = s·dx + ∂_τ log p dτ`
///   along each straight segment `(x_k, τ_k) → (x_{k+1}, τ_{k+1})`, by Simpson's rule (the score
///   and `∂_τ log p` at both ends and at the midpoint). The midpoint rule alone is not enough: its
///   error `φ‴[Δ, Δ, Δ]/24` has a non-zero mean because `E[Δx²] ∝ Δτ`, which sums to a bias
///   `≈ (Δτ/8)∫(v̇/v)² dτ` (0.15 nats for VE at 100 steps); Simpson is exact for the cubic part.
/// - `Δs_m` is, by default (``MediumEntropyDiscretization/transitionRatio``), the medium entropy
///   of the sampled Markov chain, `Σ_k log K_k(x_{k+1} | x_k) / K_k(x_k | x_{k+1})` with the
///   Gaussian kernels themselves (Crooks 1999, PRE 60, 2721): with it, and an exact `log p` at the
///   ends, `⟨e^{−Δs_tot}⟩ = 1` holds *exactly* for every grid (integrate out `x₀, x₁, …` in
///   turn), and as `Δτ → 0` it converges to the Stratonovich integral `∫ f/D ∘ dx`. For VP the
///   two coincide step by step (`(x_k² − x_{k+1}²)/2` both). The alternative
///   ``MediumEntropyDiscretization/stratonovichMidpoint`` is `Σ f(x̄, τ̄)·Δx / D(τ̄)` with
///   `x̄ = (x_k + x_{k+1})/2`; the midpoint (not Itô's left point, which adds `∫ d·a dτ`) is
///   what makes it Stratonovich.
///
/// **When the theorem can be checked.** `e^{−Δs_tot}` has a finite variance only when
/// `∫ ρ̃²/p_{t₀} < ∞`, with `ρ̃` the density at `t₀` of the reversed-protocol process started
/// from `p_{t₁}`. Noising a narrow data set into a wide prior violates this (the average is then
/// dominated by rare paths and converges from below, its standard error meaningless); near
/// equilibrium, or over short intervals, it holds.
///
/// Each path's noise comes from its own stream (``RowStreams``), so results do not depend on how
/// paths are batched.
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
  /// The score model (with exact divergence) standing in for `∇log p_τ`.
  public let model: Model

  /// Trajectory entropy production of `process` with the score `model`.
  public init(process: Process, score model: Model) {
    self.process = process
    self.model = model
  }

  /// The score model.
  @available(*, deprecated, renamed: "model")
  public var score: Model { model }

  /// Simulates one forward path per data row and accumulates its entropy production.
  ///
  /// Row `i` starts at `x(t₀) = scale(t₀)·x₀ᵢ + shift(t₀) + std(t₀)·z` (a sample of `p_{t₀}`) and
  /// is carried along `times` by the exact kernel; every draw comes from stream `firstRow + i` of
  /// `seed`.
  ///
  /// - Parameters:
  ///   - data: samples of the data distribution `p_0`, `n × d`.
  ///   - times: the increasing time grid `t₀ < t₁ < … < t_K` with `t₀ > 0` (the score is
  ///     evaluated at every grid time), `t_K ≤ T`.
  ///   - seed: the seed of the per-path streams.
  ///   - firstRow: the global index of `data`'s first row.
  ///   - rule: the discretisation of the medium entropy (the transition-kernel ratio by default).
  /// - Returns: the per-path entropy productions and the end points.
  @inlinable
  public func simulate(
    data: Matrix<Scalar>, times: [Scalar], seed: UInt64, firstRow: Int = 0,
    medium rule: MediumEntropyDiscretization = .transitionRatio
  ) -> TrajectoryEntropy<Scalar> {
    let start = pathStarts(data, times: times, seed: seed, firstRow: firstRow, reverse: false)
    var streams = start.streams
    return integrate(from: start.points, along: times, streams: &streams, reverse: false, medium: rule)
  }

  /// Simulates one *reverse-SDE* path per data row, from `t_K` down to `t₀`, and accumulates its
  /// entropy production.
  ///
  /// In reverse time `τ = −t` the reverse SDE `dx = [−f + g²s] dτ + g dW̄` (Anderson 1982) is a
  /// diffusion of its own, with the same `D`, the force `f_R = −f + 2D s` and, for the exact
  /// score, the marginals `p_t` traversed backwards. Its velocity is
  /// `v_R = f_R − D∇log p = −v`, so it produces entropy at the *same* rate `E‖v‖²/D` as the
  /// forward process: `⟨Δs_tot⟩` equals ``EntropyProduction``'s integral, and the integral
  /// fluctuation theorem holds along its paths too. `Δs_sys` is the same Simpson line integral
  /// (now with `dt < 0`); `Δs_m = ∫ f_R/D ∘ dx` is the Stratonovich midpoint sum.
  ///
  /// Row `i` starts at an exact sample of `p_{t_K}` (the data perturbed by the kernel); the steps
  /// are Euler–Maruyama with the score at the left point (the noise is additive, so this is also
  /// Milstein's scheme), so the path law — unlike the forward one — carries an `O(Δt)` error.
  ///
  /// - Parameters:
  ///   - data: samples of the data distribution `p_0`, `n × d`.
  ///   - times: the *increasing* grid `t₀ < … < t_K` (`t₀ > 0`), traversed from `t_K` to `t₀`.
  ///   - seed: the seed of the per-path streams.
  ///   - firstRow: the global index of `data`'s first row.
  /// - Returns: the per-path entropy productions; `start` holds the points at `t_K`, `end` at `t₀`.
  @inlinable
  public func simulateReverse(
    data: Matrix<Scalar>, times: [Scalar], seed: UInt64, firstRow: Int = 0
  ) -> TrajectoryEntropy<Scalar> {
    let start = pathStarts(data, times: times, seed: seed, firstRow: firstRow, reverse: true)
    var streams = start.streams
    return integrate(
      from: start.points, along: times.reversed(), streams: &streams, reverse: true,
      medium: .stratonovichMidpoint)
  }

  /// The paths' starting points, exact samples of `p` at the time they run from (`t₀` forward,
  /// `t_K` in reverse): row `i` of `data` perturbed by the kernel with the first draws of stream
  /// `firstRow + i` of `seed`, returned with the streams the paths go on drawing from.
  @inlinable
  func pathStarts(
    _ data: Matrix<Scalar>, times: [Scalar], seed: UInt64, firstRow: Int, reverse: Bool
  ) -> (points: Matrix<Scalar>, streams: RowStreams) {
    let caller = "StochasticEntropyProduction." + (reverse ? "simulateReverse" : "simulate")
    precondition(times.count >= 2, "\(caller) needs at least two times")
    precondition(
      zip(times, times.dropFirst()).allSatisfy { $0 < $1 } && times[0] > 0 && times.last! <= process.endTime,
      "\(caller): times must increase within (0, \(process.endTime)]")
    let n = data.rows
    var streams = RowStreams(seed: seed, rows: firstRow..<(firstRow + n))
    var noise = Matrix<Scalar>(rows: n, columns: data.columns)
    var points = data
    streams.fillNormal(&noise)
    let start = reverse ? times[times.count - 1] : times[0]
    process.perturb(data, at: [Scalar](repeating: start, count: n), noise: noise, into: &points)
    return (points, streams)
  }

  /// Carries the paths from `start` (samples of `p` at `times[0]`) along `times` (increasing for
  /// the forward process, decreasing for the reverse SDE) and accumulates `Δs_sys` by Simpson's
  /// rule and `Δs_m` by `rule` (forward) or the Stratonovich midpoint sum of the reverse drift.
  @inlinable
  func integrate(
    from start: Matrix<Scalar>, along times: [Scalar], streams: inout RowStreams, reverse: Bool,
    medium rule: MediumEntropyDiscretization
  ) -> TrajectoryEntropy<Scalar> {
    let (n, d) = (start.rows, start.columns)
    var noise = Matrix<Scalar>(rows: n, columns: d)
    var x = start
    var next = x
    var midpoint = x
    var workspace = model.makeWorkspace(rows: n)
    var divergence = [Scalar](repeating: 0, count: n)
    var left = Evaluation(rows: n, columns: d)
    var middle = left
    var right = left
    evaluate(x, at: times[0], into: &left, divergence: &divergence, workspace: &workspace)
    var system = [Double](repeating: 0, count: n)
    var medium = system
    for (t0, t1) in zip(times, times.dropFirst()) {
      streams.fillNormal(&noise)
      var kernel = (a: 1.0, c: 0.0, variance: 1.0)
      if reverse {
        // Euler–Maruyama on the reverse SDE in τ = −t: dx = [−f + g²s] dτ + g dW̄.
        let h = t0 - t1
        let g = process.diffusion(at: t0)
        next.assign(x)
        next.add(left.drift, scaledBy: -h)
        next.add(left.score, scaledBy: g * g * h)
        next.add(noise, scaledBy: g * h.squareRoot())
      } else {
        let (scale, shift, std) = process.transition(from: t0, to: t1)
        next.assign(x, scaledBy: scale, offset: shift)
        next.add(noise, scaledBy: std)
        kernel = (Double(scale), Double(shift), Double(std) * Double(std))
      }
      midpoint.assign(x)
      midpoint.add(next)
      midpoint *= 1 / 2
      let tm = t0 + (t1 - t0) / 2
      let dt = Double(t1 - t0)
      evaluate(midpoint, at: tm, into: &middle, divergence: &divergence, workspace: &workspace)
      let g = Double(process.diffusion(at: tm))
      let diffusivity = g * g / 2
      x.withUnsafeBufferPointer { x in
        next.withUnsafeBufferPointer { y in
          middle.drift.withUnsafeBufferPointer { f in
            middle.score.withUnsafeBufferPointer { sm in
              left.score.withUnsafeBufferPointer { sl in
                for i in 0..<n {
                  var fdx = 0.0
                  var smdx = 0.0
                  var sldx = 0.0
                  var forward = 0.0
                  var backward = 0.0
                  for j in (i * d)..<((i + 1) * d) {
                    let (xj, yj) = (Double(x[j]), Double(y[j]))
                    let dx = yj - xj
                    fdx += Double(f[j]) * dx
                    smdx += Double(sm[j]) * dx
                    sldx += Double(sl[j]) * dx
                    let (a, c) = (kernel.a, kernel.c)
                    forward += (yj - a * xj - c) * (yj - a * xj - c)
                    backward += (xj - a * yj - c) * (xj - a * yj - c)
                  }
                  system[i] -=
                    (sldx + left.timeDerivative[i] * dt + 4 * (smdx + middle.timeDerivative[i] * dt)) / 6
                  if reverse {
                    // The reverse drift −f + 2D·s at the midpoint, over D.
                    medium[i] += -fdx / diffusivity + 2 * smdx
                  } else {
                    switch rule {
                    case .transitionRatio: medium[i] += (backward - forward) / (2 * kernel.variance)
                    case .stratonovichMidpoint: medium[i] += fdx / diffusivity
                    }
                  }
                }
              }
            }
          }
        }
      }
      evaluate(next, at: t1, into: &right, divergence: &divergence, workspace: &workspace)
      next.withUnsafeBufferPointer { y in
        x.withUnsafeBufferPointer { x in
          right.score.withUnsafeBufferPointer { sr in
            for i in 0..<n {
              var srdx = 0.0
              for j in (i * d)..<((i + 1) * d) { srdx += Double(sr[j]) * (Double(y[j]) - Double(x[j])) }
              system[i] -= (srdx + right.timeDerivative[i] * dt) / 6
            }
          }
        }
      }
      swap(&left, &right)
      swap(&x, &next)
    }
    return TrajectoryEntropy(system: system, medium: medium, start: start, end: x)
  }

  /// The drift, the score and `∂_τ log p_τ` at a batch of points.
  @usableFromInline
  struct Evaluation {
    @usableFromInline var drift: Matrix<Scalar>
    @usableFromInline var score: Matrix<Scalar>
    @usableFromInline var timeDerivative: [Double]

    @usableFromInline
    init(rows: Int, columns: Int) {
      drift = Matrix(rows: rows, columns: columns)
      score = Matrix(rows: rows, columns: columns)
      timeDerivative = [Double](repeating: 0, count: rows)
    }
  }

  /// Fills `out` with `f(x, t)`, `s(x, t)` and `∂_t log p = −∇·f + D∇·s − f·s + D‖s‖²` per row.
  @inlinable
  func evaluate(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Evaluation, divergence: inout [Scalar],
    workspace: inout Model.Workspace
  ) {
    process.drift(x, at: t, into: &out.drift)
    model.scoreAndDivergence(x, at: t, into: &out.score, divergence: &divergence, workspace: &workspace)
    let g = Double(process.diffusion(at: t))
    let diffusivity = g * g / 2
    let fieldDivergence = Double(x.columns) * Double(process.linearDrift(at: t).coefficient)
    let d = x.columns
    out.drift.withUnsafeBufferPointer { f in
      out.score.withUnsafeBufferPointer { s in
        for i in 0..<x.rows {
          var fs = 0.0
          var ss = 0.0
          for j in (i * d)..<((i + 1) * d) {
            fs += Double(f[j]) * Double(s[j])
            ss += Double(s[j]) * Double(s[j])
          }
          out.timeDerivative[i] =
            -fieldDivergence + diffusivity * Double(divergence[i]) - fs + diffusivity * ss
        }
      }
    }
  }
}

/// How ``StochasticEntropyProduction`` discretises the medium entropy `∫ f/D ∘ dx` on a grid.
public enum MediumEntropyDiscretization: Sendable, Hashable {
  /// `Σ log K_k(x_{k+1}|x_k)/K_k(x_k|x_{k+1})` with the exact Gaussian transition kernels: the
  /// sampled chain's own medium entropy, for which the fluctuation theorem is exact at any step.
  case transitionRatio
  /// `Σ f(x̄, τ̄)·Δx / D(τ̄)` at the midpoints: the Stratonovich sum, `O(Δτ)` from the limit.
  case stratonovichMidpoint
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
      total: MonteCarloEstimate(total), system: MonteCarloEstimate(system), medium: MonteCarloEstimate(medium)
    )
  }

  /// `⟨e^{−Δs_tot}⟩`, which the integral fluctuation theorem says is 1 when the score is exact.
  public var integralFluctuationTheorem: MonteCarloEstimate {
    MonteCarloEstimate(total.map { Double.exp(-$0) })
  }
}
