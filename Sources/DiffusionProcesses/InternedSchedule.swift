internal import Foundation
import LinearAlgebra

/// A handle to a schedule of a type other than the closed forms, kept in a process-wide table
/// so that the handle is plain bits (an unretained reference) and ``AnyNoiseSchedule`` stays
/// trivially copyable: a non-trivial payload made every `StandardSDE` kernel call copy and
/// retain it (measured 7–16 % slower `marginal` and `perturb`).
///
/// Equal schedules (`AnyHashable` equality) share one entry, so handles are equal exactly when
/// their schedules are. Entries are never removed: each distinct custom schedule a program makes
/// stays in memory until it exits (a ``NumericalNoiseSchedule`` with the default grid holds
/// about 100 KB).
///
/// ```swift
/// let any = AnyNoiseSchedule(NumericalNoiseSchedule<Double> { t in 0.1 + 19.9 * t })  // interned
/// ```
@usableFromInline
struct InternedSchedule<Scalar: BLASScalar>: @unchecked Sendable, Hashable {
  /// The entry, owned by the table.
  @usableFromInline let entry: Unmanaged<ScheduleEntry<Scalar>>

  /// The handle of `schedule`'s entry, adding it to the table if no equal schedule is there.
  ///
  /// - Parameter schedule: any schedule.
  @usableFromInline
  init(_ schedule: some NoiseSchedule<Scalar>) {
    entry = ScheduleTable.shared.entry(for: schedule)
  }

  /// The schedule.
  @inlinable
  var base: any NoiseSchedule<Scalar> { entry.takeUnretainedValue().base }

  /// The same entry.
  @inlinable
  static func == (lhs: Self, rhs: Self) -> Bool { lhs.entry.toOpaque() == rhs.entry.toOpaque() }

  /// Hashes the entry's address.
  @inlinable
  func hash(into hasher: inout Hasher) { hasher.combine(entry.toOpaque()) }
}

/// One interned schedule.
@usableFromInline
final class ScheduleEntry<Scalar: BLASScalar>: Sendable {
  @usableFromInline let base: any NoiseSchedule<Scalar>

  init(_ base: any NoiseSchedule<Scalar>) { self.base = base }
}

/// The process-wide table of interned schedules, keyed by the schedule itself.
final class ScheduleTable: @unchecked Sendable {
  static let shared = ScheduleTable()
  private let lock = NSLock()
  private var entries: [AnyHashable: AnyObject] = [:]

  func entry<S: NoiseSchedule>(for schedule: S) -> Unmanaged<ScheduleEntry<S.Scalar>> {
    lock.lock()
    defer { lock.unlock() }
    let key = AnyHashable(schedule)
    if let existing = entries[key] as? ScheduleEntry<S.Scalar> { return .passUnretained(existing) }
    let entry = ScheduleEntry<S.Scalar>(schedule)
    entries[key] = entry
    return .passUnretained(entry)
  }
}
