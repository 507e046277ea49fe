import Foundation
import LinearAlgebra

// score-sde-bench: ScoreSDE on the reference workloads of /work/shared/bench (see
// Benchmarks/README.md for the workloads, the FLOP counts and how to compare with PyTorch/JAX).
let options = BenchmarkCommand.parseOrExit().options
BLAS.threadCount = options.threads
let workloads = Workloads(options: options)
let timesWorkloads = !options.only.subtracting(["quality", "oracle-samples", "encodings"]).isEmpty
if !options.json && timesWorkloads {
  print("ScoreSDE score-sde-bench — OpenBLAS \(BLAS.configuration), \(options.threads) threads")
  printTableHeader()
}

func report(_ m: Measurement) {
  if options.json { print(m.json) } else { printTableRow(m) }
}

func runAll<S: BLASScalar>(_ type: S.Type) throws {
  let sizes = [("W1-small", 128, 3, 512, 30), ("W1-medium", 256, 3, 1024, 15), ("W1-large", 512, 4, 4096, 3)]
  for (name, width, depth, batch, minimum) in sizes where options.only.contains(name) {
    report(
      try workloads.trainingStep(
        type, name: name, width: width, depth: depth, batch: batch, minimumSteps: minimum))
  }
  if options.only.contains("W1-validated") {
    report(
      try workloads.trainingStep(
        type, name: "W1-validated", width: 128, depth: 3, batch: 512, minimumSteps: 30, validationInterval: 10
      ))
  }
  if options.only.contains("W2") { report(try workloads.sampling(type)) }
  if options.only.contains("W3") { report(try workloads.likelihood(type)) }
  if options.only.contains("gemm") {
    for size in [256, 1024] { report(workloads.squareGemm(type, size: size)) }
  }
}

do {
  for scalar in options.scalars {
    if scalar == "float" { try runAll(Float.self) } else { try runAll(Double.self) }
  }
  if options.only.contains("oracle-samples"), let plan = options.plan {
    try OracleSamples(threads: options.threads, planPath: plan).run()
  }
  if options.only.contains("quality") {
    let (floor, rows) = try QualityBenchmark(
      threads: options.threads, modelPath: options.model, dataName: options.data, samples: options.samples
    ).run()
    if options.json {
      print("{\"workload\": \"quality-floor\", \"sliced_wasserstein\": \(number(floor))}")
      for row in rows { print(row.json) }
    } else {
      let target =
        options.model.map { "model \($0), fresh \(options.data) data" }
        ?? "3-component 2-D mixture, exact score, VP-SDE"
      print("\nQuality: NFE and seconds vs sliced W₂ to fresh samples (\(target))")
      print(
        pad("sampler", 10) + lpad("steps", 6) + lpad("ε", 7) + lpad("denoise", 8) + lpad("NFE", 6)
          + lpad("SW₂", 8) + lpad("seconds", 9))
      for r in rows {
        print(
          pad(r.kind, 10) + lpad("\(r.steps)", 6) + lpad(r.smallTime == 1e-3 ? "1e-3" : "1e-5", 7)
            + lpad(r.denoise ? "yes" : "no", 8) + lpad("\(r.evaluations)", 6)
            + lpad(String(format: "%.4f", r.distance), 8) + lpad(String(format: "%.2f", r.seconds), 9))
      }
      print(String(format: "floor (two fresh sample sets): %.4f", floor))
    }
  }
  if options.only.contains("encodings") {
    let rows = try EncodingsBenchmark(threads: options.threads).run()
    if options.json {
      for row in rows { for line in row.json { print(line) } }
    } else {
      printEncodingsTable(rows)
    }
  }
} catch {
  FileHandle.standardError.write(Data("score-sde-bench: \(error)\n".utf8))
  exit(1)
}
