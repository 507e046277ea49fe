/// The entropy balance of a diffusion at one time or over an interval, in nats (`k_B = 1`):
/// total entropy production = change of the system's entropy + entropy flow into the medium,
///
///     Ṡ_tot = dS/dt + Ṡ_m,   Ṡ_tot ≥ 0
///
/// (Seifert 2005, "Entropy production along a stochastic trajectory and an integral fluctuation
/// theorem", PRL 95, 040602; Seifert 2012, Rep. Prog. Phys. 75, 126001, §3–4). Exact values
/// (closed forms, quadratures) are ``EntropyBalance``; Monte Carlo ones are
/// ``EntropyProductionEstimate``.
public struct EntropyBalance: Sendable, Hashable, CustomStringConvertible {
  /// The total entropy production `Ṡ_tot` (or `ΔS_tot` over an interval), never negative.
  public let total: Double
  /// The change of the Gibbs–Shannon entropy `S(t) = −∫ p_t log p_t` of the system, `dS/dt`
  /// (or `S(t₁) − S(t₀)`).
  public let system: Double
  /// The entropy flow into the medium `Ṡ_m` (heat dissipated over temperature), `total − system`.
  public let medium: Double

  /// A balance from its parts (`total` should equal `system + medium`).
  public init(total: Double, system: Double, medium: Double) {
    self.total = total
    self.system = system
    self.medium = medium
  }

  /// `total = system + medium`.
  public var description: String { "total \(total) = system \(system) + medium \(medium)" }
}

/// A Monte Carlo estimate of the entropy balance, each term with its standard error (the three
/// are computed from the same samples, so they are correlated; `total = system + medium` holds
/// sample by sample).
public struct EntropyProductionEstimate: Sendable, Hashable, CustomStringConvertible {
  /// `Ṡ_tot` (or its integral).
  public let total: MonteCarloEstimate
  /// `dS/dt` (or `ΔS`).
  public let system: MonteCarloEstimate
  /// `Ṡ_m` (or its integral).
  public let medium: MonteCarloEstimate

  /// An estimate from its parts.
  public init(total: MonteCarloEstimate, system: MonteCarloEstimate, medium: MonteCarloEstimate) {
    self.total = total
    self.system = system
    self.medium = medium
  }

  /// The three estimates.
  public var description: String { "total \(total); system \(system); medium \(medium)" }
}
