public import LinearAlgebra

/// Any ``NoiseSchedule`` as one concrete type, so that ``VPSDE`` and ``SubVPSDE`` stay generic
/// over the precision alone (`VPSDE<Float>`). The linear and cosine schedules are stored as
/// themselves and dispatched by a `switch` (their closed forms stay inlined and specialised);
/// any other schedule is called through an existential, once per time step.
///
/// ```swift
/// let schedules: [AnyNoiseSchedule<Double>] = [.linear(), .cosine(), AnyNoiseSchedule(custom)]
/// let b = schedules[1].integratedBeta(at: 0.5)
/// ```
public struct AnyNoiseSchedule<Scalar: BLASScalar>: NoiseSchedule, CustomStringConvertible {
  /// The wrapped schedule: the closed forms by value, anything else boxed.
  @usableFromInline
  enum Storage: Sendable, Hashable {
    case linear(LinearNoiseSchedule<Scalar>)
    case cosine(CosineNoiseSchedule<Scalar>)
    case other(Boxed)
  }

  /// A schedule of another type, compared and hashed through `AnyHashable`.
  @usableFromInline
  struct Boxed: Sendable, Hashable {
    @usableFromInline let base: any NoiseSchedule<Scalar>

    @usableFromInline
    init(_ base: any NoiseSchedule<Scalar>) { self.base = base }

    @usableFromInline
    static func == (lhs: Self, rhs: Self) -> Bool { AnyHashable(lhs.base) == AnyHashable(rhs.base) }

    @usableFromInline
    func hash(into hasher: inout Hasher) { hasher.combine(AnyHashable(base)) }
  }

  @usableFromInline let storage: Storage

  /// Wraps `schedule` (unwrapping it if it is already an `AnyNoiseSchedule`).
  @inlinable
  public init(_ schedule: some NoiseSchedule<Scalar>) {
    if let any = schedule as? AnyNoiseSchedule<Scalar> {
      self = any
    } else if let linear = schedule as? LinearNoiseSchedule<Scalar> {
      storage = .linear(linear)
    } else if let cosine = schedule as? CosineNoiseSchedule<Scalar> {
      storage = .cosine(cosine)
    } else {
      storage = .other(Boxed(schedule))
    }
  }

  /// The wrapped schedule (cast it to ``LinearNoiseSchedule`` or ``CosineNoiseSchedule`` to read
  /// its parameters).
  public var base: any NoiseSchedule<Scalar> {
    switch storage {
    case .linear(let s): return s
    case .cosine(let s): return s
    case .other(let s): return s.base
    }
  }

  /// The wrapped schedule's `β(t)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar {
    switch storage {
    case .linear(let s): return s.beta(at: t)
    case .cosine(let s): return s.beta(at: t)
    case .other(let s): return s.base.beta(at: t)
    }
  }

  /// The wrapped schedule's `B(s, t) = ∫ₛᵗ β`.
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    switch storage {
    case .linear(let schedule): return schedule.integratedBeta(from: s, to: t)
    case .cosine(let schedule): return schedule.integratedBeta(from: s, to: t)
    case .other(let schedule): return schedule.base.integratedBeta(from: s, to: t)
    }
  }

  /// The wrapped schedule's inverse `B⁻¹(integral)`.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    switch storage {
    case .linear(let s): return s.time(atIntegratedBeta: integral)
    case .cosine(let s): return s.time(atIntegratedBeta: integral)
    case .other(let s): return s.base.time(atIntegratedBeta: integral)
    }
  }

  /// The wrapped schedule's description.
  public var description: String { String(describing: base) }

  /// The linear schedule `β(t) = betaMin + t(betaMax − betaMin)` (see ``LinearNoiseSchedule``).
  ///
  /// - Parameters:
  ///   - betaMin: `β(0)`, 0.1 by default.
  ///   - betaMax: `β(1)`, 20 by default.
  @inlinable
  public static func linear(betaMin: Scalar = 0.1, betaMax: Scalar = 20) -> Self {
    Self(LinearNoiseSchedule(betaMin: betaMin, betaMax: betaMax))
  }

  /// The clipped cosine schedule of Nichol & Dhariwal (see ``CosineNoiseSchedule``).
  ///
  /// - Parameters:
  ///   - offset: `s`, 0.008 by default.
  ///   - maximumBeta: the clip `β_max`, 20 by default.
  @inlinable
  public static func cosine(offset: Scalar = 0.008, maximumBeta: Scalar = 20) -> Self {
    Self(CosineNoiseSchedule(offset: offset, maximumBeta: maximumBeta))
  }
}
