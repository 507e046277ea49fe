import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

// The counting runs in child processes (exit tests): see AllocationCounter's caveat. Each child
// exits with the number of allocations it saw (0 = success), without touching anything else.

@Test func allocationCounterSeesArrayAllocations() async {
  await #expect(processExitsWith: .exitCode(3)) {
    var sink = 0
    let n = AllocationCounter.count {
      for k in 0..<3 {
        let a = [Double](repeating: 1, count: 10 + k)
        sink += a.count
      }
    }
    _exit(Int32(sink == 33 ? min(n, 100) : 101))
  }
}
