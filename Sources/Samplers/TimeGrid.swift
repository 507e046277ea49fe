public import DiffusionProcesses
public import LinearAlgebra
public import RealModule

/// The times at which a sampler or a fixed-step ODE solver evaluates the model, from `start` to
/// `end` in strictly monotone order (`times[0] = start`, `times[steps] = end`).
///
/// Sampling runs from `T` down to the small-time cutoff `ε` (``SDE/smallTimeCutoff``, `1e-5`);
/// encoding data into latents runs the other way (``reversed()``). The number of steps lives
/// here, never in the SDE. Four spacings are provided (``Spacing``):
///
/// - `uniform`: `tᵢ = start + (i/N)(end − start)` (Song et al. 2021);
/// - `quadratic`: `tᵢ = end + (start − end)(1 − i/N)²`, denser near `end` (Song, Meng & Ermon
///   2021, "DDIM", appendix);
/// - `logSNR`: uniform in the log signal-to-noise ratio `λ(t) = log(scale²/std²)` (Lu et al.
///   2022, "DPM-Solver", the recommended grid for few steps);
/// - `karras(ρ)`: uniform in `σ^{1/ρ}` with `σ(t) = std(t)/scale(t)`, `ρ = 7` by default
///   (Karras et al. 2022, "Elucidating the Design Space…", eq. 5).
///
/// ```swift
/// let sde = VPSDE<Double>()
/// let grid = TimeGrid(spacing: .logSNR, steps: 20, process: sde)   // T = 1 → ε = 1e-5
/// for (t0, t1) in grid.intervals { … }
/// ```
public struct TimeGrid<Scalar: BLASScalar>: Sendable, Hashable {
  /// How the times of a grid are spaced between its two ends.
  public enum Spacing: Sendable, Hashable {
    /// Equal steps in `t`.
    case uniform
    /// `tᵢ = end + (start − end)(1 − i/N)²`: steps grow quadratically away from `end`.
    case quadratic
    /// Equal steps in the log signal-to-noise ratio `λ(t) = log(scale(t)²/std(t)²)`.
    case logSNR
    /// Equal steps in `σ^{1/ρ}`, `σ = std/scale` (Karras et al. 2022; `ρ = 7` is their default).
    case karras(rho: Scalar = 7)
  }

  /// The times, `steps + 1` of them, strictly monotone from ``start`` to ``end``.
  public let times: [Scalar]

  /// A grid over explicit times.
  /// - Parameter times: at least two times, strictly decreasing or strictly increasing.
  @inlinable
  public init(times: [Scalar]) {
    precondition(times.count >= 2, "TimeGrid needs at least two times, got \(times.count)")
    let decreasing = times[1] < times[0]
    for i in 1..<times.count {
      let ok = decreasing ? times[i] < times[i - 1] : times[i] > times[i - 1]
      precondition(
        ok && times[i].isFinite,
        "TimeGrid times must be finite and strictly monotone; times[\(i - 1)] = \(times[i - 1]), "
          + "times[\(i)] = \(times[i])")
    }
    self.times = times
  }

  /// The number of steps `N` (one less than the number of times).
  @inlinable public var steps: Int { times.count - 1 }
  /// The first time.
  @inlinable public var start: Scalar { times[0] }
  /// The last time.
  @inlinable public var end: Scalar { times[times.count - 1] }

  /// The consecutive pairs `(tᵢ, tᵢ₊₁)`, one per step.
  @inlinable
  public var intervals: [(from: Scalar, to: Scalar)] {
    (0..<steps).map { (times[$0], times[$0 + 1]) }
  }

  /// The same times in the opposite order (from ``end`` to ``start``).
  @inlinable
  public func reversed() -> TimeGrid { TimeGrid(times: times.reversed()) }

  /// `steps` equal steps from `start` to `end`.
  @inlinable
  public static func uniform(steps: Int, from start: Scalar, to end: Scalar) -> TimeGrid {
    interpolating(steps: steps, from: start, to: end) { u in start + u * (end - start) }
  }

  /// `tᵢ = end + (start − end)(1 − i/N)²`, `i = 0…N`: small steps near `end`.
  @inlinable
  public static func quadratic(steps: Int, from start: Scalar, to end: Scalar) -> TimeGrid {
    interpolating(steps: steps, from: start, to: end) { u in end + (start - end) * (1 - u) * (1 - u) }
  }

  /// Equal steps in `λ(t) = log(scale²/std²)` of `process`, mapped back to times with
  /// ``LinearGaussianSDE/time(atLogSignalToNoiseRatio:)``.
  /// - Precondition: `start`, `end` > 0 (where `λ` is finite).
  @inlinable
  public static func uniformLogSNR<Process: LinearGaussianSDE>(
    steps: Int, from start: Scalar, to end: Scalar, process: Process
  ) -> TimeGrid where Process.Scalar == Scalar {
    precondition(start > 0 && end > 0, "A log-SNR grid needs positive times, got \(start) and \(end)")
    let l0 = process.logSignalToNoiseRatio(at: start)
    let l1 = process.logSignalToNoiseRatio(at: end)
    return interpolating(steps: steps, from: start, to: end) { u in
      process.time(atLogSignalToNoiseRatio: l0 + u * (l1 - l0))
    }
  }

  /// Karras et al. (2022, eq. 5): `σᵢ = (σ₀^{1/ρ} + (i/N)(σ_N^{1/ρ} − σ₀^{1/ρ}))^ρ` between the noise
  /// levels `σ = std/scale` of `process` at `start` and `end`, mapped back to times through the
  /// log-SNR `λ = −2 log σ`.
  /// - Precondition: `start`, `end` > 0 and `rho > 0`.
  @inlinable
  public static func karras<Process: LinearGaussianSDE>(
    steps: Int, from start: Scalar, to end: Scalar, process: Process, rho: Scalar = 7
  ) -> TimeGrid where Process.Scalar == Scalar {
    precondition(start > 0 && end > 0, "A Karras grid needs positive times, got \(start) and \(end)")
    precondition(rho > 0 && rho.isFinite, "A Karras grid needs ρ > 0, got \(rho)")
    // σ^{1/ρ} = exp(−λ/(2ρ)).
    let a = Scalar.exp(-process.logSignalToNoiseRatio(at: start) / (2 * rho))
    let b = Scalar.exp(-process.logSignalToNoiseRatio(at: end) / (2 * rho))
    return interpolating(steps: steps, from: start, to: end) { u in
      process.time(atLogSignalToNoiseRatio: -2 * rho * Scalar.log(a + u * (b - a)))
    }
  }

  /// The grid `start, time(1/N), …, time((N−1)/N), end`: the ends exact, the interior times from
  /// the spacing's map of the fraction `u = i/N`.
  @inlinable
  static func interpolating(
    steps: Int, from start: Scalar, to end: Scalar, _ time: (Scalar) -> Scalar
  ) -> TimeGrid {
    checkEnds(steps, start, end)
    let n = Scalar(steps)
    return TimeGrid(times: (0...steps).map { i in i == 0 ? start : i == steps ? end : time(Scalar(i) / n) })
  }

  /// A grid with the given spacing between `start` (default `T`) and `end` (default `ε`) of
  /// `process`, in the sampling direction.
  ///
  /// ```swift
  /// let grid = TimeGrid(spacing: .karras(), steps: 18, process: VESDE<Double>())
  /// ```
  @inlinable
  public init<Process: LinearGaussianSDE>(
    spacing: Spacing, steps: Int, process: Process, from start: Scalar? = nil, to end: Scalar? = nil
  ) where Process.Scalar == Scalar {
    let t0 = start ?? process.endTime
    let t1 = end ?? process.smallTimeCutoff
    switch spacing {
    case .uniform: self = .uniform(steps: steps, from: t0, to: t1)
    case .quadratic: self = .quadratic(steps: steps, from: t0, to: t1)
    case .logSNR: self = .uniformLogSNR(steps: steps, from: t0, to: t1, process: process)
    case .karras(let rho): self = .karras(steps: steps, from: t0, to: t1, process: process, rho: rho)
    }
  }

  @inlinable
  static func checkEnds(_ steps: Int, _ start: Scalar, _ end: Scalar) {
    precondition(steps >= 1, "A time grid needs at least one step, got \(steps)")
    precondition(
      start != end && start.isFinite && end.isFinite,
      "A time grid needs two distinct finite ends, got \(start) and \(end)")
  }
}
