import Foundation

/// One measured line: a workload at one precision.
struct Measurement {
  var workload: String
  var scalar: String
  var threads: Int
  /// The figure's name (`steps_per_s`, `particle_steps_per_s`, `points_per_s`, `gflops`).
  var figureName: String
  var figure: Double
  /// Achieved GFLOP/s of the workload's GEMMs.
  var gflops: Double
  /// Raw cblas rate on exactly the workload's GEMM shapes, GFLOP/s.
  var blasGflops: Double
  var peakMemoryMiB: Double
  var seconds: Double
  var extra: [(String, String)] = []

  var peakFraction: Double { gflops / blasGflops }

  var json: String {
    var fields: [(String, String)] = [
      ("workload", quoted(workload)), ("scalar", quoted(scalar)), ("threads", "\(threads)"),
      (figureName, number(figure)), ("gflops", number(gflops)), ("blas_gflops", number(blasGflops)),
      ("peak_fraction", number(peakFraction)), ("peak_memory_mib", number(peakMemoryMiB)),
      ("seconds", number(seconds)),
    ]
    fields += extra
    return "{" + fields.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
  }
}

func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

func number(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }

/// Prints the table header for the workload section.
func printTableHeader() {
  print(
    pad("workload", 10) + pad("scalar", 7) + lpad("threads", 8) + lpad("figure", 14) + "  " + pad("unit", 20)
      + lpad("GFLOP/s", 9) + lpad("BLAS", 8) + lpad("of peak", 8) + lpad("MiB", 8))
}

func printTableRow(_ m: Measurement) {
  print(
    pad(m.workload, 10) + pad(m.scalar, 7) + lpad("\(m.threads)", 8)
      + lpad(String(format: "%.1f", m.figure), 14)
      + "  " + pad(m.figureName, 20) + lpad(String(format: "%.1f", m.gflops), 9)
      + lpad(String(format: "%.1f", m.blasGflops), 8)
      + lpad(String(format: "%.0f%%", 100 * m.peakFraction), 8)
      + lpad(String(format: "%.0f", m.peakMemoryMiB), 8))
}

func pad(_ s: String, _ n: Int) -> String {
  s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
}
func lpad(_ s: String, _ n: Int) -> String {
  s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
}
