import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// The reference workloads of /work/shared/bench (torch_ref.py, jax_ref.py), run through the
/// library's public code paths: `Trainer` (W1), `Sampler` with `.eulerMaruyama` (W2) and
/// `ProbabilityFlowLikelihood` with fixed-step RK4 and exact divergence (W3).
struct Workloads {
  let options: Options
  let gemm: GemmBenchmark

  init(options: Options) {
    self.options = options
    self.gemm = GemmBenchmark(seconds: min(options.seconds, 1))
  }

  /// The ε-network of the references: x ‖ 16 Fourier features (scale 16) → H×L SiLU → 2.
  func architecture(width: Int, depth: Int) -> MLPConfiguration {
    MLPConfiguration(
      inputDimension: 2, timeEmbedding: .gaussianFourier(frequencies: 16, scale: 16), width: width,
      depth: depth,
      activation: .silu)
  }

  func gemms(width: Int, depth: Int) -> MLPGemms {
    MLPGemms(sizes: [2 + 32] + [Int](repeating: width, count: depth) + [2])
  }

  /// W1: denoising score matching steps on fresh checkerboard batches (VP β 0.1→20, Adam 1e-3),
  /// the batch split into one row block per thread.
  /// FLOPs counted: the forward GEMMs plus the backward ones (weight gradients of every layer,
  /// input gradients of every layer but the first), `2·m·n·k` each.
  ///
  /// With `validationInterval`, the steps run through `Trainer.train(until:validation:)`, which
  /// evaluates the held-out loss of the averaged weights on 512 checkerboard rows (8 draws each)
  /// after every `validationInterval` steps (`W1-validated`): the validated loop, which every small
  /// data file trains with, and its specialisation (compiled generic, it ran several times slower).
  /// Its FLOPs count the steps only.
  func trainingStep<S: BLASScalar>(
    _: S.Type, name: String, width: Int, depth: Int, batch: Int, minimumSteps: Int,
    validationInterval: Int? = nil
  ) throws -> Measurement {
    let configuration = TrainingConfiguration(seed: 0, batchSize: batch, steps: 1, learningRate: 1e-3)
    var trainer = try Trainer(
      process: VPSDE<S>(betaMin: 0.1, betaMax: 20), architecture: architecture(width: width, depth: depth),
      source: DistributionSource<Checkerboard, S>(Checkerboard()), configuration: configuration)
    // One row block per thread, each with single-threaded BLAS (Trainer.threads).
    trainer.threads = options.threads
    let shapes = gemms(width: width, depth: depth)
    let all = shapes.forward(rows: batch) + shapes.backward(rows: batch)
    // The machine's best BLAS rate at these shapes: OpenBLAS's own threading, or one BLAS thread per row block.
    let blas = max(
      gemm.rate(S.self, shapes: all),
      withBLASThreads(1) { gemm.rate(S.self, shapes: all, split: options.threads) })
    resetPeakResident()
    let rate = try withBLASThreads(1) {
      let warmup = max(2, min(20, minimumSteps))
      for _ in 0..<warmup { try trainer.step() }
      guard let interval = validationInterval else {
        return try throughput(seconds: options.seconds, minimumRuns: minimumSteps) { try trainer.step() }
      }
      var rng = Xoshiro256(seed: 2)
      let heldOut: Matrix<S> = Checkerboard().sample(count: 512, using: &rng)
      let policy = ValidationPolicy(data: heldOut, interval: interval)
      // Ten evaluations per call, so that the held-out batch the loop builds once per call costs
      // what it costs a run.
      let stepsPerRun = 10 * interval
      let runs = try throughput(seconds: options.seconds, minimumRuns: 1) {
        try trainer.train(until: trainer.completedSteps + stepsPerRun, validation: policy)
      }
      return (runs.perSecond * Double(stepsPerRun), runs.seconds)
    }
    let flops = all.reduce(0) { $0 + $1.flops }
    return Measurement(
      workload: name, scalar: scalarName(S.self), threads: options.threads, figureName: "steps_per_s",
      figure: rate.perSecond, gflops: rate.perSecond * flops / 1e9, blasGflops: blas,
      peakMemoryMiB: peakResidentMiB(), seconds: rate.seconds,
      extra: [
        ("H", "\(width)"), ("L", "\(depth)"), ("B", "\(batch)"), ("final_loss", number(trainer.lastLoss)),
      ])
  }

  /// W2: reverse VP-SDE Euler–Maruyama, 10 000 particles × 200 steps, H256 L3 (random weights).
  /// FLOPs counted: the forward GEMMs of each score evaluation.
  func sampling<S: BLASScalar>(_: S.Type) throws -> Measurement {
    let (n, steps, width, depth) = (10_000, 200, 256, 3)
    var rng = Xoshiro256(seed: 1)
    let process = VPSDE<S>(betaMin: 0.1, betaMax: 20)
    let model = NetworkScoreModel(
      network: MLP<S>(configuration: architecture(width: width, depth: depth), using: &rng), process: process)
    var sampling = SamplingOptions<S>(kind: .eulerMaruyama(steps: steps), seed: 1)
    sampling.threads = options.threads
    sampling.batchSize = (n + options.threads - 1) / options.threads
    let sampler = Sampler(process: process, score: model, options: sampling)
    let shapes = gemms(width: width, depth: depth).forward(rows: sampling.batchSize!)
    let blas = withBLASThreads(1) { gemm.rate(S.self, shapes: shapes) } * Double(options.threads)
    resetPeakResident()
    var checksum = S(0)
    let rate = try withBLASThreads(1) {
      try throughput(seconds: options.seconds, minimumRuns: 1) {
        checksum += try sampler.sample(count: n, dimension: 2).samples.elements[0]
      }
    }
    let flopsPerStep = gemms(width: width, depth: depth).forward(rows: n).reduce(0) { $0 + $1.flops }
    let perSecond = rate.perSecond * Double(n * steps)
    return Measurement(
      workload: "W2", scalar: scalarName(S.self), threads: options.threads,
      figureName: "particle_steps_per_s",
      figure: perSecond, gflops: rate.perSecond * Double(steps) * flopsPerStep / 1e9, blasGflops: blas,
      peakMemoryMiB: peakResidentMiB(), seconds: rate.seconds,
      extra: [("N", "\(n)"), ("S", "\(steps)"), ("checksum", number(Double(checksum)))])
  }

  /// W3: probability-flow log-likelihood, RK4 with 50 steps, exact divergence, 1 000 checkerboard
  /// points, H256 L3, the points split into one block per thread. FLOPs counted: per score evaluation, the forward GEMMs plus the `d = 2`
  /// pullbacks of the divergence.
  func likelihood<S: BLASScalar>(_: S.Type) throws -> Measurement {
    let (n, steps, width, depth) = (1000, 50, 256, 3)
    var rng = Xoshiro256(seed: 2)
    let process = VPSDE<S>(betaMin: 0.1, betaMax: 20)
    let model = NetworkScoreModel(
      network: MLP<S>(configuration: architecture(width: width, depth: depth), using: &rng), process: process)
    let data: Matrix<S> = Checkerboard().sample(count: n, using: &rng)
    let evaluator = ProbabilityFlowLikelihood(
      process: process, score: model, divergence: .exact, integration: .rungeKutta4(steps: steps))
    let shapes = gemms(width: width, depth: depth)
    let perEvaluation = shapes.forward(rows: n) + shapes.pullback(rows: n, dataColumns: 2)
    // One block of rows per thread, each with single-threaded BLAS (as W2).
    let blockShapes =
      shapes.forward(rows: n / options.threads)
      + shapes.pullback(rows: n / options.threads, dataColumns: 2)
    let blas = withBLASThreads(1) { gemm.rate(S.self, shapes: blockShapes) } * Double(options.threads)
    resetPeakResident()
    var nll = 0.0
    let rate = try withBLASThreads(1) {
      try throughput(seconds: options.seconds, minimumRuns: 1) {
        let result = try evaluator.logLikelihood(of: data, threads: options.threads)
        nll = -Double(result.logLikelihoods.reduce(0, +)) / Double(n)
      }
    }
    let flops = Double(4 * steps) * perEvaluation.reduce(0) { $0 + $1.flops }
    return Measurement(
      workload: "W3", scalar: scalarName(S.self), threads: options.threads, figureName: "points_per_s",
      figure: rate.perSecond * Double(n), gflops: rate.perSecond * flops / 1e9, blasGflops: blas,
      peakMemoryMiB: peakResidentMiB(), seconds: rate.seconds,
      extra: [("N", "\(n)"), ("S", "\(steps)"), ("nll_untrained", number(nll))])
  }

  /// The raw BLAS rate at square sizes, for orientation.
  func squareGemm<S: BLASScalar>(_: S.Type, size: Int) -> Measurement {
    let rate = gemm.rate(S.self, shapes: [GemmShape(m: size, n: size, k: size)])
    return Measurement(
      workload: "gemm-\(size)", scalar: scalarName(S.self), threads: options.threads, figureName: "gflops",
      figure: rate, gflops: rate, blasGflops: rate, peakMemoryMiB: .nan, seconds: .nan)
  }
}

func scalarName<S: BLASScalar>(_: S.Type) -> String { S.self == Float.self ? "float" : "double" }

/// Runs `body` with `BLAS.threadCount` set to `n`, restoring it after.
func withBLASThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
  let saved = BLAS.threadCount
  BLAS.threadCount = n
  defer { BLAS.threadCount = saved }
  return try body()
}

/// Runs `body` until `seconds` have passed and at least `minimumRuns` runs are done; returns
/// runs per second over the whole span (as the references do: total runs ÷ total time).
func throughput(
  seconds: Double, minimumRuns: Int, _ body: () throws -> Void
) rethrows -> (perSecond: Double, seconds: Double) {
  let start = now()
  var runs = 0
  while runs < minimumRuns || now() - start < seconds {
    try body()
    runs += 1
  }
  let elapsed = now() - start
  return (Double(runs) / elapsed, elapsed)
}
