/// The entropy balance of a diffusion at one time or over an interval, in nats (`k_B = 1`):
/// total entropy production = change of the system's entropy + entropy flow into the medium,
///
///     Ṡ_tot = dS/dt + Ṡ_m,   Ṡ_tot ≥ 0
///
/// (Seifert 2005, "Entropy production along a stochastic trajectory and an integral fluctuation
/// theorem", PRL 95, 040602; Seifert 2012, Rep. Prog. Phys. 75, 126001, §3–4), its three terms
/// held as `Value`s: exact values (closed forms, quadratures) are ``EntropyBalance``
/// (`EntropyTerms<Double>`); Monte Carlo ones, each with its standard error, are
/// ``EntropyProductionEstimate`` (`EntropyTerms<MonteCarloEstimate>`).
public struct EntropyTerms<Value> {
  /// The total entropy production `Ṡ_tot` (or `ΔS_tot` over an interval), never negative (an
  /// estimate's mean may be, by its error).
  public let total: Value
  /// The change of the Gibbs–Shannon entropy `S(t) = −∫ p_t log p_t` of the system, `dS/dt`
  /// (or `S(t₁) − S(t₀)`).
  public let system: Value
  /// The entropy flow into the medium `Ṡ_m` (heat dissipated over temperature), `total − system`.
  public let medium: Value

  /// The balance from its parts (`total` should equal `system + medium`).
  public init(total: Value, system: Value, medium: Value) {
    self.total = total
    self.system = system
    self.medium = medium
  }
}

extension EntropyTerms: Sendable where Value: Sendable {}
extension EntropyTerms: Equatable where Value: Equatable {}
extension EntropyTerms: Hashable where Value: Hashable {}

extension EntropyTerms: CustomStringConvertible {
  /// `total = system + medium`.
  public var description: String { "total \(total) = system \(system) + medium \(medium)" }
}

/// The exact entropy balance (closed forms, quadratures), in nats.
public typealias EntropyBalance = EntropyTerms<Double>

/// A Monte Carlo estimate of the entropy balance, each term with its standard error (the three
/// are computed from the same samples, so they are correlated; `total = system + medium` holds
/// sample by sample).
public typealias EntropyProductionEstimate = EntropyTerms<MonteCarloEstimate>
