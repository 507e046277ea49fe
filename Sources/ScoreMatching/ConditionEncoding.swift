public import LinearAlgebra

/// How a condition `c ∈ ℝᵏ` (physical parameters, a class) enters a score network, and what the
/// network sees when the condition is dropped (the unconditional branch ∅ of classifier-free
/// guidance, Ho & Salimans 2021).
///
/// The network's condition input has `k` columns, plus one **mask column** when
/// ``hasMaskColumn`` is set:
///
///     conditional   (c ≠ ∅):   [c₁ … c_k ‖ 1]
///     unconditional (c = ∅):   [0  … 0   ‖ 0]
///
/// The mask makes the two branches distinguishable even when the zero vector is a legitimate
/// condition (a temperature or a coordinate of 0). A network trained with condition dropout
/// (probability `p > 0`) has the mask column and answers both; one trained without dropout has
/// no mask column and no unconditional branch. Unconditional networks have `k = 0`.
///
/// ```swift
/// let encoding = ConditionEncoding(dimension: 1, hasMaskColumn: true)
/// let network = MLPConfiguration(inputDimension: 2, conditionDimension: encoding.networkColumns)
/// ```
public struct ConditionEncoding: Sendable, Codable, Hashable {
  /// `k`, the number of condition entries the caller gives (0: an unconditional model).
  public var dimension: Int
  /// Whether the network has the extra mask column (and so an unconditional branch).
  public var hasMaskColumn: Bool

  /// An encoding of `dimension` condition entries, with or without the mask column.
  ///
  /// - Parameters:
  ///   - dimension: `k ≥ 0`.
  ///   - hasMaskColumn: whether to append the mask column (only meaningful when `k > 0`).
  public init(dimension: Int, hasMaskColumn: Bool) {
    precondition(dimension >= 0, "ConditionEncoding: dimension must be ≥ 0, got \(dimension)")
    self.dimension = dimension
    self.hasMaskColumn = dimension > 0 && hasMaskColumn
  }

  /// No condition: the network takes none.
  public static let unconditional = ConditionEncoding(dimension: 0, hasMaskColumn: false)

  /// The encoding a ``Trainer`` uses for data with `conditioningColumns` condition columns: a
  /// mask column exactly when conditions are dropped with positive probability.
  ///
  /// - Parameters:
  ///   - conditioningColumns: `k`.
  ///   - conditionDropout: the probability of replacing a condition by ∅ during training.
  /// - Returns: the encoding.
  public static func training(conditioningColumns: Int, conditionDropout: Double) -> ConditionEncoding {
    ConditionEncoding(dimension: conditioningColumns, hasMaskColumn: conditionDropout > 0)
  }

  /// The number of condition columns the network takes: `k`, plus 1 with the mask column.
  public var networkColumns: Int { dimension + (hasMaskColumn ? 1 : 0) }

  /// Stops, naming `owner` (the type being built), unless a network that takes
  /// `networkConditionColumns` condition columns is one this encoding feeds.
  func checkNetwork(conditionColumns networkConditionColumns: Int, owner: String) {
    precondition(
      networkConditionColumns == networkColumns,
      "\(owner): the network takes \(networkConditionColumns) condition columns, "
        + "the encoding gives \(networkColumns)")
  }

  /// Whether the network has an unconditional branch (or is unconditional altogether).
  public var supportsUnconditional: Bool { dimension == 0 || hasMaskColumn }

  /// Writes the network's condition input for `rows` rows into `buffer`, resizing it to
  /// `rows × networkColumns` (no allocation once it has held that many entries).
  ///
  /// - Parameters:
  ///   - conditions: `rows × k` per-row conditions, `1 × k` for one condition shared by every
  ///     row, or `nil` for the unconditional branch ∅ (zeros and mask 0).
  ///   - rows: the batch size.
  ///   - buffer: receives the encoded conditions.
  @inlinable
  public func encode<Scalar: BLASScalar>(
    _ conditions: Matrix<Scalar>?, rows: Int, into buffer: inout Matrix<Scalar>
  ) {
    let (k, width) = (dimension, networkColumns)
    if buffer.rows != rows || buffer.columns != width { buffer.resize(rows: rows, columns: width) }
    guard let conditions else {
      precondition(
        supportsUnconditional,
        "ConditionEncoding: the network takes a \(k)-entry condition and has no unconditional branch "
          + "(it was trained without condition dropout)")
      buffer.fill(with: 0)
      return
    }
    precondition(
      conditions.columns == k && (conditions.rows == rows || conditions.rows == 1),
      "ConditionEncoding: conditions \(conditions.shapeDescription) for \(rows) rows; need \(rows)×\(k) or 1×\(k)"
    )
    let shared = conditions.rows == 1
    let mask: Scalar = 1
    let withMask = hasMaskColumn
    conditions.withUnsafeBufferPointer { c in
      buffer.withUnsafeMutableBufferPointer { b in
        for i in 0..<rows {
          let source = shared ? 0 : i * k
          for j in 0..<k { b[i * width + j] = c[source + j] }
          if withMask { b[i * width + k] = mask }
        }
      }
    }
  }

  /// Replaces the encoded condition of row `i` by the unconditional token (zeros, mask 0):
  /// condition dropout during training.
  ///
  /// - Parameters:
  ///   - i: the row.
  ///   - buffer: an encoded batch from ``encode(_:rows:into:)``.
  @inlinable
  public func dropCondition<Scalar: BLASScalar>(row i: Int, in buffer: inout Matrix<Scalar>) {
    precondition(hasMaskColumn, "ConditionEncoding: dropping a condition needs the mask column")
    let width = networkColumns
    buffer.withUnsafeMutableBufferPointer { b in
      for j in 0..<width { b[i * width + j] = 0 }
    }
  }
}
