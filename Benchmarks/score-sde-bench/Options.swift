import ArgumentParser

/// The settings of a benchmark run (see Benchmarks/README.md).
struct Options {
  /// Workloads to run: `W1-small`, `W1-medium`, `W1-large`, `W1-validated`, `W2`, `W3`, `gemm`, `quality`.
  var only: Set<String> = ["W1-small", "W1-medium", "W1-large", "W2", "W3", "gemm"]
  /// Threads for BLAS and for the batch split.
  var threads = 2
  /// Seconds to spend timing each workload (at least the minimum repetitions run).
  var seconds = 2.0
  /// Which precisions to run.
  var scalars: [String] = ["float", "double"]
  /// One JSON object per line instead of the table.
  var json = false
  /// `quality` on this model file instead of the exact mixture.
  var model: String?
  /// The built-in density the `--model` was trained on.
  var data = "checkerboard"
  /// Samples per `quality` measurement (`nil`: the workload's default).
  var samples: Int?
  /// The plan file of `oracle-samples` (written by `kdiffusion_compare.py`).
  var plan: String?
}

/// The precisions `--scalar` chooses.
enum ScalarChoice: String, ExpressibleByArgument, CaseIterable {
  case float, double, both
}

/// The command line of `score-sde-bench`.
struct BenchmarkCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score-sde-bench",
    abstract: "Time ScoreSDE on the reference workloads of shared/bench (see Benchmarks/README.md).")

  /// Every workload the benchmark knows.
  static let workloads = [
    "W1-small", "W1-medium", "W1-large", "W1-validated", "W2", "W3", "gemm", "quality", "oracle-samples",
    "encodings",
  ]

  @Option(
    help:
      ArgumentHelp(
        "Comma-separated workloads: W1-small, W1-medium, W1-large, W1-validated, W2, W3, gemm, quality, "
          + "oracle-samples, encodings.")
  )
  var only = "W1-small,W1-medium,W1-large,W2,W3,gemm"

  @Option(help: "Threads for BLAS and for the batch split.")
  var threads = 2

  @Option(help: "Seconds spent timing each workload (the minimum repetitions always run).")
  var seconds = 2.0

  @Option(help: "The precisions to run.")
  var scalar: ScalarChoice = .both

  @Flag(help: "One JSON object per line instead of the table.")
  var json = false

  @Option(help: "quality: measure this model file (from `score-sde train`) instead of the exact mixture.")
  var model: String?

  @Option(help: "quality: the built-in density the --model was trained on (fresh data to compare with).")
  var data = "checkerboard"

  @Option(help: "quality: samples per measurement (default 20 000 for the mixture, 10 000 for a model).")
  var samples: Int?

  @Option(help: "oracle-samples: the JSON plan written by Benchmarks/kdiffusion_compare.py.")
  var plan: String?

  func validate() throws {
    let names = only.split(separator: ",").map(String.init)
    if let bad = names.first(where: { !Self.workloads.contains($0) }) {
      throw ValidationError("unknown workload \(bad); known: \(Self.workloads.joined(separator: ","))")
    }
    guard threads >= 1 else { throw ValidationError("--threads \(threads): need N ≥ 1") }
    guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds \(seconds): need S > 0") }
    if let samples, samples < 2 { throw ValidationError("--samples \(samples): need N ≥ 2") }
    if names.contains("oracle-samples") && plan == nil {
      throw ValidationError("oracle-samples needs --plan FILE (see Benchmarks/kdiffusion_compare.py)")
    }
  }

  /// The parsed settings.
  var options: Options {
    Options(
      only: Set(only.split(separator: ",").map(String.init)), threads: threads, seconds: seconds,
      scalars: scalar == .both ? ["float", "double"] : [scalar.rawValue], json: json, model: model,
      data: data, samples: samples, plan: plan)
  }
}
