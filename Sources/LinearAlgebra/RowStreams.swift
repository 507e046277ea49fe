/// One independent random stream per sample: row `i` of a batch draws only from stream
/// `firstRow + i` of a seed, so every sample's noise depends on the seed and its own global
/// index — not on how the samples are split into batches or across threads.
///
/// ```swift
/// // 1000 particles sampled in batches of 100 get the same noise as in one batch of 1000.
/// var streams = RowStreams(seed: 7, rows: 100..<200)
/// streams.fillNormal(&noise)   // noise is 100 × d; row i uses stream 100 + i
/// ```
public struct RowStreams: Sendable, Hashable {
  /// The per-row generators, `generators[i]` for global row `rows.lowerBound + i`.
  public var generators: [Xoshiro256]
  /// The global indices of the rows these streams serve.
  public let rows: Range<Int>

  /// Streams for the global rows `rows` of `seed`.
  public init(seed: UInt64, rows: Range<Int>) {
    precondition(rows.lowerBound >= 0, "RowStreams: row indices must be non-negative, got \(rows)")
    self.rows = rows
    self.generators = rows.map { Xoshiro256(seed: seed, stream: UInt64($0)) }
  }

  /// Streams for rows `0..<count` of `seed`.
  public init(seed: UInt64, count: Int) {
    self.init(seed: seed, rows: 0..<count)
  }

  /// The number of rows served.
  public var count: Int { generators.count }

  /// Fills row `i` of `m` with standard normal variates from stream `i`.
  @inlinable
  public mutating func fillNormal<Scalar: BLASScalar>(_ m: inout Matrix<Scalar>) {
    precondition(m.rows == count, "RowStreams serves \(count) rows, the matrix has \(m.rows)")
    let c = m.columns
    generators.withUnsafeMutableBufferPointer { g in
      m.withUnsafeMutableBufferPointer { e in
        for i in 0..<g.count {
          UnsafeMutableBufferPointer(rebasing: e[(i * c)..<((i + 1) * c)]).fillNormal(using: &g[i])
        }
      }
    }
  }

  /// Fills row `i` of `m` with uniform variates on `[lower, upper)` from stream `i`.
  @inlinable
  public mutating func fillUniform<Scalar: BLASScalar>(
    _ m: inout Matrix<Scalar>, lower: Scalar = 0, upper: Scalar = 1
  ) {
    precondition(m.rows == count, "RowStreams serves \(count) rows, the matrix has \(m.rows)")
    let c = m.columns
    generators.withUnsafeMutableBufferPointer { g in
      m.withUnsafeMutableBufferPointer { e in
        for i in 0..<g.count {
          UnsafeMutableBufferPointer(rebasing: e[(i * c)..<((i + 1) * c)])
            .fillUniform(lower: lower, upper: upper, using: &g[i])
        }
      }
    }
  }
}
