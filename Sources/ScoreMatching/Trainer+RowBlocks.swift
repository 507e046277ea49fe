import DiffusionProcesses
import LinearAlgebra
import ScoreNetworks

extension Trainer {
  /// The loss of the prepared batch and its gradient (into `buffers.loss.gradients`), over
  /// ``threads`` row blocks when the batch is large enough (see ``RowBlocks``), else in one pass.
  @inlinable
  mutating func batchLossAndGradient(condition: Matrix<Scalar>?) -> Scalar {
    let count = RowBlocks<Network>.blockCount(rows: buffers.loss.batch.rows, threads: threads)
    let dropout = stepDropout
    guard count > 1 else {
      return buffers.loss.lossAndGradient(
        objective: objective, network: state.network, conditional: condition != nil, dropout: dropout)
    }
    return buffers.rowBlocks.lossAndGradient(
      objective: objective, network: state.network, batch: buffers.loss.batch, condition: condition,
      blocks: count, into: &buffers.loss.gradients, dropout: dropout)
  }
}

extension Trainer {
  /// The current step's ``Dropout``: the configuration's rate with the seed `drawBatch` drew
  /// (``Dropout/none`` when the rate is 0).
  @inlinable
  var stepDropout: Dropout {
    configuration.dropout > 0 ? Dropout(rate: configuration.dropout, seed: buffers.dropoutSeed) : .none
  }
}

/// Data parallelism inside one training step: the batch's rows cut into contiguous blocks,
/// each block's loss and gradient computed on its own thread with its own buffers, then
/// combined in block order.
///
/// The denoising loss is a mean over rows, `L = (1/n) Σᵢ ℓᵢ`, and the gradient is linear in
/// the per-row terms, so with block `b` holding `m_b` rows, block loss `L_b = (1/m_b) Σ_{i∈b} ℓᵢ`
/// and block gradient `∇L_b`:
///
///     L = Σ_b (m_b/n) L_b,     ∇L = Σ_b (m_b/n) ∇L_b.
///
/// The sums are taken in block order, so a step is bit-identical run to run for a given number of
/// blocks, and agrees to rounding with the one-pass step (the row sums inside the products are
/// grouped differently). The buffers are made on the first split step and reused.
@usableFromInline
struct RowBlocks<Network: ScoreNetwork>: Sendable {
  @usableFromInline typealias Scalar = Network.Scalar
  /// The fewest rows a block gets.
  @usableFromInline static var minimumRows: Int { 64 }

  @usableFromInline var blocks: [RowBlock<Network>] = []

  @usableFromInline init() {}

  /// `min(threads, n / 64)` blocks when `threads > 1` and `n ≥ 2·64`; otherwise 1.
  @inlinable
  static func blockCount(rows n: Int, threads: Int) -> Int {
    guard threads > 1 && n >= 2 * minimumRows else { return 1 }
    return Swift.min(threads, n / minimumRows)
  }

  /// Makes the blocks' buffers unless they already fit `count` blocks of `n` rows.
  @usableFromInline
  mutating func prepare(count: Int, rows n: Int, network: Network, conditionColumns: Int) {
    let fits =
      blocks.count == count
      && blocks.indices.allSatisfy {
        blocks[$0].rows == RowBlockPartition.block($0, of: count, rows: n)
          && blocks[$0].buffers.conditions.columns == conditionColumns
      }
    guard !fits else { return }
    blocks = RowBlockPartition.blocks(rows: n, count: count).map { rows in
      RowBlock(
        rows: rows, network: network, dimension: network.inputDimension, conditionColumns: conditionColumns)
    }
  }

  /// The loss of `batch` and its gradient, over `count` row blocks run concurrently.
  ///
  /// - Parameters:
  ///   - objective: the loss.
  ///   - network: the network.
  ///   - batch: the prepared batch, `n` rows.
  ///   - condition: its encoded conditions (`n` rows) or `nil`.
  ///   - count: the number of blocks (`2 ... n / 64`).
  ///   - gradients: receives `Σ_b (m_b/n) ∇L_b`.
  /// - Returns: `Σ_b (m_b/n) L_b`.
  @inlinable
  mutating func lossAndGradient<Process: LinearGaussianSDE>(
    objective: DenoisingScoreMatching<Process>, network: Network, batch: DenoisingBatch<Scalar>,
    condition: Matrix<Scalar>?, blocks count: Int, into gradients: inout Network.Parameters,
    dropout: Dropout = .none
  ) -> Scalar where Process.Scalar == Scalar {
    let n = batch.rows
    prepare(count: count, rows: n, network: network, conditionColumns: condition?.columns ?? 0)
    blocks.withUnsafeMutableBufferPointer { buffer in
      // Worker b touches only block b; the shared inputs are only read.
      nonisolated(unsafe) let slots = buffer
      forEachRowBlockConcurrently(rows: n, blockCount: count) { b, _ in
        slots[b].run(
          objective: objective, network: network, batch: batch, condition: condition,
          dropout: dropout.shifted(by: slots[b].rows.lowerBound))
      }
    }
    gradients.setToZero()
    var total = 0.0
    for block in blocks {
      let m = block.rows.count
      gradients.add(block.buffers.gradients, scaledBy: Scalar(m) / Scalar(n))
      total += Double(m) * Double(block.loss)
    }
    return Scalar(total / Double(n))
  }
}

/// One row block's copy of its rows, its network buffers, its gradient and its loss.
@usableFromInline
struct RowBlock<Network: ScoreNetwork>: Sendable {
  @usableFromInline typealias Scalar = Network.Scalar
  /// The rows of the full batch this block takes.
  @usableFromInline let rows: Range<Int>
  /// The block's copy of its rows and conditions, its network buffers and its gradient.
  @usableFromInline var buffers: LossBuffers<Network>
  /// `L_b`, the mean loss over the block's rows.
  @usableFromInline var loss: Scalar = 0

  @usableFromInline
  init(rows: Range<Int>, network: Network, dimension: Int, conditionColumns: Int) {
    self.rows = rows
    buffers = LossBuffers(
      network: network, rows: rows.count, dimension: dimension, conditionColumns: conditionColumns)
  }

  /// Copies the block's rows of `batch` (and `condition`) and computes their loss and gradient.
  @inlinable
  mutating func run<Process: LinearGaussianSDE>(
    objective: DenoisingScoreMatching<Process>, network: Network, batch full: DenoisingBatch<Scalar>,
    condition: Matrix<Scalar>?, dropout: Dropout = .none
  ) where Process.Scalar == Scalar {
    buffers.batch.assignRows(rows, of: full)
    if let condition { buffers.conditions.copyRows(rows, of: condition, to: 0) }
    loss = buffers.lossAndGradient(
      objective: objective, network: network, conditional: condition != nil, dropout: dropout)
  }
}

/// What one pass of the denoising loss over `n` rows needs, made once: the batch, its encoded
/// conditions, the network's buffers and the gradient (the whole step's in ``TrainerBuffers``,
/// a block's in ``RowBlock``).
@usableFromInline
struct LossBuffers<Network: ScoreNetwork>: Sendable {
  @usableFromInline typealias Scalar = Network.Scalar
  /// t, z, x_t, the targets and the weights, `n` rows.
  @usableFromInline var batch: DenoisingBatch<Scalar>
  /// The encoded conditions, `n × networkColumns` (`0` columns when unconditional).
  @usableFromInline var conditions: Matrix<Scalar>
  @usableFromInline var workspace: NetworkLossWorkspace<Network>
  /// `∂L/∂θ` of the last pass.
  @usableFromInline var gradients: Network.Parameters

  @usableFromInline
  init(network: Network, rows: Int, dimension: Int, conditionColumns: Int) {
    batch = DenoisingBatch(rows: rows, dimension: dimension)
    conditions = Matrix(rows: rows, columns: conditionColumns)
    workspace = NetworkLossWorkspace(network: network, rows: rows)
    gradients = network.makeGradients()
  }

  /// The loss of ``batch`` (with ``conditions`` when `conditional`) and its gradient, into
  /// ``gradients``.
  @inlinable
  mutating func lossAndGradient<Process: LinearGaussianSDE>(
    objective: DenoisingScoreMatching<Process>, network: Network, conditional: Bool,
    dropout: Dropout = .none
  ) -> Scalar where Process.Scalar == Scalar {
    objective.lossAndGradient(
      network: network, batch: batch, condition: conditional ? conditions : nil, workspace: &workspace,
      gradients: &gradients, dropout: dropout)
  }
}

extension DenoisingBatch {
  /// Overwrites the batch with rows `range` of `source` (no allocation when it has that size).
  @inlinable
  mutating func assignRows(_ range: Range<Int>, of source: DenoisingBatch) {
    prepare(rows: range.count, dimension: source.noiseBuffer.columns)
    timeBuffer.withUnsafeMutableBufferPointer { t in
      source.timeBuffer.withUnsafeBufferPointer { s in
        for i in t.indices { t[i] = s[range.lowerBound + i] }
      }
    }
    weightBuffer.withUnsafeMutableBufferPointer { w in
      source.weightBuffer.withUnsafeBufferPointer { s in
        for i in w.indices { w[i] = s[range.lowerBound + i] }
      }
    }
    noiseBuffer.copyRows(range, of: source.noiseBuffer, to: 0)
    perturbedBuffer.copyRows(range, of: source.perturbedBuffer, to: 0)
    targetBuffer.copyRows(range, of: source.targetBuffer, to: 0)
    scoredColumns = source.scoredColumns
    if source.conditionedInputBuffer.rows == source.rows && source.rows > 0 {
      prepareConditionedInput()
      conditionedInputBuffer.copyRows(range, of: source.conditionedInputBuffer, to: 0)
      conditionedTimeBuffer.withUnsafeMutableBufferPointer { t in
        source.conditionedTimeBuffer.withUnsafeBufferPointer { s in
          for i in t.indices { t[i] = s[range.lowerBound + i] }
        }
      }
    } else {
      conditionedTimeBuffer.removeAll(keepingCapacity: true)
    }
  }
}

extension ParameterGroup {
  /// `self ← self + α·other`, tensor by tensor (same count and shapes).
  @inlinable
  mutating func add<Other: ParameterGroup>(_ other: Other, scaledBy alpha: Scalar)
  where Other.Scalar == Scalar {
    precondition(
      tensorCount == other.tensorCount,
      "add(_:scaledBy:): \(tensorCount) tensors and \(other.tensorCount) tensors")
    for k in 0..<tensorCount {
      let source = other.tensor(at: k)
      withMutableTensor(at: k) { $0.add(source, scaledBy: alpha) }
    }
  }
}
