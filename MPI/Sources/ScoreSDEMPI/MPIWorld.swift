internal import CMPI
public import ScoreSDE

/// The processes of one `mpirun` (MPI's `MPI_COMM_WORLD`): their number, this one's rank, and
/// the all-gather a data-parallel ``Trainer`` needs (``GradientReducer``).
///
/// Every rank runs the same program; each draws the whole batch of a step from the shared seed,
/// computes the gradient of its own contiguous block of rows, and the blocks' gradients are
/// gathered on every rank (`MPI_Allgather`, a copy) and summed there in rank order — never by
/// `MPI_Allreduce`, whose summation order is left to the implementation. So every rank makes the
/// same update, and `R` ranks give bit for bit the weights of one process with
/// ``Trainer/threads`` `= R` when the batch has at least `64·R` rows (see
/// ``Trainer/step(combining:rankCount:)``).
///
/// ```swift
/// let world = try MPIWorld.initialize()
/// BLAS.threadCount = 1                     // one core per rank
/// var trainer = try Trainer(process: VPSDE<Float>(), architecture: mlp, source: source,
///                           configuration: configuration)
/// while trainer.completedSteps < configuration.steps {
///   try trainer.step(distributedOver: world)
/// }
/// if world.rank == 0 { try trainer.trainedModel().save(to: url) }
/// MPIWorld.finalize()
/// ```
///
/// MPI's default error handler (`MPI_ERRORS_ARE_FATAL`) ends the whole run on a failed
/// collective, so the methods here do not throw; a call that MPI reports failed anyway stops
/// the process with a message.
public struct MPIWorld: GradientReducer, Sendable {
  /// This process's rank, `0 ..< rankCount`.
  public let rank: Int
  /// The number of processes.
  public let rankCount: Int

  private init(rank: Int, rankCount: Int) {
    self.rank = rank
    self.rankCount = rankCount
  }

  /// Initialises MPI (`MPI_Init`, once per process; later calls return the same world) and reads
  /// this process's rank and the number of processes.
  ///
  /// - Returns: the world.
  /// - Throws: ``MPIError/finalized`` after ``finalize()``.
  public static func initialize() throws(MPIError) -> MPIWorld {
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    guard finalized == 0 else { throw .finalized }
    MPI_Initialized(&initialized)
    if initialized == 0 { check(MPI_Init(nil, nil), "MPI_Init") }
    var rank: Int32 = 0
    var size: Int32 = 0
    check(MPI_Comm_rank(scoresde_mpi_comm_world(), &rank), "MPI_Comm_rank")
    check(MPI_Comm_size(scoresde_mpi_comm_world(), &size), "MPI_Comm_size")
    return MPIWorld(rank: Int(rank), rankCount: Int(size))
  }

  /// Ends MPI (`MPI_Finalize`) after every rank has reached this call; no MPI call may follow.
  public static func finalize() {
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized == 0 { check(MPI_Finalize(), "MPI_Finalize") }
  }

  /// Ends every rank of the run with exit status `code` (`MPI_Abort`): for a failure on one
  /// rank that the others, waiting in a collective, would never learn of.
  ///
  /// - Parameter code: the exit status, not 0.
  public func abort(code: Int32) -> Never {
    MPI_Abort(scoresde_mpi_comm_world(), code)
    fatalError("MPI_Abort returned")
  }

  /// Waits until every rank has called it (`MPI_Barrier`).
  public func barrier() {
    MPIWorld.check(MPI_Barrier(scoresde_mpi_comm_world()), "MPI_Barrier")
  }

  /// Gathers every rank's `contribution` into `gathered` on every rank, in rank order
  /// (`MPI_Allgather` of the values' bytes, so nothing is summed or converted).
  ///
  /// - Parameters:
  ///   - contribution: this rank's values; the same count on every rank.
  ///   - gathered: receives `rankCount × contribution.count` values, rank `r`'s at
  ///     `r·m ..< (r+1)·m`.
  public func allGather<Scalar: BLASScalar>(_ contribution: [Scalar], into gathered: inout [Scalar]) {
    let bytes = contribution.count * MemoryLayout<Scalar>.stride
    precondition(
      bytes * rankCount <= Int(Int32.max),
      "MPIWorld.allGather: \(contribution.count) values from \(rankCount) ranks exceed MPI's 2³¹-byte count")
    gathered = [Scalar](repeating: 0, count: contribution.count * rankCount)
    contribution.withUnsafeBytes { send in
      gathered.withUnsafeMutableBytes { receive in
        MPIWorld.check(
          MPI_Allgather(
            send.baseAddress, Int32(bytes), scoresde_mpi_byte(), receive.baseAddress, Int32(bytes),
            scoresde_mpi_byte(), scoresde_mpi_comm_world()),
          "MPI_Allgather")
      }
    }
  }

  /// Stops with a message naming `call` unless `code` is `MPI_SUCCESS`.
  static func check(_ code: Int32, _ call: String) {
    precondition(code == scoresde_mpi_success(), "\(call) failed with MPI error \(code)")
  }
}

/// What can go wrong before any communication.
public enum MPIError: Error, Equatable, CustomStringConvertible {
  /// MPI was finalised in this process and cannot be initialised again.
  case finalized

  /// A sentence that says what went wrong.
  public var description: String {
    switch self {
    case .finalized: "MPI was finalised in this process; it cannot be initialised again"
    }
  }
}
