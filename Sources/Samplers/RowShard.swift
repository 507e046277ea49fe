/// Shard `k` of `n` of a run over rows `0..<total`: the contiguous rows one of `n` independent
/// processes computes, so that the shards' outputs, concatenated in order `1…n`, are the
/// output of one unsharded run.
///
/// Shards are numbered from 1 (`1/4` … `4/4`), like Slurm's `--array=1-n` task ids. The rows
/// are cut into blocks of `alignment` rows (the last one shorter) and shard `k` gets blocks
/// `⌊(k−1)·B/n⌋ ..< ⌊k·B/n⌋` of the `B = ⌈total / alignment⌉`; with fewer blocks than shards
/// some shards are empty. The alignment is whatever unit the computation works in: a shard
/// boundary that falls on a batch boundary changes nothing inside any batch, so even a sampler
/// whose step sizes are chosen per batch (``SamplerKind/adaptiveSDE(_:)``, adaptive
/// probability flow) gives the same bytes when ``SamplingOptions/batchSize`` divides
/// `alignment`.
///
/// ```swift
/// let shard = try RowShard(parsing: "2/4")
/// let rows = shard.rows(of: 10_000, alignment: 512)   // 2560..<5120
/// let part = try sampler.sample(rows: rows, dimension: 2)
/// ```
public struct RowShard: Sendable, Hashable, CustomStringConvertible {
  /// `k`, the shard's number, `1…count`.
  public let index: Int
  /// `n`, the number of shards.
  public let count: Int

  /// The most shards a run may be cut into.
  public static let maximumCount = 1_000_000

  /// Shard `index` of `count`.
  ///
  /// - Throws: ``RowShardError`` unless `1 ≤ index ≤ count ≤` ``maximumCount``.
  public init(_ index: Int, of count: Int) throws(RowShardError) {
    guard count >= 1, count <= Self.maximumCount else {
      throw RowShardError("the number of shards must be between 1 and \(Self.maximumCount), got \(count)")
    }
    guard index >= 1, index <= count else {
      throw RowShardError("shards are numbered 1…\(count), got \(index) (write k/n with 1 ≤ k ≤ n)")
    }
    self.index = index
    self.count = count
  }

  /// Parses `"k/n"` (decimal integers, no spaces).
  ///
  /// - Throws: ``RowShardError`` saying what is wrong with `text`.
  public init(parsing text: String) throws(RowShardError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
      throw RowShardError("expected k/n such as 2/4 (shard k of n, 1 ≤ k ≤ n), got '\(text)'")
    }
    try self.init(k, of: n)
  }

  /// `"k/n"`.
  public var description: String { "\(index)/\(count)" }

  /// The rows of `0..<total` this shard covers, in whole blocks of `alignment` rows.
  ///
  /// - Parameters:
  ///   - total: the rows of the whole run, at least 0.
  ///   - alignment: the block length, at least 1; every shard starts at a multiple of it.
  /// - Returns: `min(total, a·⌊(k−1)·B/n⌋) ..< min(total, a·⌊k·B/n⌋)`, `B = ⌈total / a⌉`;
  ///   the ranges of shards `1…n` are disjoint, in order, and cover `0..<total`.
  public func rows(of total: Int, alignment: Int = 1) -> Range<Int> {
    precondition(total >= 0, "RowShard.rows: total must be non-negative, got \(total)")
    precondition(alignment >= 1, "RowShard.rows: alignment must be at least 1, got \(alignment)")
    let blocks = total / alignment + (total % alignment == 0 ? 0 : 1)
    func start(_ k: Int) -> Int {
      // ⌊k·B/n⌋ without overflow: the product in full width, then one division.
      let product = blocks.multipliedFullWidth(by: k)
      let block = count.dividingFullWidth((product.high, product.low)).quotient
      let (row, overflow) = block.multipliedReportingOverflow(by: alignment)
      return overflow ? total : Swift.min(total, row)
    }
    return start(index - 1)..<start(index)
  }
}

/// A shard specification that cannot be used, with the reason.
public struct RowShardError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong.
  public let description: String

  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
}
