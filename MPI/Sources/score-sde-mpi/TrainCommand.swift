import ArgumentParser
import Foundation
import ScoreSDE
import ScoreSDEMPI

/// `score-sde-mpi train`: data-parallel training over the ranks of one `mpirun`.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a score network over MPI ranks; rank 0 writes the model.",
    discussion: """
      Every rank draws the same batch from --seed, computes the gradient of its block of rows, \
      and the blocks' gradients are gathered and summed in rank order, so every rank makes the \
      same Adam/EMA update. The network is the benchmark's W1 MLP (x ‖ 16 Gaussian Fourier \
      features of t → width × depth SiLU), ε-parameterised, on a VP-SDE (β 0.1 → 20), in Float.

      Example: mpirun -np 2 score-sde-mpi train --dataset checkerboard --steps 1000 --output model.safetensors
      """)

  @Option(help: "A built-in dataset (see score-sde datasets).") var dataset = "checkerboard"
  @Option(help: "Training steps.") var steps = 1_000
  @Option(help: "The seed of the weights and of every batch.") var seed: UInt64 = 0
  @Option(help: "Rows per step (the global batch, shared among the ranks).") var batch = 1_024
  @Option(help: "Hidden width.") var width = 256
  @Option(help: "Hidden layers.") var depth = 3
  @Option(help: "Adam's learning rate.") var learningRate = 1e-3
  @Option(help: "Where rank 0 writes the model (.safetensors).") var output: String?
  @Option(help: "Print progress every this many steps (0: never).") var progressInterval = 0
  @Option(
    help: """
      Threads of one process (Trainer.threads), for comparing with ranks: only without mpirun or \
      with one rank.
      """)
  var threads = 1
  @Flag(
    help: """
      Also train in this process with Trainer.threads = ranks on rank 0 and require the weights \
      to be bit-identical; and gather a likelihood computed over the ranks' row blocks and require \
      it to equal the threaded one.
      """)
  var check = false

  func validate() throws {
    guard DatasetRegistry.names.contains(dataset) else {
      throw ValidationError(
        "--dataset: no dataset named '\(dataset)'; known: \(DatasetRegistry.names.joined(separator: ", "))")
    }
    guard steps >= 1 && steps <= 100_000_000 else {
      throw ValidationError("--steps must be 1 ... 10⁸, got \(steps)")
    }
    guard batch >= 1 && batch <= 1 << 24 else {
      throw ValidationError("--batch must be 1 ... 2²⁴, got \(batch)")
    }
    guard width >= 1 && width <= 1 << 14 else {
      throw ValidationError("--width must be 1 ... 16384, got \(width)")
    }
    guard depth >= 1 && depth <= 64 else { throw ValidationError("--depth must be 1 ... 64, got \(depth)") }
    guard learningRate.isFinite && learningRate > 0 else {
      throw ValidationError("--learning-rate must be positive and finite, got \(learningRate)")
    }
    guard progressInterval >= 0 else { throw ValidationError("--progress-interval must be ≥ 0") }
    guard threads >= 1 && threads <= 256 else {
      throw ValidationError("--threads must be 1 ... 256, got \(threads)")
    }
    if check && threads > 1 {
      throw ValidationError("--check compares ranks with threads; give no --threads")
    }
    if check, try DatasetRegistry.distribution(named: dataset).conditioningColumns > 0 {
      throw ValidationError("--check needs an unconditional dataset; \(dataset) has conditions")
    }
    if let output { try ModelOutput.validate(output) }
  }

  func run() throws {
    let distribution = try DatasetRegistry.distribution(named: dataset)
    let world = try MPIWorld.initialize()
    defer { MPIWorld.finalize() }
    guard batch >= world.rankCount else {
      if world.rank == 0 { printError("--batch \(batch) has fewer rows than the \(world.rankCount) ranks") }
      throw ExitCode.failure
    }
    // Trainer.threads = R cuts the batch into R blocks only from 64·R rows on (RowBlocks).
    guard !check || batch >= 64 * world.rankCount else {
      if world.rank == 0 {
        printError(
          "--check: a batch of \(batch) rows is under 64 × \(world.rankCount) ranks, which one process with "
            + "threads = \(world.rankCount) would not split into \(world.rankCount) blocks; use --batch ≥ \(64 * world.rankCount)"
        )
      }
      throw ExitCode.failure
    }
    guard threads == 1 || world.rankCount == 1 else {
      if world.rank == 0 {
        printError("--threads \(threads) is for one process; run it without mpirun or with -np 1")
      }
      throw ExitCode.failure
    }
    BLAS.threadCount = 1
    do {
      try train(distribution, world: world)
    } catch {
      printError("rank \(world.rank): \(error)")
      world.abort(code: 1)
    }
  }

  /// Trains on `distribution` as this rank of `world`, then saves and checks on rank 0.
  func train<D: DataDistribution>(_ distribution: D, world: MPIWorld) throws {
    var trainer = try makeTrainer(distribution, threads: threads)
    let clock = ContinuousClock()
    let start = clock.now
    while trainer.completedSteps < steps {
      if world.rankCount == 1 && threads > 1 {
        try trainer.step()
      } else {
        try trainer.step(distributedOver: world)
      }
      if world.rank == 0 && progressInterval > 0 && trainer.completedSteps % progressInterval == 0 {
        print("step \(trainer.completedSteps)/\(steps) loss \(trainer.smoothedLoss)")
      }
    }
    let seconds = (clock.now - start) / .seconds(1)
    if world.rank == 0 {
      print(
        "trained \(steps) steps of \(batch) rows on \(world.rankCount) rank(s) × \(threads) thread(s) in "
          + "\(String(format: "%.3f", seconds)) s: \(String(format: "%.2f", Double(steps) / seconds)) steps/s, "
          + "loss \(trainer.smoothedLoss)")
      if let output {
        try trainer.trainedModel(data: dataset).save(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
      }
    }
    if check { try checkAgainstOneProcess(trainer, distribution, world: world) }
  }

  /// A Float trainer of the W1 network on `distribution`.
  func makeTrainer<D: DataDistribution>(
    _ distribution: D, threads: Int
  ) throws -> Trainer<MLP<Float>, VPSDE<Float>, DistributionSource<D, Float>> {
    let architecture = MLPConfiguration(
      inputDimension: distribution.dimension - distribution.conditioningColumns,
      conditionDimension: distribution.conditioningColumns,
      timeEmbedding: .gaussianFourier(frequencies: 16, scale: 16), width: width, depth: depth,
      activation: .silu)
    var trainer = try Trainer(
      process: VPSDE<Float>(betaMin: 0.1, betaMax: 20), architecture: architecture,
      source: DistributionSource<D, Float>(distribution),
      configuration: TrainingConfiguration(
        seed: seed, batchSize: batch, steps: steps, learningRate: learningRate))
    trainer.threads = threads
    return trainer
  }
}
