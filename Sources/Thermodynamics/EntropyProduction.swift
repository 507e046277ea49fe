public import DiffusionProcesses
public import LinearAlgebra

/// The entropy production of the forward (noising) process, estimated from samples of `p_t` and
/// any score model.
///
/// For `dX = f(X, t) dt + g(t) dW` in `ℝᵈ` with `D(t) = g(t)²/2`, the Fokker–Planck equation is a
/// continuity equation `∂ₜp = −∇·J` for the probability current `J = p v` with the velocity
///
///     v(x, t) = f(x, t) − D(t) ∇ₓ log p_t(x).
///
/// The Gibbs–Shannon entropy `S(t) = −∫ p_t log p_t` then obeys (Seifert 2012, eqs. 21–24;
/// Yu & Huang 2024, "Nonequilibrium physics of generative diffusion models")
///
///     Ṡ_tot = E_{p_t} ‖v‖² / D                  ≥ 0          (total entropy production)
///     Ṡ_m   = E_{p_t} [f·v] / D                               (entropy flow into the medium)
///     dS/dt = Ṡ_tot − Ṡ_m = −E_{p_t} [v·∇log p_t]            (system entropy change)
///
/// and, by parts, `dS/dt = E[∇·f] + D·E‖∇log p_t‖²` (de Bruijn's identity with a drift). With a
/// model score `s_θ ≈ ∇log p_t` every expectation is estimated by its sample mean over points
/// `xᵢ ~ p_t`; the per-point terms
///
///     ‖vᵢ‖²/D = fᵢ·vᵢ/D + (−vᵢ·sᵢ),   vᵢ = fᵢ − D sᵢ,
///
/// add up exactly, so the three estimates are consistent sample by sample. Points of `p_t` come
/// from perturbing data through the closed-form kernel of the ``GaussianSDE``.
///
/// Integrals over `[t₀, t₁]` draw one time per round, stratified (round `m` of `M` in the `m`-th
/// of `M` equal sub-intervals), perturb the whole data batch to that time with fresh noise, and
/// average `(t₁ − t₀)·(batch mean)` over rounds: an unbiased estimate whose standard error adds
/// the rounds' (collapsed strata) and the data's (the points are a sample of `p_0`, reused by
/// every round), so that it measures the distance to the data *distribution*'s value.
///
/// ```swift
/// let ep = EntropyProduction(process: VPSDE<Double>(), score: oracle)
/// let rate = ep.rates(at: 0.3, data: x0, using: &rng)        // Ṡ_tot, dS/dt, Ṡ_m ± SE
/// let total = ep.integrated(from: 1e-3, to: 1, data: x0, rounds: 200, using: &rng)
/// ```
///
/// For Gaussian data the same quantities are closed forms: ``GaussianEntropyProduction``.
public struct EntropyProduction<Process: GaussianSDE, Model: ScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// The score model standing in for `∇ₓ log p_t`.
  public let model: Model

  /// Entropy production of `process` with the score `model`.
  public init(process: Process, score model: Model) {
    self.process = process
    self.model = model
  }

  /// The score model.
  @available(*, deprecated, renamed: "model")
  public var score: Model { model }

  /// The per-point terms `(‖v‖²/D, −v·s, f·v/D)` (total, system, medium) at points `x` of `p_t`.
  ///
  /// - Parameters:
  ///   - x: points, one per row, `n × d`, distributed as `p_t`.
  ///   - t: the time, in `(0, T]` (`g(t) > 0`).
  /// - Returns: three arrays of `n` values in `Double`; `total[i] = system[i] + medium[i]`.
  @inlinable
  public func contributions(of x: Matrix<Scalar>, at t: Scalar) -> (
    total: [Double], system: [Double], medium: [Double]
  ) {
    let g = Double(process.diffusion(at: t))
    let diffusivity = g * g / 2
    precondition(diffusivity > 0, "EntropyProduction: g(\(t)) = 0, the entropy production is undefined")
    let f = process.drift(x, at: t)
    let s = model.score(x, at: t)
    let (n, d) = (x.rows, x.columns)
    var total = [Double](repeating: 0, count: n)
    var system = total
    var medium = total
    f.withUnsafeBufferPointer { f in
      s.withUnsafeBufferPointer { s in
        for i in 0..<n {
          var vv = 0.0
          var fv = 0.0
          var vs = 0.0
          for j in (i * d)..<((i + 1) * d) {
            let (fj, sj) = (Double(f[j]), Double(s[j]))
            let v = fj - diffusivity * sj
            vv += v * v
            fv += fj * v
            vs += v * sj
          }
          total[i] = vv / diffusivity
          medium[i] = fv / diffusivity
          system[i] = -vs
        }
      }
    }
    return (total, system, medium)
  }

  /// The rates `Ṡ_tot(t)`, `dS/dt`, `Ṡ_m(t)` from points already distributed as `p_t`; the
  /// standard errors are over the (independent) points.
  @inlinable
  public func rates(ofSamples x: Matrix<Scalar>, at t: Scalar) -> EntropyProductionEstimate {
    let c = contributions(of: x, at: t)
    return EntropyProductionEstimate(
      total: MonteCarloEstimate(c.total), system: MonteCarloEstimate(c.system),
      medium: MonteCarloEstimate(c.medium))
  }

  /// The rates at time `t`, from data (samples of `p_0`) perturbed to `t` through the kernel
  /// `x_t = scale(t)·x₀ + shift(t) + std(t)·z` with noise from `rng`.
  @inlinable
  public func rates<G: RandomNumberGenerator>(
    at t: Scalar, data: Matrix<Scalar>, using rng: inout G
  ) -> EntropyProductionEstimate {
    rates(ofSamples: process.perturb(data, at: t, using: &rng).perturbed, at: t)
  }

  /// `∫_{t₀}^{t₁}` of the three rates: `ΔS_tot`, `S(t₁) − S(t₀)`, and the entropy delivered to
  /// the medium, by `rounds` stratified random times (each round perturbs all of `data` to its time).
  ///
  /// - Parameters:
  ///   - start: `t₀ > 0`.
  ///   - end: `t₁ ≤ T`.
  ///   - data: samples of the data distribution, `n × d`.
  ///   - rounds: the number of stratified times (even, ≥ 2).
  ///   - rng: the source of times and noise.
  @inlinable
  public func integrated<G: RandomNumberGenerator>(
    from start: Scalar, to end: Scalar, data: Matrix<Scalar>, rounds: Int, using rng: inout G
  ) -> EntropyProductionEstimate {
    let e = RoundsOverPoints.integrate(
      "EntropyProduction.integrated", process: process, from: start, to: end, data: data, rounds: rounds,
      terms: 3, using: &rng
    ) { x, t in
      let c = contributions(of: x, at: t)
      return [c.total, c.system, c.medium]
    }
    return EntropyProductionEstimate(total: e[0], system: e[1], medium: e[2])
  }
}
