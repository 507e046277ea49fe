public import LinearAlgebra

/// Any ``NoiseSchedule`` as one concrete type, so that ``VPSDE`` and ``SubVPSDE`` stay generic
/// over the precision alone (`VPSDE<Float>`). The linear and cosine schedules are stored as
/// themselves and dispatched by a `switch` (their closed forms stay inlined and specialised);
/// any other schedule is interned (kept once per distinct value in a process-wide table, for
/// the life of the program) and called through an existential,
/// once per time step. The type is trivially copyable, so that a process holding it (``VPSDE``,
/// and ``StandardSDE`` around it) is copied as plain bits in every kernel call.
///
/// ```swift
/// let schedules: [AnyNoiseSchedule<Double>] = [.linear(), .cosine(), AnyNoiseSchedule(custom)]
/// let b = schedules[1].integratedBeta(at: 0.5)
/// ```
public struct AnyNoiseSchedule<Scalar: BLASScalar>: NoiseSchedule, CustomStringConvertible {
  /// The wrapped schedule: the closed forms by value, anything else interned.
  @usableFromInline
  enum Storage: Sendable, Hashable {
    case linear(LinearNoiseSchedule<Scalar>)
    case cosine(CosineNoiseSchedule<Scalar>)
    case other(InternedSchedule<Scalar>)
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
      storage = .other(InternedSchedule(schedule))
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

  // Each requirement switches over the storage itself: the closed forms are then inlined and
  // specialised, which a dispatch through an existential-taking closure did not achieve across
  // modules (measured 2–4× slower kernels).

  /// The wrapped schedule's `β(t)`.
  @inlinable @inline(__always)
  public func beta(at t: Scalar) -> Scalar {
    switch storage {
    case .linear(let s): return s.beta(at: t)
    case .cosine(let s): return s.beta(at: t)
    case .other(let s): return s.base.beta(at: t)
    }
  }

  /// The wrapped schedule's `B(s, t) = ∫ₛᵗ β`.
  @inlinable @inline(__always)
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    switch storage {
    case .linear(let schedule): return schedule.integratedBeta(from: s, to: t)
    case .cosine(let schedule): return schedule.integratedBeta(from: s, to: t)
    case .other(let schedule): return schedule.base.integratedBeta(from: s, to: t)
    }
  }

  /// The wrapped schedule's inverse `B⁻¹(integral)`.
  @inlinable @inline(__always)
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    switch storage {
    case .linear(let s): return s.time(atIntegratedBeta: integral)
    case .cosine(let s): return s.time(atIntegratedBeta: integral)
    case .other(let s): return s.base.time(atIntegratedBeta: integral)
    }
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
