public import LinearAlgebra
import RealModule

/// Uniform dequantisation of integer-valued columns (Theis, van den Oord & Bethge 2016, "A note
/// on the evaluation of generative models"; Ho et al. 2019, "Flow++", §3.1): a column whose values
/// lie on a grid of spacing `w` (counts, pixel levels: `w = 1`) has no density, so training sees
/// `x + w·u` with `u ~ U[0, 1)` fresh each time, and a continuous density `p` of the dequantised
/// data bounds the probability of the grid point `k` from below (Jensen's inequality):
///
///     log P(k) = log ∫_{[0,1)^m} p(k + w·u) wᵐ du  ≥  E_u[log p(k + w·u)] + m log w,
///
/// with `m` the number of dequantised columns. So `E_u[−log p(k + w·u)] − m log w` is an upper
/// bound on the discrete NLL `−log P(k)`, in nats, which ``discreteBound(continuousNLL:)``
/// returns. For integers uniform on `{0, …, K − 1}` the bound's best value is the exact entropy
/// `log K`, reached by the uniform density on `[0, K)`.
///
/// ```swift
/// let columns = Dequantization.integerColumns(of: data)      // [2, 5]: every value integral
/// let dequantization = Dequantization(columns: columns)      // bin width 1
/// dequantization.dequantize(&rows, using: &rng)               // training rows: x + u
/// ```
public struct Dequantization: Sendable, Codable, Hashable {
  /// The dequantised columns (0-based, ascending, among the data columns).
  public let columns: [Int]
  /// The grid spacing `w` of each of ``columns``.
  public let binWidths: [Double]

  /// A dequantisation of `columns` with bin widths `binWidths` (1 each by default).
  ///
  /// - Parameters:
  ///   - columns: distinct non-negative column indices.
  ///   - binWidths: one positive finite width per column, or `nil` for 1 each.
  public init(columns: [Int], binWidths: [Double]? = nil) {
    let widths = binWidths ?? [Double](repeating: 1, count: columns.count)
    precondition(
      widths.count == columns.count, "Dequantization: \(widths.count) widths for \(columns.count) columns")
    precondition(
      Set(columns).count == columns.count && columns.allSatisfy { $0 >= 0 },
      "Dequantization: columns \(columns)")
    precondition(widths.allSatisfy { $0 > 0 && $0.isFinite }, "Dequantization: bin widths \(widths)")
    let order = columns.indices.sorted { columns[$0] < columns[$1] }
    self.columns = order.map { columns[$0] }
    self.binWidths = order.map { widths[$0] }
  }

  /// The columns among the first `limit` (all by default) of `data` whose every value is an
  /// integer (and that are not constant): the columns to dequantise with bin width 1 when none
  /// are declared.
  ///
  /// - Parameters:
  ///   - data: the rows.
  ///   - limit: how many leading columns to look at (the data columns, not the conditions).
  /// - Returns: the column indices, ascending.
  public static func integerColumns<S: BLASScalar>(of data: Matrix<S>, limit: Int? = nil) -> [Int] {
    let count = min(limit ?? data.columns, data.columns)
    guard data.rows > 0 else { return [] }
    return (0..<count).filter { j in
      var constant = true
      for i in 0..<data.rows {
        let v = data[i, j]
        guard v.isFinite, v.rounded() == v else { return false }
        if v != data[0, j] { constant = false }
      }
      return !constant
    }
  }

  /// `m log w` summed over the columns: `Σ_j log w_j`, which ``discreteBound(continuousNLL:)``
  /// subtracts.
  public var logBinVolume: Double { binWidths.reduce(0) { $0 + Double.log($1) } }

  /// The upper bound on `−log P(k)` from a continuous NLL of dequantised points:
  /// `−log p(k + w·u) − Σ_j log w_j` (its mean over `u` is the bound; one `u` per point gives an
  /// unbiased estimate of it).
  public func discreteBound(continuousNLL: Double) -> Double { continuousNLL - logBinVolume }

  /// Adds `w_j·u` (`u ~ U[0, 1)` from `rng`, one per entry, row by row) to each dequantised
  /// column `j` of `x`, in place.
  ///
  /// - Parameters:
  ///   - x: rows whose columns include ``columns``.
  ///   - scale: a per-column factor applied to the noise (`1/σ_j` for rows standardised by
  ///     `σ`), or `nil` for none.
  ///   - rng: the generator.
  public func dequantize<S: BLASScalar, G: RandomNumberGenerator>(
    _ x: inout Matrix<S>, scale: [Double]? = nil, using rng: inout G
  ) {
    precondition(
      columns.last.map { $0 < x.columns } ?? true,
      "Dequantization: column \(columns.last ?? 0) of \(x.shapeDescription) rows")
    let steps = columns.indices.map { binWidths[$0] * (scale?[columns[$0]] ?? 1) }
    for i in 0..<x.rows {
      for (c, j) in columns.enumerated() {
        let u = Double(rng.next() >> 11) * 0x1p-53
        x[i, j] += S(steps[c] * u)
      }
    }
  }

  /// Why this dequantisation cannot apply to data of `dimension` columns, or `nil`.
  public func validationFailure(dimension: Int) -> String? {
    if columns.count != binWidths.count {
      return "\(columns.count) columns but \(binWidths.count) bin widths"
    }
    if let bad = columns.first(where: { $0 < 0 || $0 >= dimension }) {
      return "column \(bad) is not one of the \(dimension) data columns"
    }
    if Set(columns).count != columns.count { return "a column is named twice: \(columns)" }
    if let bad = binWidths.first(where: { !($0 > 0 && $0.isFinite) }) {
      return "bin width \(bad) is not positive and finite"
    }
    return nil
  }
}
