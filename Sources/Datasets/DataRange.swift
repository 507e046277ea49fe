public import LinearAlgebra

/// The per-column range `[lowerⱼ, upperⱼ]` of a model's training rows, in the model's
/// (standardised) units: what sampler clipping keeps the denoised estimate inside.
///
/// ```swift
/// let range = DataRange(of: standardisedTrainingRows)
/// let box = range.widened(by: 0.1)        // 0.1 standardised units of slack on each side
/// ```
public struct DataRange: Sendable, Codable, Hashable {
  /// The smallest value of each column.
  public let lower: [Double]
  /// The largest value of each column.
  public let upper: [Double]

  /// A range from its bounds (as read from a model file); see ``validationFailure(dimension:)``.
  public init(lower: [Double], upper: [Double]) {
    self.lower = lower
    self.upper = upper
    if let failure = validationFailure(dimension: lower.count) {
      preconditionFailure("DataRange: \(failure)")
    }
  }

  /// The columns' minima and maxima over the rows of `rows` (at least one, finite).
  public init<S: BLASScalar>(of rows: Matrix<S>) {
    precondition(rows.rows >= 1, "DataRange: no rows")
    var lower = [Double](repeating: .infinity, count: rows.columns)
    var upper = [Double](repeating: -.infinity, count: rows.columns)
    for i in 0..<rows.rows {
      for j in 0..<rows.columns {
        let v = Double(rows[i, j])
        lower[j] = Swift.min(lower[j], v)
        upper[j] = Swift.max(upper[j], v)
      }
    }
    self.init(lower: lower, upper: upper)
  }

  /// The columns.
  public var dimension: Int { lower.count }

  /// The range with `margin ≥ 0` added on each side of every column.
  public func widened(by margin: Double) -> DataRange {
    precondition(margin >= 0 && margin.isFinite, "DataRange: margin \(margin) is not finite and non-negative")
    return DataRange(lower: lower.map { $0 - margin }, upper: upper.map { $0 + margin })
  }

  /// The range with `extra[j] ≥ 0` added to the top of column `j` (a dequantised column's rows
  /// reach `k + w`, past the largest `k` seen).
  public func extendingUpper(by extra: [Double]) -> DataRange {
    precondition(extra.count == dimension, "DataRange: \(extra.count) extensions for \(dimension) columns")
    return DataRange(lower: lower, upper: zip(upper, extra).map { $0 + $1 })
  }

  /// Why the range cannot describe `dimension` columns, or `nil`.
  public func validationFailure(dimension: Int) -> String? {
    guard lower.count == dimension, upper.count == dimension else {
      return "\(lower.count) lower and \(upper.count) upper bounds for \(dimension) columns"
    }
    for j in 0..<dimension where !(lower[j].isFinite && upper[j].isFinite && lower[j] <= upper[j]) {
      return "column \(j + 1): [\(lower[j]), \(upper[j])] is not a finite range"
    }
    return nil
  }
}
