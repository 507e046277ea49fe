import Foundation

/// Wall-clock seconds from a monotonic clock.
func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Runs `body` repeatedly for about `seconds` (at least `minimumRuns` times) after `warmup`
/// runs, and returns the best and the median seconds per run.
func measure(
  seconds: Double, warmup: Int = 2, minimumRuns: Int = 3, _ body: () -> Void
) -> (best: Double, median: Double, runs: Int) {
  for _ in 0..<warmup { body() }
  var times: [Double] = []
  let start = now()
  while times.count < minimumRuns || now() - start < seconds {
    let t0 = now()
    body()
    times.append(now() - t0)
  }
  times.sort()
  return (times[0], times[times.count / 2], times.count)
}

/// Peak resident memory of this process so far, in MiB (`VmHWM` from /proc).
func peakResidentMiB() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
    return kib / 1024
  }
  return .nan
}

/// Resets the kernel's peak-resident (`VmHWM`) mark, so that ``peakResidentMiB()`` reports the
/// peak of what runs next (Linux: writing 5 to /proc/self/clear_refs).
func resetPeakResident() {
  guard let file = fopen("/proc/self/clear_refs", "w") else { return }
  fputs("5", file)
  fclose(file)
}
