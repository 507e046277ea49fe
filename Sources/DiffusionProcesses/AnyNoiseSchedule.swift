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
  public var base: any NoiseSchedule<Scalar> { withSchedule { $0 } }

  /// Calls `body` with the wrapped schedule: the one `switch` every requirement goes through.
  /// Once it is inlined, the linear and cosine cases pass a known concrete type, which the
  /// optimiser devirtualises, so their closed forms are inlined.
  ///
  /// - Parameter body: what to do with the schedule.
  /// - Returns: `body`'s result.
  @inlinable
  public func withSchedule<Result>(_ body: (any NoiseSchedule<Scalar>) throws -> Result) rethrows -> Result {
    switch storage {
    case .linear(let s): return try body(s)
    case .cosine(let s): return try body(s)
    case .other(let s): return try body(s.base)
    }
  }

  /// The wrapped schedule's `β(t)`.
  @inlinable
  public func beta(at t: Scalar) -> Scalar { withSchedule { $0.beta(at: t) } }

  /// The wrapped schedule's `B(s, t) = ∫ₛᵗ β`.
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    withSchedule { $0.integratedBeta(from: s, to: t) }
  }

  /// The wrapped schedule's inverse `B⁻¹(integral)`.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    withSchedule { $0.time(atIntegratedBeta: integral) }
  }

  /// The linear and cosine schedules as the former `NoiseSchedule` enum printed them, such as
  /// `DiffusionProcesses.NoiseSchedule<Swift.Float>.linear(betaMin: 0.1, betaMax: 20.0)`, so that
  /// `String(describing: VPSDE<Float>())` (a trainer checkpoint's process signature) is unchanged;
  /// any other schedule's own description.
  public var description: String {
    let type = "DiffusionProcesses.NoiseSchedule<\(String(reflecting: Scalar.self))>"
    switch storage {
    case .linear(let l):
      return
        "\(type).linear(betaMin: \(String(reflecting: l.betaMin)), betaMax: \(String(reflecting: l.betaMax)))"
    case .cosine(let c):
      return
        "\(type).cosine(offset: \(String(reflecting: c.offset)), maximumBeta: \(String(reflecting: c.maximumBeta)))"
    case .other(let s): return String(describing: s.base)
    }
  }

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
