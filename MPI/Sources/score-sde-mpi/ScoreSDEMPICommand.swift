import ArgumentParser

/// `score-sde-mpi`: ScoreSDE's data-parallel tools, run under `mpirun` or `srun`.
@main
struct ScoreSDEMPICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score-sde-mpi",
    abstract: "Data-parallel score-model training over MPI ranks.",
    subcommands: [TrainCommand.self])
}
