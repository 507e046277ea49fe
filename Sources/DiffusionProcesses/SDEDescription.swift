public import LinearAlgebra
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
    /// ``LinearSDE``, `dX = β(t)(F X + c) dt + √β(t) L dW`: `F` and `L` as rows (`d × d`), `c` (`d`
    /// entries, or none for 0) and the schedule `β`. A matrix kernel: rebuilt as a
    /// ``StandardLinearSDE``, not a ``StandardSDE``.
    case linear(drift: [[Double]], offset: [Double], noise: [[Double]], schedule: Schedule)
    /// ``CriticallyDampedLangevin`` diffusion on `(x, v)` for `dimension` data columns, with mass
    /// `M`, initial velocity scale `γ` and schedule `β` (the paper's: `M = 0.25`, `γ = 0.04`,
    /// constant `β = 4`). A matrix kernel, rebuilt as a ``StandardLinearSDE``.
    case criticallyDampedLangevin(
      dimension: Int, mass: Double, initialVelocityScale: Double, schedule: Schedule)
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
  /// `OrnsteinUhlenbeckSDE`, ``StandardSDE``, ``LinearSDE``, ``CriticallyDampedLangevin``,
  /// ``StandardLinearSDE``), or `nil` for any other type (and for a schedule other than the
  /// linear and cosine ones).
  ///
  /// - Parameter process: the process.
  public init?<Process: LinearGaussianSDE>(_ process: Process) {
    typealias S = Process.Scalar
    func schedule(_ s: AnyNoiseSchedule<S>) -> Schedule? { Schedule(s) }
    func rows(_ m: Matrix<S>) -> [[Double]] {
      (0..<m.rows).map { i in (0..<m.columns).map { Double(m[i, $0]) } }
    }
    switch process {
    case let p as LinearSDE<S>:
      guard let s = schedule(p.schedule) else { return nil }
      self.init(
        .linear(
          drift: rows(p.driftMatrix),
          offset: p.offset.allSatisfy { $0 == 0 } ? [] : p.offset.map(Double.init),
          noise: rows(p.noise), schedule: s), endTime: Double(p.endTime))
    case let p as CriticallyDampedLangevin<S>:
      guard let s = schedule(p.process.schedule) else { return nil }
      self.init(
        .criticallyDampedLangevin(
          dimension: p.dimension, mass: Double(p.mass), initialVelocityScale: Double(p.initialVelocityScale),
          schedule: s), endTime: Double(p.endTime))
    case let p as StandardLinearSDE<S>:
      guard let d = p.processDescription else { return nil }
      self = d
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
  /// `"ve"`, `"ou"`, `"linear"` or `"cld"`.
  public var name: String {
    switch kind {
    case .vp(.linear): return "vp"
    case .vp(.cosine): return "cosine"
    case .subVP: return "subvp"
    case .ve: return "ve"
    case .ornsteinUhlenbeck: return "ou"
    case .linear: return "linear"
    case .criticallyDampedLangevin: return "cld"
    }
  }

  /// Whether the kernel is isotropic (`N(a x₀ + b, σ² I)`): the process is then a
  /// ``StandardSDE``; otherwise (`.linear`, `.criticallyDampedLangevin`) a ``StandardLinearSDE``.
  public var hasIsotropicKernel: Bool {
    switch kind {
    case .vp, .subVP, .ve, .ornsteinUhlenbeck: return true
    case .linear, .criticallyDampedLangevin: return false
    }
  }

  /// The number of data columns of a model whose network sees `stateDimension` columns: half of
  /// them for critically-damped Langevin diffusion (`(x, v)`), all of them otherwise.
  public func dataDimension(stateDimension: Int) -> Int {
    if case .criticallyDampedLangevin = kind { return stateDimension / 2 }
    return stateDimension
  }

  /// The number of state columns the process runs on: `d` for `.linear`, `2d` for
  /// `.criticallyDampedLangevin`, `nil` for the scalar kernels (any dimension).
  public var stateDimension: Int? {
    switch kind {
    case .linear(let drift, _, _, _): return drift.count
    case .criticallyDampedLangevin(let d, _, _, _): return 2 * d
    default: return nil
    }
  }

  /// The first parameter a process cannot be built with, described, or `nil` (for files, whose
  /// contents must not trap).
  public var validationFailure: String? {
    if let failure = endTimeFailure(endTime) { return failure }
    func check(_ s: Schedule) -> String? {
      switch s {
      case .linear(let b0, let b1): return LinearNoiseSchedule.validationFailure(betaMin: b0, betaMax: b1)
      case .cosine(let offset, let bmax):
        return CosineNoiseSchedule.validationFailure(offset: offset, maximumBeta: bmax)
      }
    }
    switch kind {
    case .vp(let s), .subVP(let s): return check(s)
    case .ve(let lo, let hi): return VESDE.validationFailure(sigmaMin: lo, sigmaMax: hi)
    case .ornsteinUhlenbeck(let theta, let mean, let sigma):
      return OrnsteinUhlenbeckSDE.validationFailure(theta: theta, mean: mean, sigma: sigma)
    case .linear(let drift, let offset, let noise, let schedule):
      if let failure = check(schedule) { return failure }
      if let failure = Self.linearFailure(drift: drift, offset: offset, noise: noise) { return failure }
      do {
        _ = try LinearSDE<Double>(
          drift: Matrix(drift), offset: offset, noise: Matrix(noise), schedule: schedule.noiseSchedule(),
          endTime: endTime)
      } catch {
        return
          "the linear SDE cannot be built (the noise L Lᵀ must reach every direction through F): \(error)"
      }
      return nil
    case .criticallyDampedLangevin(let d, let mass, let gamma, let schedule):
      if let failure = check(schedule) { return failure }
      return CriticallyDampedLangevin.validationFailure(dimension: d, mass: mass, initialVelocityScale: gamma)
    }
  }

  /// Why `F`, `c`, `L` cannot make a ``LinearSDE`` (shapes, finiteness, noise that never reaches
  /// some direction), or `nil`.
  static func linearFailure(drift: [[Double]], offset: [Double], noise: [[Double]]) -> String? {
    let d = drift.count
    guard d >= 1, drift.allSatisfy({ $0.count == d }) else {
      return "the drift F must be a non-empty square matrix, got rows of \(drift.map(\.count))"
    }
    guard noise.count == d, noise.allSatisfy({ $0.count == d }) else {
      return "the noise L must be \(d) × \(d) like F, got \(noise.count) rows of \(noise.map(\.count))"
    }
    guard offset.isEmpty || offset.count == d else {
      return "the offset c must have \(d) entries like F, got \(offset.count)"
    }
    guard drift.joined().allSatisfy(\.isFinite) else { return "the drift F has a non-finite entry" }
    guard noise.joined().allSatisfy(\.isFinite) else { return "the noise L has a non-finite entry" }
    guard offset.allSatisfy(\.isFinite) else { return "the offset c has a non-finite entry" }
    return nil
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
    case .linear(let drift, let offset, _, let s):
      parameters = "\(drift.count) × \(drift.count) F, L\(offset.isEmpty ? "" : ", c"), \(text(s))"
    case .criticallyDampedLangevin(let d, let mass, let gamma, let s):
      parameters = "d = \(d), M = \(mass), γ = \(gamma), \(text(s))"
    }
    return "\(name)(\(parameters), T = \(endTime))"
  }
}

extension SDEDescription.Schedule {
  /// The description of a linear or cosine schedule, or `nil` for another.
  public init?<S: BLASScalar>(_ schedule: AnyNoiseSchedule<S>) {
    switch schedule.base {
    case let l as LinearNoiseSchedule<S>:
      self = .linear(betaMin: Double(l.betaMin), betaMax: Double(l.betaMax))
    case let c as CosineNoiseSchedule<S>:
      self = .cosine(offset: Double(c.offset), maximumBeta: Double(c.maximumBeta))
    default: return nil
    }
  }

  /// The schedule, its parameters rounded to `S`.
  public func noiseSchedule<S: BLASScalar>() -> AnyNoiseSchedule<S> {
    switch self {
    case .linear(let b0, let b1): return .linear(betaMin: S(b0), betaMax: S(b1))
    case .cosine(let offset, let bmax): return .cosine(offset: S(offset), maximumBeta: S(bmax))
    }
  }
}
