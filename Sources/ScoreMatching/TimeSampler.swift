public import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// The distribution of training times on `[ε, T]` (uniform, or ∝ `g²/σ²`) as an inverse CDF, with
/// its density; see ``TimeProposal``.
///
/// ```swift
/// let sampler = TimeSampler(process: VPSDE<Double>(), proposal: .importance, smallTimeCutoff: 1e-5)
/// let t = sampler.time(atQuantile: 0.5)      // the median time
/// ```
public struct TimeSampler<Process: LinearGaussianSDE>: Sendable {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// Uniform or importance-sampled times.
  public let proposal: TimeProposal
  /// `ε`.
  public let smallTimeCutoff: Scalar
  /// `λ_SNR(ε)`, the log signal-to-noise ratio at `ε`.
  public let logSNRAtCutoff: Scalar
  /// `λ_SNR(T)`.
  public let logSNRAtEnd: Scalar
  /// EDM's log-normal noise levels on the same `[ε, T]` (the `.logNormal` proposal, and the `.edm`
  /// weighting under any proposal).
  public let logNormal: LogNormalNoiseLevels<Process>

  /// The sampler of `proposal` on `[ε, T]`.
  ///
  /// - Parameters:
  ///   - process: the forward SDE.
  ///   - proposal: the density.
  ///   - smallTimeCutoff: `ε`, in `(0, T)`.
  public init(process: Process, proposal: TimeProposal, smallTimeCutoff: Scalar) {
    precondition(
      smallTimeCutoff > 0 && smallTimeCutoff < process.endTime,
      "TimeSampler: the cutoff ε = \(smallTimeCutoff) must lie in (0, T = \(process.endTime))")
    self.process = process
    self.proposal = proposal
    self.smallTimeCutoff = smallTimeCutoff
    self.logSNRAtCutoff = process.logSignalToNoiseRatio(at: smallTimeCutoff)
    self.logSNRAtEnd = process.logSignalToNoiseRatio(at: process.endTime)
    self.logNormal = LogNormalNoiseLevels(process: process, smallTimeCutoff: smallTimeCutoff)
    precondition(
      logSNRAtCutoff > logSNRAtEnd && logSNRAtCutoff.isFinite && logSNRAtEnd.isFinite,
      "TimeSampler: the log-SNR must decrease on [ε, T]; it is \(logSNRAtCutoff) at ε and \(logSNRAtEnd) at T"
    )
  }

  /// `T − ε`.
  @inlinable public var length: Scalar { process.endTime - smallTimeCutoff }

  /// `Z = ∫_ε^T g²/σ² dt = λ_SNR(ε) − λ_SNR(T)`, the normaliser of the importance density.
  @inlinable public var importanceNormalizer: Scalar { logSNRAtCutoff - logSNRAtEnd }

  /// The time at quantile `u ∈ [0, 1]`: `ε + u(T − ε)` for uniform times, and for importance
  /// sampling the `t` with `λ_SNR(t) = λ_SNR(ε) − u·Z` (clamped to `[ε, T]` against rounding).
  @inlinable
  public func time(atQuantile u: Scalar) -> Scalar {
    let (lo, hi) = (smallTimeCutoff, process.endTime)
    switch proposal {
    case .uniform:
      return Swift.min(hi, lo + u * (hi - lo))
    case .importance:
      let target = logSNRAtCutoff - u * importanceNormalizer
      let t = process.time(atLogSignalToNoiseRatio: Swift.min(logSNRAtCutoff, Swift.max(logSNRAtEnd, target)))
      return Swift.min(hi, Swift.max(lo, t))
    case .logNormal:
      return logNormal.time(atQuantile: u)
    }
  }

  /// The CDF `F(t)` of the proposal on `[ε, T]` (the inverse of ``time(atQuantile:)``).
  @inlinable
  public func cumulativeProbability(at t: Scalar) -> Scalar {
    switch proposal {
    case .uniform: return (t - smallTimeCutoff) / length
    case .importance: return (logSNRAtCutoff - process.logSignalToNoiseRatio(at: t)) / importanceNormalizer
    case .logNormal: return logNormal.cumulativeProbability(at: t)
    }
  }

  /// The density `q(t)`: `1/(T − ε)`, or `g(t)²/(σ(t)²·Z)` (NaN for a process without an
  /// isotropic kernel, which trains with uniform times only).
  @inlinable
  public func density(at t: Scalar) -> Scalar {
    switch proposal {
    case .uniform: return 1 / length
    case .importance:
      let g = process.diffusion(at: t)
      let s = process.isotropicMarginal(at: t)?.standardDeviation ?? .nan
      return g * g / (s * s * importanceNormalizer)
    case .logNormal: return logNormal.density(at: t)
    }
  }

  /// Writes one time per entry of `times` with the quantiles of `sampling` (see
  /// ``TimeSampling``), drawing from `rng`.
  ///
  /// - Parameters:
  ///   - times: overwritten; its count is the batch size.
  ///   - sampling: independent, stratified or antithetic quantiles.
  ///   - rng: the source of randomness (one draw per row, half as many for antithetic pairs).
  @inlinable
  public func sample<G: RandomNumberGenerator>(
    into times: inout [Scalar], sampling: TimeSampling, using rng: inout G
  ) {
    let n = times.count
    times.withUnsafeMutableBufferPointer { t in
      switch sampling {
      case .independent:
        for i in 0..<n { t[i] = time(atQuantile: 1 - Scalar.randomOpenUnit(using: &rng)) }
      case .stratified:
        let width = 1 / Scalar(n)
        for i in 0..<n {
          let u = (Scalar(i) + 1 - Scalar.randomOpenUnit(using: &rng)) * width
          t[i] = time(atQuantile: Swift.min(u, 1))
        }
      case .antithetic:
        var i = 0
        while i + 1 < n {
          let u = 1 - Scalar.randomOpenUnit(using: &rng)
          t[i] = time(atQuantile: u)
          t[i + 1] = time(atQuantile: 1 - u)
          i += 2
        }
        if i < n { t[i] = time(atQuantile: 1 - Scalar.randomOpenUnit(using: &rng)) }
      }
    }
  }
}
