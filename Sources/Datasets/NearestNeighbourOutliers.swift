public import LinearAlgebra

/// Samples that land away from all the data: the fraction of points farther from every
/// reference row than the largest nearest-neighbour distance among the reference rows.
///
/// With reference rows `r₁ … r_N` (`N ≥ 2`) and `δᵢ = min_{j≠i} ‖rᵢ − rⱼ‖`, the threshold is
/// `τ = maxᵢ δᵢ`: no reference row is farther than `τ` from the rest, so a point `x` with
/// `min_j ‖x − rⱼ‖ > τ` is farther from the data than any data row is. The distances are
/// Euclidean in whatever units the rows are given (standardised units, so that no column
/// dominates by its scale), computed block by block from one BLAS `gemm` each,
/// `‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b`, on rows centred on the reference mean, in `Double`.
///
/// ```swift
/// let outliers = NearestNeighbourOutliers(reference: standardisedTrainingRows)
/// let fraction = Double(outliers.outlierCount(of: standardisedSamples)) / Double(samples.rows)
/// ```
///
/// - Complexity: `O(N² d)` to build, `O(n N d)` to test `n` points, in `256 × N` blocks.
public struct NearestNeighbourOutliers: Sendable {
  /// The reference rows, centred on their mean.
  public let reference: Matrix<Double>
  /// The mean subtracted from the reference (and from every point tested).
  public let center: [Double]
  /// `τ`, the largest nearest-neighbour distance among the reference rows.
  public let threshold: Double

  /// The threshold of `reference`.
  ///
  /// - Parameter reference: at least 2 rows, finite.
  public init(reference rows: Matrix<Double>) {
    precondition(
      rows.rows >= 2, "NearestNeighbourOutliers: needs at least 2 reference rows, got \(rows.rows)")
    let mean = rows.columnSums().map { $0 / Double(rows.rows) }
    var centred = rows
    centred.addToEachRow(mean.map { -$0 })
    reference = centred
    center = mean
    threshold = Self.nearestSquaredDistances(from: centred, to: centred, skippingDiagonal: true).max()!
      .squareRoot()
  }

  /// `min_j ‖xᵢ − rⱼ‖` for each row of `points` (same columns as the reference).
  public func nearestDistances(of points: Matrix<Double>) -> [Double] {
    precondition(
      points.columns == reference.columns,
      "NearestNeighbourOutliers: points \(points.shapeDescription) for reference \(reference.shapeDescription)"
    )
    var centred = points
    centred.addToEachRow(center.map { -$0 })
    return Self.nearestSquaredDistances(from: centred, to: reference, skippingDiagonal: false).map {
      $0.squareRoot()
    }
  }

  /// The number of rows of `points` farther than ``threshold`` from every reference row.
  public func outlierCount(of points: Matrix<Double>) -> Int {
    nearestDistances(of: points).count { $0 > threshold }
  }

  /// `min_j ‖aᵢ − bⱼ‖²` (over `j ≠ i` when `skippingDiagonal`, `a` and `b` being the same rows),
  /// in blocks of ``PairwiseDistanceSums/blockRows`` rows of `a`, clamped at 0.
  static func nearestSquaredDistances(
    from a: Matrix<Double>, to b: Matrix<Double>, skippingDiagonal: Bool
  ) -> [Double] {
    let na = a.squaredRowNorms()
    let nb = b.squaredRowNorms()
    let blockRows = PairwiseDistanceSums<Double>.blockRows
    var nearest = [Double](repeating: .infinity, count: a.rows)
    var block = Matrix<Double>(rows: 0, columns: 0)
    var start = 0
    while start < a.rows {
      let end = Swift.min(start + blockRows, a.rows)
      block.resize(rows: end - start, columns: b.rows)
      block.formProduct(a.rows(start..<end), b, transposingB: true)
      let width = b.rows
      block.withUnsafeBufferPointer { g in
        for r in 0..<(end - start) {
          let i = start + r
          var best = Double.infinity
          for c in 0..<width where !(skippingDiagonal && c == i) {
            best = Swift.min(best, na[i] + nb[c] - 2 * g[r * width + c])
          }
          nearest[i] = Swift.max(best, 0)
        }
      }
      start = end
    }
    return nearest
  }
}
