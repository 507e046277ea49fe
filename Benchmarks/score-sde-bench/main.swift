import Foundation
import LinearAlgebra

// score-sde-bench: measures ScoreSDE on the reference workloads (see Benchmarks/README.md).
let arguments = CommandLine.arguments.dropFirst()
let seconds =
  arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[arguments.index(after: $0)]) } ?? 1.0
let threads =
  arguments.firstIndex(of: "--threads").flatMap { Int(arguments[arguments.index(after: $0)]) } ?? 2
BLAS.threadCount = threads
print("OpenBLAS: \(BLAS.configuration), threads \(BLAS.threadCount)")
let gemm = GemmBenchmark(seconds: seconds)
for n in [256, 2048] {
  let f = gemm.run(Float.self, m: n, n: n, k: n)
  let d = gemm.run(Double.self, m: n, n: n, k: n)
  print(
    "gemm \(n)×\(n)×\(n): float Matrix \(String(format: "%.1f", f.wrapper)) GFLOP/s, raw cblas_sgemm \(String(format: "%.1f", f.raw)); "
      + "double Matrix \(String(format: "%.1f", d.wrapper)), raw cblas_dgemm \(String(format: "%.1f", d.raw))"
  )
}
print(
  String(
    format: "normal fill: float %.1f M/s, double %.1f M/s",
    normalFillRate(Float.self, seconds: seconds) / 1e6, normalFillRate(Double.self, seconds: seconds) / 1e6))
