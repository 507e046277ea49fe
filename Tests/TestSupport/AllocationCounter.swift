#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Counts the Swift heap allocations a piece of code makes.
///
/// The Swift runtime routes every `swift_allocObject` (array buffers, class instances, boxes,
/// escaping closure contexts: everything Swift code allocates on the heap) through the hook
/// variable `_swift_allocObject`, which instrumentation may replace. ``count(_:)`` installs a
/// counting hook for the duration of `body`, counts the calls made by the calling thread, then
/// restores the hook.
///
/// **Run it only in a process that does nothing else, such as an exit test**
/// (`#expect(processExitsWith:)`). Installing a hook makes the runtime route reference counting
/// through its instrumentation adapters, and in Swift 6.3 on Linux those mask the high bits of
/// tagged pointers (small strings) before retaining them, which crashes any *other* thread that
/// retains a string meanwhile. ``count(_:)`` switches that path off again when it is done.
///
/// Not counted: raw `malloc` calls made by C libraries (OpenBLAS) or by
/// `UnsafeMutablePointer.allocate`. For those, measure with `valgrind --tool=memcheck`'s
/// "total heap usage" on an executable that runs k and then 2k steps.
public enum AllocationCounter {
  typealias AllocateObject = @convention(c) (UnsafeRawPointer?, Int, Int) -> UnsafeMutableRawPointer?

  struct State {
    var original: AllocateObject?
    var thread: pthread_t
    var count: Int
  }

  /// Whether the runtime exposes the hook (it does in the Swift runtime on Linux and Darwin).
  public static var isAvailable: Bool { hookSlot != nil }

  /// The number of `swift_allocObject` calls `body` made on this thread (see the caveat above).
  /// - Precondition: ``isAvailable``.
  public static func count(_ body: () throws -> Void) rethrows -> Int {
    guard let slot = hookSlot else { preconditionFailure("_swift_allocObject hook not found") }
    let state = self.state
    state.pointee.thread = pthread_self()
    state.pointee.count = 0
    state.pointee.original = slot.pointee
    slot.pointee = countingHook
    defer {
      slot.pointee = state.pointee.original
      swizzlingFlag?.pointee = 0
    }
    try body()
    return state.pointee.count
  }

  // The hook's state lives in raw memory, so that the hook touches no Swift global accessor.
  nonisolated(unsafe) static let state: UnsafeMutablePointer<State> = {
    let p = UnsafeMutablePointer<State>.allocate(capacity: 1)
    p.initialize(to: State(original: nil, thread: pthread_self(), count: 0))
    return p
  }()

  static let countingHook: AllocateObject = { metadata, size, alignmentMask in
    let s = AllocationCounter.state
    if pthread_equal(pthread_self(), s.pointee.thread) != 0 { s.pointee.count += 1 }
    return s.pointee.original!(metadata, size, alignmentMask)
  }

  nonisolated(unsafe) static let hookSlot: UnsafeMutablePointer<AllocateObject?>? = {
    guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_swift_allocObject") else {
      return nil
    }
    return address.assumingMemoryBound(to: AllocateObject?.self)
  }()

  /// The runtime flag that a hooked allocation sets to send retains and releases through the
  /// instrumentation adapters.
  nonisolated(unsafe) static let swizzlingFlag: UnsafeMutablePointer<UInt8>? = {
    let name = "_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly"
    guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
    return address.assumingMemoryBound(to: UInt8.self)
  }()
}
