public import DiffusionProcesses

/// The settings of a denoising score-matching loss, independent of the process (see
/// ``DenoisingScoreMatching``). The defaults are the W1 benchmark's loss
/// (`shared/bench/torch_ref.py`): ε-prediction, `λ = σ²`, independent uniform times on
/// `[10⁻⁵, T]`.
///
/// ```swift
/// var options = DenoisingOptions()
/// options.weighting = .likelihood         // importance-sampled times by default
/// options.timeSampling = .stratified
/// ```
public struct DenoisingOptions: Sendable, Codable, Hashable {
  /// What the network predicts.
  public var parameterization: Parameterization
  /// `λ(t)`.
  public var weighting: LossWeighting
  /// How the batch's time quantiles depend on each other.
  public var timeSampling: TimeSampling
  /// The density of `t`; `nil` chooses ``TimeProposal/importance`` for the likelihood weighting
  /// and ``TimeProposal/uniform`` otherwise (see ``resolvedProposal``).
  public var proposal: TimeProposal?
  /// `ε`, the smallest training time (10⁻⁵ as in Song et al. 2021).
  public var smallTimeCutoff: Double

  /// Options for a loss.
  ///
  /// - Parameters:
  ///   - parameterization: what the network predicts (`.noise` by default).
  ///   - weighting: `λ(t)` (`.noise`, `σ²`, by default).
  ///   - timeSampling: `.independent` by default.
  ///   - proposal: the time density, `nil` for the weighting's natural choice.
  ///   - smallTimeCutoff: `ε`, `10⁻⁵` by default.
  public init(
    parameterization: Parameterization = .noise, weighting: LossWeighting = .noise,
    timeSampling: TimeSampling = .independent, proposal: TimeProposal? = nil, smallTimeCutoff: Double = 1e-5
  ) {
    self.parameterization = parameterization
    self.weighting = weighting
    self.timeSampling = timeSampling
    self.proposal = proposal
    self.smallTimeCutoff = smallTimeCutoff
  }

  /// The proposal in use: ``proposal``, or importance sampling for the likelihood weighting,
  /// log-normal noise levels for the EDM weighting and uniform times otherwise.
  public var resolvedProposal: TimeProposal {
    if let proposal { return proposal }
    switch weighting {
    case .likelihood: return .importance
    case .edm: return .logNormal
    case .noise, .uniform: return .uniform
    }
  }

  enum CodingKeys: String, CodingKey {
    case parameterization, weighting, timeSampling, proposal, smallTimeCutoff
  }

  /// Decodes the options; the parameterisation is stored by its ``Parameterization/fileName``.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let name = try c.decode(String.self, forKey: .parameterization)
    guard let p = Parameterization(fileName: name) else {
      throw DecodingError.dataCorruptedError(
        forKey: .parameterization, in: c, debugDescription: "unknown parameterization '\(name)'")
    }
    parameterization = p
    weighting = try c.decode(LossWeighting.self, forKey: .weighting)
    timeSampling = try c.decode(TimeSampling.self, forKey: .timeSampling)
    proposal = try c.decodeIfPresent(TimeProposal.self, forKey: .proposal)
    smallTimeCutoff = try c.decode(Double.self, forKey: .smallTimeCutoff)
  }

  /// Encodes the options; the parameterisation as its ``Parameterization/fileName``.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(parameterization.fileName, forKey: .parameterization)
    try c.encode(weighting, forKey: .weighting)
    try c.encode(timeSampling, forKey: .timeSampling)
    try c.encodeIfPresent(proposal, forKey: .proposal)
    try c.encode(smallTimeCutoff, forKey: .smallTimeCutoff)
  }
}
