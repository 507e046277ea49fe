import RealModule

/// A forward process by kind and parameters, in `Double`: what a model file or a checkpoint
/// stores so that the process can be rebuilt (as a ``StandardSDE``) without flags.
///
/// ```swift
/// let description = SDEDescription(VPSDE<Float>())            // .vp(.linear(0.1, 20)), T = 1
/// let process = StandardSDE<Float>(description)               // a GaussianSDE again
/// ```
public struct SDEDescription: Sendable, Codable, Hashable, CustomStringConvertible {
  /// The noise rate of a VP or sub-VP process (see ``NoiseSchedule``).
  public enum Schedule: Sendable, Codable, Hashable {
    /// `β(t) = β_min + t(β_max − β_min)`.
    case linear(betaMin: Double, betaMax: Double)
    /// The clipped cosine schedule of Nichol & Dhariwal (2021).
    case cosine(offset: Double, maximumBeta: Double)
  }

  /// The family and its parameters.
  public enum Kind: Sendable, Codable, Hashable {
    /// `VPSDE` (Song et al. 2021, eq. 11); the cosine schedule is the "cosine" process.
    case vp(schedule: Schedule)
    /// `SubVPSDE` (Song et al. 2021, eq. 12).
    case subVP(schedule: Schedule)
    /// `VESDE` with `σ ∈ [σ_min, σ_max]` (Song et al. 2021, eq. 9).
    case ve(sigmaMin: Double, sigmaMax: Double)
    /// `OrnsteinUhlenbeckSDE`, `dx = −θ(x − μ) dt + σ dW`.
    case ornsteinUhlenbeck(theta: Double, mean: Double, sigma: Double)
  }

  /// The family and its parameters.
  public var kind: Kind
  /// `T`.
  public var endTime: Double

  /// A description.
  ///
  /// - Parameters:
  ///   - kind: the family and its parameters.
  ///   - endTime: `T` (1 by default).
  public init(_ kind: Kind, endTime: Double = 1) {
    self.kind = kind
    self.endTime = endTime
  }

  /// The description of one of the module's processes (`VPSDE`, `SubVPSDE`, `VESDE`,
  /// `OrnsteinUhlenbeckSDE`, ``StandardSDE``), or `nil` for any other type (and for a
  /// schedule other than the linear and cosine ones).
  ///
  /// - Parameter process: the process.
  public init?<Process: GaussianSDE>(_ process: Process) {
    typealias S = Process.Scalar
    func schedule(_ s: AnyNoiseSchedule<S>) -> Schedule? {
      switch s.base {
      case let l as LinearNoiseSchedule<S>:
        return .linear(betaMin: Double(l.betaMin), betaMax: Double(l.betaMax))
      case let c as CosineNoiseSchedule<S>:
        return .cosine(offset: Double(c.offset), maximumBeta: Double(c.maximumBeta))
      default: return nil
      }
    }
    switch process {
    case let p as VPSDE<S>:
      guard let s = schedule(p.schedule) else { return nil }
      self.init(.vp(schedule: s), endTime: Double(p.endTime))
    case let p as SubVPSDE<S>:
      guard let s = schedule(p.schedule) else { return nil }
      self.init(.subVP(schedule: s), endTime: Double(p.endTime))
    case let p as VESDE<S>:
      self.init(.ve(sigmaMin: Double(p.sigmaMin), sigmaMax: Double(p.sigmaMax)), endTime: Double(p.endTime))
    case let p as OrnsteinUhlenbeckSDE<S>:
      self.init(
        .ornsteinUhlenbeck(theta: Double(p.theta), mean: Double(p.mean), sigma: Double(p.sigma)),
        endTime: Double(p.endTime))
    case let p as StandardSDE<S>: self = p.processDescription
    default: return nil
    }
  }

  /// The name of the family: `"vp"`, `"cosine"` (VP with the cosine schedule), `"subvp"`,
  /// `"ve"` or `"ou"`.
  public var name: String {
    switch kind {
    case .vp(.linear): return "vp"
    case .vp(.cosine): return "cosine"
    case .subVP: return "subvp"
    case .ve: return "ve"
    case .ornsteinUhlenbeck: return "ou"
    }
  }

  /// The first parameter a process cannot be built with, described, or `nil` (for files, whose
  /// contents must not trap).
  public var validationFailure: String? {
    guard endTime > 0 && endTime.isFinite else {
      return "endTime must be positive and finite, got \(endTime)"
    }
    func check(_ s: Schedule) -> String? {
      switch s {
      case .linear(let b0, let b1):
        return b0 >= 0 && b1 >= b0 && b1 > 0 && b1.isFinite ? nil : "invalid β range [\(b0), \(b1)]"
      case .cosine(let offset, let bmax):
        let beta0 = Double.pi * Double.tan(offset / (1 + offset) * Double.pi / 2) / (1 + offset)
        return offset > 0 && offset.isFinite && bmax > beta0 && bmax.isFinite
          ? nil : "invalid cosine schedule (offset \(offset), maximum β \(bmax))"
      }
    }
    switch kind {
    case .vp(let s), .subVP(let s): return check(s)
    case .ve(let lo, let hi):
      return lo > 0 && hi > lo && hi.isFinite ? nil : "invalid σ range [\(lo), \(hi)]"
    case .ornsteinUhlenbeck(let theta, let mean, let sigma):
      return theta > 0 && theta.isFinite && sigma > 0 && sigma.isFinite && mean.isFinite
        ? nil : "invalid Ornstein–Uhlenbeck parameters θ = \(theta), μ = \(mean), σ = \(sigma)"
    }
  }

  /// Such as `vp(linear β 0.1…20, T = 1)`.
  public var description: String {
    func text(_ s: Schedule) -> String {
      switch s {
      case .linear(let b0, let b1): return "linear β \(b0)…\(b1)"
      case .cosine(let offset, let bmax): return "cosine s = \(offset), β ≤ \(bmax)"
      }
    }
    let parameters: String
    switch kind {
    case .vp(let s), .subVP(let s): parameters = text(s)
    case .ve(let lo, let hi): parameters = "σ \(lo)…\(hi)"
    case .ornsteinUhlenbeck(let theta, let mean, let sigma):
      parameters = "θ = \(theta), μ = \(mean), σ = \(sigma)"
    }
    return "\(name)(\(parameters), T = \(endTime))"
  }
}
