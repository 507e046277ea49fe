import Foundation

/// A one-line progress bar on standard error, redrawn in place when standard error is a
/// terminal and silent otherwise (so logs and pipes stay clean).
///
///     train ▕██████████▌         ▏ 52% 1040/2000  loss 0.731  812 steps/s  ETA 1s
struct ProgressBar {
  let label: String
  let total: Int
  let enabled: Bool
  private var lastDraw = 0.0
  private let width = 24

  /// A bar for `total` units of work; drawn only when standard error is a terminal, unless
  /// `force` says otherwise.
  init(label: String, total: Int, force: Bool? = nil) {
    self.label = label
    self.total = max(total, 1)
    self.enabled = force ?? (isatty(STDERR_FILENO) == 1)
  }

  /// Redraws the bar at `done` units with a free-text `detail`, at most ten times a second.
  mutating func update(_ done: Int, detail: String = "", etaSeconds: Double? = nil) {
    guard enabled else { return }
    let t = Date().timeIntervalSinceReferenceDate
    if done < total && t - lastDraw < 0.1 { return }
    lastDraw = t
    let fraction = min(max(Double(done) / Double(total), 0), 1)
    let cells = fraction * Double(width)
    let full = Int(cells)
    let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    let partial = full < width ? partials[Int((cells - Double(full)) * 8)] : ""
    let bar = String(repeating: "█", count: full) + partial
    let padded = bar + String(repeating: " ", count: max(0, width - full - (partial.isEmpty ? 0 : 1)))
    var line = "\(label) ▕\(padded)▏ \(Int(fraction * 100))% \(done)/\(total)"
    if !detail.isEmpty { line += "  " + detail }
    if let eta = etaSeconds, eta.isFinite { line += "  ETA \(ProgressBar.duration(eta))" }
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
  }

  /// Ends the bar's line.
  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\n".utf8))
  }

  /// `42s`, `3m05s` or `1h02m`.
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
  }
}
