import Dispatch

/// How a batch of rows is cut into contiguous blocks for concurrent work (rows are samples).
///
/// Both partitions depend only on their arguments, never on the machine, so a computation that
/// treats each block independently gives the same blocks on every run.
///
/// ```swift
/// RowBlockPartition.blocks(rows: 10, count: 3)   // [0..<3, 3..<6, 6..<10]
/// RowBlockPartition.blocks(rows: 10, size: 4)    // [0..<4, 4..<8, 8..<10]
/// ```
public enum RowBlockPartition {
  /// `min(count, rows)` contiguous blocks that cover `0..<rows` and differ in length by at most
  /// one row: block `b` is `(rows·b/k)..<(rows·(b+1)/k)`. No rows give no blocks.
  ///
  /// - Parameters:
  ///   - rows: the rows to cover, at least 0.
  ///   - count: the number of blocks wanted, at least 1.
  /// - Returns: the blocks, in increasing order.
  /// - Complexity: O(count).
  @inlinable
  public static func blocks(rows: Int, count: Int) -> [Range<Int>] {
    precondition(rows >= 0, "RowBlockPartition: rows must be non-negative, got \(rows)")
    precondition(count >= 1, "RowBlockPartition: count must be at least 1, got \(count)")
    let k = Swift.min(count, rows)
    return (0..<k).map { b in block(b, of: k, rows: rows) }
  }

  /// Block `b` of `count` over `rows` rows, `(rows·b/count)..<(rows·(b+1)/count)`, without
  /// making the whole partition (for loops that must not allocate; `count ≤ rows`).
  ///
  /// - Parameters:
  ///   - b: the block, `0..<count`.
  ///   - count: the number of blocks, at least 1.
  ///   - rows: the rows to cover.
  /// - Returns: the block's rows.
  @inlinable
  public static func block(_ b: Int, of count: Int, rows: Int) -> Range<Int> {
    (rows * b / count)..<(rows * (b + 1) / count)
  }

  /// Contiguous blocks of `size` rows (the last one shorter when `size` does not divide
  /// `rows`) that cover `0..<rows`. No rows give no blocks.
  ///
  /// - Parameters:
  ///   - rows: the rows to cover, at least 0.
  ///   - size: the rows per block, at least 1.
  /// - Returns: the blocks, in increasing order.
  /// - Complexity: O(rows / size).
  @inlinable
  public static func blocks(rows: Int, size: Int) -> [Range<Int>] {
    precondition(rows >= 0, "RowBlockPartition: rows must be non-negative, got \(rows)")
    precondition(size >= 1, "RowBlockPartition: size must be at least 1, got \(size)")
    return stride(from: 0, to: rows, by: size).map { $0..<Swift.min(rows, $0 + size) }
  }
}

/// Cuts `0..<rows` into `blockCount` contiguous blocks (``RowBlockPartition/blocks(rows:count:)``)
/// and calls `body(b, block)` for every block `b`, the blocks running concurrently on
/// `DispatchQueue.concurrentPerform`. Returns when every block is done.
///
/// The blocks do not depend on how many cores there are, so work that treats each block
/// independently gives the same result on every run. `body` may write to shared memory only
/// where no other block writes (its own rows, its own slot `b`).
///
/// ```swift
/// forEachRowBlockConcurrently(rows: x.rows, blockCount: 4) { _, block in
///   evaluate(rows: block)
/// }
/// ```
///
/// - Parameters:
///   - rows: the rows to cover.
///   - blockCount: the blocks wanted, at least 1 (fewer when there are fewer rows), each on
///     its own thread.
///   - body: the work on one block, given its index and its rows.
///
/// Allocates nothing (the blocks are computed, not listed), so a training step can use it.
public func forEachRowBlockConcurrently(
  rows: Int, blockCount: Int, _ body: @Sendable (Int, Range<Int>) -> Void
) {
  precondition(
    blockCount >= 1, "forEachRowBlockConcurrently: blockCount must be at least 1, got \(blockCount)")
  let count = Swift.min(blockCount, rows)
  if count <= 1 {
    if rows > 0 { body(0, 0..<rows) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: count) { b in
    body(b, RowBlockPartition.block(b, of: count, rows: rows))
  }
}

/// Calls `body(b, blocks[b])` for every block, on `workers` threads at once
/// (`DispatchQueue.concurrentPerform`): worker `w` takes blocks `w`, `w + workers`, … in order.
/// With one worker (or one block) everything runs on the calling thread, in order.
///
/// The assignment of blocks to workers depends only on the two arguments, so work that treats
/// each block independently gives the same result whatever `workers` is.
///
/// ```swift
/// let batches = RowBlockPartition.blocks(rows: 1000, size: 256)
/// forEachConcurrently(batches, workers: 2) { b, rows in sample(rows) }
/// ```
///
/// - Parameters:
///   - blocks: the blocks of rows.
///   - workers: the threads, at least 1 (fewer are used when there are fewer blocks).
///   - body: the work on one block, given its index and its rows.
public func forEachConcurrently(
  _ blocks: [Range<Int>], workers: Int, _ body: @Sendable (Int, Range<Int>) -> Void
) {
  precondition(workers >= 1, "forEachConcurrently: workers must be at least 1, got \(workers)")
  let workers = Swift.min(workers, blocks.count)
  if workers <= 1 {
    for (b, block) in blocks.enumerated() { body(b, block) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { worker in
    for b in stride(from: worker, to: blocks.count, by: workers) { body(b, blocks[b]) }
  }
}

/// `transform(b, blocks[b])` for every block, computed on `workers` threads at once (see
/// ``forEachConcurrently(_:workers:_:)``), in block order.
///
/// ```swift
/// let sums = mapConcurrently(RowBlockPartition.blocks(rows: n, count: 4), workers: 4) { _, rows in
///   x.rows(rows).sum()
/// }
/// ```
///
/// - Parameters:
///   - blocks: the blocks of rows.
///   - workers: the threads, at least 1.
///   - transform: the work on one block, given its index and its rows.
/// - Returns: one value per block, `result[b]` from `blocks[b]`.
public func mapConcurrently<Value: Sendable>(
  _ blocks: [Range<Int>], workers: Int, _ transform: @Sendable (Int, Range<Int>) -> Value
) -> [Value] {
  var results = [Value?](repeating: nil, count: blocks.count)
  results.withUnsafeMutableBufferPointer { buffer in
    nonisolated(unsafe) let slots = buffer
    forEachConcurrently(blocks, workers: workers) { b, rows in slots[b] = transform(b, rows) }
  }
  return results.map { $0! }
}
