import DiffusionProcesses
public import LinearAlgebra
import ScoreNetworks

/// The collective a data-parallel run needs: every rank's contribution, gathered on every rank
/// in rank order (an all-gather).
///
/// ScoreSDE itself has no transport: the optional package in `MPI/` (product `ScoreSDEMPI`)
/// conforms an MPI communicator with `MPI_Allgather`, and a test can conform threads sharing
/// memory. The trainer sums the gathered gradients itself, in rank order (see
/// ``Trainer/step(distributedOver:)``), so the result does not depend on the order in which a
/// transport would reduce — an `MPI_Allreduce` may sum in any order, an all-gather copies.
///
/// ```swift
/// struct OneRank: GradientReducer {
///   var rank: Int { 0 }
///   var rankCount: Int { 1 }
///   func allGather<Scalar: BLASScalar>(_ contribution: [Scalar], into gathered: inout [Scalar]) {
///     gathered = contribution
///   }
/// }
/// ```
///
/// A transport that fails cannot be reported through a training step: it must end the process
/// (as MPI's default error handler, `MPI_ERRORS_ARE_FATAL`, does) rather than return.
public protocol GradientReducer {
  /// This participant's index, `0 ..< rankCount`.
  var rank: Int { get }
  /// The number of participants, at least 1.
  var rankCount: Int { get }

  /// Gathers every rank's `contribution` (the same length `m` on every rank) into `gathered`,
  /// `rankCount · m` values with rank `r`'s at `r·m ..< (r+1)·m`, on every rank. Every rank
  /// calls it with the same `m`, once per step.
  ///
  /// - Parameters:
  ///   - contribution: this rank's values.
  ///   - gathered: receives all ranks' values in rank order (its old contents are replaced).
  func allGather<Scalar: BLASScalar>(_ contribution: [Scalar], into gathered: inout [Scalar])
}

extension Trainer {
  /// The length of a ``gradientContribution(rank:of:)``: the network's scalar count plus one
  /// (the loss).
  public var gradientContributionCount: Int { state.network.parameters.scalarCount + 1 }

  /// Rank `rank`'s share of the next step: step `k`'s whole batch drawn from the seed exactly as
  /// ``step()`` draws it, then the loss `L_r` and gradient `∇L_r` of this rank's rows only, the
  /// block `RowBlockPartition.block(rank, of: rankCount, rows: n)`.
  ///
  /// Every rank draws the same batch (the draws depend on the seed and `k` alone), so the ranks'
  /// blocks cover it without overlap. The block's rows are computed exactly as row block `rank`
  /// of a trainer with ``threads`` `= rankCount` computes them (the same copy of the rows, the
  /// same buffers), so `∇L_r` is bit for bit that block's gradient. The trainer's weights and
  /// step do not change; ``lastBatch`` holds the whole batch.
  ///
  /// - Parameters:
  ///   - rank: this rank, `0 ..< rankCount`.
  ///   - rankCount: the number of ranks, `1 ... batchSize`.
  /// - Returns: ``gradientContributionCount`` values: the gradient's tensors in order, each
  ///   row-major (as ``ParameterGroup/tensor(at:)`` lays them out), then `L_r`.
  @inlinable
  public mutating func gradientContribution(rank: Int, of rankCount: Int) -> [Scalar] {
    let n = configuration.batchSize
    precondition(
      rankCount >= 1 && rankCount <= n,
      "Trainer.gradientContribution: \(rankCount) ranks for a batch of \(n) rows (1 ... \(n))")
    precondition(
      (0..<rankCount).contains(rank), "Trainer.gradientContribution: rank \(rank) of \(rankCount)")
    let condition = drawBatch()
    let rows = RowBlockPartition.block(rank, of: rankCount, rows: n)
    let loss = buffers.rowBlocks.runShare(
      rows: rows, objective: objective, network: state.network, batch: buffers.loss.batch,
      condition: condition)
    let gradients = buffers.rowBlocks.blocks[0].buffers.gradients
    var flat: [Scalar] = []
    flat.reserveCapacity(gradientContributionCount)
    for k in 0..<gradients.tensorCount { flat += gradients.tensor(at: k).elements }
    flat.append(loss)
    return flat
  }

  /// Takes the next step with the gradient combined from all ranks' contributions, in rank order.
  ///
  /// With rank `r` holding `m_r` of the `n` batch rows (`RowBlockPartition.block(r, of: R, rows: n)`),
  /// the step's loss and gradient are
  ///
  ///     L = Σ_r (m_r/n) L_r,     ∇L = Σ_r (m_r/n) ∇L_r,
  ///
  /// summed from `r = 0` up with the same operations a threaded step uses for its row blocks. Then
  /// the step goes on as ``step()`` does (finiteness checks, clipping, optimizer, EMA), so every
  /// rank that combines the same contributions makes the same update. With `R` ranks and
  /// `n ≥ 64·R` the weights are bit for bit those of one trainer with ``threads`` `= R` (which
  /// then cuts the batch into the same `R` blocks); for smaller batches they agree with it to
  /// rounding. The contributions of each rank are copied once into tensors (`R` gradient-sized
  /// allocations a step).
  ///
  /// - Parameters:
  ///   - contributions: `R` ``gradientContribution(rank:of:)`` results of this step, rank 0 first.
  ///   - rankCount: `R`.
  /// - Returns: the loss `L` of the whole batch before the update.
  /// - Throws: as ``step()``.
  @inlinable
  @discardableResult
  public mutating func step(combining contributions: [Scalar], rankCount: Int) throws(TrainingError) -> Scalar
  {
    let n = configuration.batchSize
    let width = gradientContributionCount
    precondition(
      rankCount >= 1 && rankCount <= n,
      "Trainer.step(combining:): \(rankCount) ranks for a batch of \(n) rows (1 ... \(n))")
    precondition(
      contributions.count == rankCount * width,
      "Trainer.step(combining:): \(contributions.count) values for \(rankCount) ranks of \(width)")
    buffers.loss.gradients.setToZero()
    var total = 0.0
    for r in 0..<rankCount {
      let m = RowBlockPartition.block(r, of: rankCount, rows: n).count
      var offset = r * width
      for k in 0..<buffers.loss.gradients.tensorCount {
        buffers.loss.gradients.withMutableTensor(at: k) { tensor in
          let share = Matrix(
            rows: tensor.rows, columns: tensor.columns,
            elements: Array(contributions[offset..<(offset + tensor.count)]))
          offset += tensor.count
          tensor.add(share, scaledBy: Scalar(m) / Scalar(n))
        }
      }
      total += Double(m) * Double(contributions[r * width + width - 1])
    }
    return try applyGradients(loss: Scalar(total / Double(n)))
  }

  /// Takes the next step as one rank of a data-parallel run: computes this rank's
  /// ``gradientContribution(rank:of:)``, gathers every rank's with `reducer`, and applies
  /// ``step(combining:rankCount:)``.
  ///
  /// Every rank must start from the same trainer (same seed, configuration and step: the weights
  /// are initialised from the seed, or resumed from one checkpoint) and call this once per step;
  /// then every rank holds the same weights after every step. See
  /// ``step(combining:rankCount:)`` for when they equal a threaded run's bit for bit.
  ///
  /// ```swift
  /// BLAS.threadCount = 1
  /// while trainer.completedSteps < configuration.steps {
  ///   try trainer.step(distributedOver: communicator)
  /// }
  /// if communicator.rank == 0 { try trainer.trainedModel().save(to: url) }
  /// ```
  ///
  /// - Parameter reducer: the all-gather over the ranks.
  /// - Returns: the loss of the whole batch before the update.
  /// - Throws: as ``step()``; a non-finite loss or gradient is seen by every rank alike.
  @inlinable
  @discardableResult
  public mutating func step(distributedOver reducer: some GradientReducer) throws(TrainingError) -> Scalar {
    let contribution = gradientContribution(rank: reducer.rank, of: reducer.rankCount)
    var gathered: [Scalar] = []
    reducer.allGather(contribution, into: &gathered)
    return try step(combining: gathered, rankCount: reducer.rankCount)
  }
}

extension RowBlocks {
  /// The loss and gradient of `rows` of `batch` alone, in a single block's buffers (made on the
  /// first call and reused while the rows stay the same), computed exactly as that block of a
  /// threaded step is.
  @inlinable
  mutating func runShare<Process: LinearGaussianSDE>(
    rows: Range<Int>, objective: DenoisingScoreMatching<Process>, network: Network,
    batch: DenoisingBatch<Scalar>, condition: Matrix<Scalar>?
  ) -> Scalar where Process.Scalar == Scalar {
    let conditionColumns = condition?.columns ?? 0
    if blocks.count != 1 || blocks[0].rows != rows || blocks[0].buffers.conditions.columns != conditionColumns
    {
      blocks = [
        RowBlock(
          rows: rows, network: network, dimension: network.inputDimension, conditionColumns: conditionColumns)
      ]
    }
    blocks[0].run(objective: objective, network: network, batch: batch, condition: condition)
    return blocks[0].loss
  }
}
