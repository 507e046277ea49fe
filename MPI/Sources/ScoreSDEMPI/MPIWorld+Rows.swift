internal import CMPI
public import ScoreSDE

extension MPIWorld {
  /// This rank's rows of `n`: block `rank` of ``RowBlockPartition/blocks(rows:count:)`` with one
  /// block per rank, `(n·r/R) ..< (n·(r+1)/R)` — the rows a ``Trainer`` gives this rank of a
  /// batch, and the rows a threaded likelihood or sampler gives its block `r`.
  ///
  /// - Parameter n: the rows to share, at least ``rankCount``.
  /// - Returns: this rank's contiguous rows.
  public func rowBlock(of n: Int) -> Range<Int> {
    precondition(n >= rankCount, "MPIWorld.rowBlock: \(n) rows for \(rankCount) ranks")
    return RowBlockPartition.block(rank, of: rankCount, rows: n)
  }

  /// Gathers the ranks' row blocks of an `n`-row matrix on `root` (`MPI_Gatherv` of the rows'
  /// bytes): rank `r` passes the rows ``rowBlock(of:)`` gives it, and `root` gets them stacked in
  /// rank order, so the result is bit for bit what one process computing the same blocks gets.
  ///
  /// Each point's probability-flow ODE, reverse-SDE path or Hutchinson probe is keyed by its
  /// global row (`firstRow`), so a likelihood or a sample computed by blocks over ranks is the
  /// one a process with `threads = R` computes:
  ///
  /// ```swift
  /// let rows = world.rowBlock(of: data.rows)
  /// let mine = try ProbabilityFlowLikelihood(process: process, score: model.restricted(toRows: rows))
  ///   .logLikelihood(of: data.rows(rows), firstRow: rows.lowerBound)
  /// let values = Matrix(rows: rows.count, columns: 1, elements: mine.logLikelihoods)
  /// if let all = world.gatherRows(values, totalRows: data.rows) { print(all.elements) }
  /// ```
  ///
  /// - Parameters:
  ///   - block: this rank's rows, ``rowBlock(of:)`` `.count` of them; the same number of columns
  ///     on every rank.
  ///   - n: the rows of the whole matrix, at least ``rankCount``.
  ///   - root: the rank that receives it (0 by default).
  /// - Returns: the `n`-row matrix on `root`, `nil` on every other rank.
  public func gatherRows<Scalar: BLASScalar>(
    _ block: Matrix<Scalar>, totalRows n: Int, root: Int = 0
  ) -> Matrix<Scalar>? {
    let mine = rowBlock(of: n)
    precondition(
      block.rows == mine.count,
      "MPIWorld.gatherRows: rank \(rank) passed \(block.rows) rows, its block of \(n) is \(mine) (\(mine.count) rows)"
    )
    precondition((0..<rankCount).contains(root), "MPIWorld.gatherRows: root \(root) of \(rankCount) ranks")
    let rowBytes = block.columns * MemoryLayout<Scalar>.stride
    precondition(
      n * rowBytes <= Int(Int32.max),
      "MPIWorld.gatherRows: \(n) × \(block.columns) values exceed MPI's 2³¹-byte count")
    let counts = (0..<rankCount).map {
      Int32(RowBlockPartition.block($0, of: rankCount, rows: n).count * rowBytes)
    }
    let offsets = (0..<rankCount).map {
      Int32(RowBlockPartition.block($0, of: rankCount, rows: n).lowerBound * rowBytes)
    }
    var whole = Matrix<Scalar>(rows: rank == root ? n : 0, columns: block.columns)
    block.withUnsafeBufferPointer { send in
      whole.withUnsafeMutableBufferPointer { receive in
        MPIWorld.check(
          MPI_Gatherv(
            send.baseAddress, Int32(mine.count * rowBytes), scoresde_mpi_byte(), receive.baseAddress, counts,
            offsets, scoresde_mpi_byte(), Int32(root), scoresde_mpi_comm_world()),
          "MPI_Gatherv")
      }
    }
    return rank == root ? whole : nil
  }
}
