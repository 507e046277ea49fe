import RealModule

/// Partition functions and free energies of unnormalised Boltzmann densities by importance
/// sampling from a model with an exact density: a diffusion model used as a Boltzmann generator
/// (Noé, Olsson, Köhler & Wu 2019, Science 365, eaaw1147), its density `q` exact through the
/// probability-flow ODE (Song et al. 2021, §4.3; `ProbabilityFlowLikelihood`).
///
/// For a target `p(x) = e^{−U(x)/kT}/Z` and `n` independent draws `xᵢ ~ q` with weights
/// `wᵢ = e^{−U(xᵢ)/kT}/q(xᵢ)`,
///
///     Ẑ = (1/n) Σ wᵢ  (unbiased),     log Ẑ ± SE,   SE = √(s_w²/n) / w̄   (delta method),
///     ESS = (Σ wᵢ)² / Σ wᵢ²            (Kish's effective sample size),
///     F = −kT log Z,                   SE_F = kT·SE.
///
/// `log Ẑ` is biased low by `≈ SE²/2` (Jensen), negligible once `SE ≪ 1`; the standard error is
/// only trustworthy when the weights have a finite variance (the proposal's tails are heavier
/// than the target's) and the ESS is not tiny. Everything is computed from log-weights shifted by
/// their maximum, so nothing overflows.
///
/// ```swift
/// let logTarget = well.unnormalizedLogDensity(x)        // −U/kT
/// let estimate = FreeEnergy.logPartitionFunction(logTarget: logTarget, logProposal: logq)
/// print(estimate.logNormalizer, "±", estimate.standardError, "ESS", estimate.effectiveSampleSize)
/// ```
public enum FreeEnergy {
  /// `log Z` of the unnormalised density whose logs at the proposal's draws are `logTarget`,
  /// from the proposal's exact log-densities `logProposal` at the same draws.
  /// - Precondition: the two arrays have the same, non-zero length and finite entries.
  public static func logPartitionFunction<S: BinaryFloatingPoint, T: BinaryFloatingPoint>(
    logTarget: [S], logProposal: [T]
  ) -> PartitionFunctionEstimate {
    precondition(
      logTarget.count == logProposal.count && logTarget.count > 1,
      "FreeEnergy: \(logTarget.count) target and \(logProposal.count) proposal log-densities (need ≥ 2)")
    let logWeights = zip(logTarget, logProposal).map { Double($0) - Double($1) }
    precondition(logWeights.allSatisfy(\.isFinite), "FreeEnergy: non-finite log-weights")
    let shift = logWeights.max()!
    let w = logWeights.map { Double.exp($0 - shift) }
    let n = Double(w.count)
    let sum = w.reduce(0, +)
    let mean = sum / n
    let squares = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    let relative = (squares / (n - 1) / n).squareRoot() / mean
    let ess = sum * sum / w.reduce(0) { $0 + $1 * $1 }
    return PartitionFunctionEstimate(
      logNormalizer: shift + Double.log(mean), standardError: relative, effectiveSampleSize: ess,
      count: w.count)
  }

  /// The free-energy difference `F_B − F_A = −kT_B log Z_B + kT_A log Z_A` of two unnormalised
  /// densities (two parameter values or temperatures) from the *same* draws of one proposal, with
  /// the paired delta-method standard error
  ///
  ///     SE² = (1/n) Var( kT_A·w_Aᵢ/w̄_A − kT_B·w_Bᵢ/w̄_B ),
  ///
  /// which accounts for the correlation the shared draws create (a positive one shrinks it).
  /// - Parameters:
  ///   - logTargetA: `−U_A/kT_A` at the draws.
  ///   - temperatureA: `kT_A`.
  ///   - logTargetB: `−U_B/kT_B` at the draws.
  ///   - temperatureB: `kT_B`.
  ///   - logProposal: `log q` at the draws.
  public static func difference<S: BinaryFloatingPoint, T: BinaryFloatingPoint>(
    logTargetA: [S], temperatureA: Double, logTargetB: [S], temperatureB: Double, logProposal: [T]
  ) -> MonteCarloEstimate {
    let a = logPartitionFunction(logTarget: logTargetA, logProposal: logProposal)
    let b = logPartitionFunction(logTarget: logTargetB, logProposal: logProposal)
    precondition(logTargetB.count == logTargetA.count, "FreeEnergy.difference: targets of different lengths")
    let n = Double(logTargetA.count)
    // wᵢ/w̄ = exp(log wᵢ − log Ẑ).
    let u = (0..<logTargetA.count).map { i in
      let ratioA = Double.exp(Double(logTargetA[i]) - Double(logProposal[i]) - a.logNormalizer)
      let ratioB = Double.exp(Double(logTargetB[i]) - Double(logProposal[i]) - b.logNormalizer)
      return temperatureA * ratioA - temperatureB * ratioB
    }
    let mean = u.reduce(0, +) / n
    let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    return MonteCarloEstimate(
      mean: b.freeEnergy(temperature: temperatureB).mean - a.freeEnergy(temperature: temperatureA).mean,
      standardError: (variance / n).squareRoot(), count: logTargetA.count)
  }
}

/// An importance-sampling estimate of `log Z` (``FreeEnergy``).
public struct PartitionFunctionEstimate: Sendable, Hashable, CustomStringConvertible {
  /// `log Ẑ` with its delta-method standard error `√(s_w²/n)/w̄` (the relative standard error of
  /// `Ẑ`) and the number of draws, as a ``MonteCarloEstimate``.
  public let estimate: MonteCarloEstimate
  /// Kish's effective sample size `(Σw)²/Σw²`, between 1 and `count`.
  public let effectiveSampleSize: Double

  /// An estimate from its parts.
  public init(logNormalizer: Double, standardError: Double, effectiveSampleSize: Double, count: Int) {
    self.estimate = MonteCarloEstimate(mean: logNormalizer, standardError: standardError, count: count)
    self.effectiveSampleSize = effectiveSampleSize
  }

  /// `log Ẑ`.
  public var logNormalizer: Double { estimate.mean }
  /// Its delta-method standard error `√(s_w²/n)/w̄` (the relative standard error of `Ẑ`).
  public var standardError: Double { estimate.standardError }
  /// The number of draws.
  public var count: Int { estimate.count }

  /// The free energy `F = −kT log Z` and its standard error `kT·SE`.
  public func freeEnergy(temperature: Double) -> MonteCarloEstimate {
    MonteCarloEstimate(
      mean: -temperature * logNormalizer, standardError: temperature * standardError, count: count)
  }

  /// `log Z ± SE (ESS of n)`.
  public var description: String {
    "log Z = \(logNormalizer) ± \(standardError) (ESS \(effectiveSampleSize) of \(count))"
  }
}
