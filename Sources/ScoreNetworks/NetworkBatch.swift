// What every score network here does with a batch before its first layer: check it against
// the network's sizes, and lay out the time and condition features `[γ(tᵢ) ‖ cᵢ]` row by row.
// ``MLP`` writes them after `x` in its first layer's input, ``ResidualMLP`` into the input of its
// conditioning layer.
public import LinearAlgebra

/// Traps unless a batch fits a network that maps `d` columns to `d` with a `k`-column
/// condition: `x` is `n × d`, `out` is `n × d`, a `n × k` condition is given exactly when
/// `k > 0`, and per-row times number `n`. Messages start with `<network>.forward:`.
@inlinable
func checkBatch<Scalar: BLASScalar>(
  _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, output out: Matrix<Scalar>,
  inputDimension d: Int, conditionDimension k: Int, network: String
) {
  let n = x.rows
  precondition(
    x.columns == d, "\(network).forward: x is \(x.shapeDescription), the network takes \(d) columns")
  precondition(
    out.rows == n && out.columns == d,
    "\(network).forward: output \(out.shapeDescription) for x \(x.shapeDescription)")
  if k > 0 {
    guard let condition else {
      preconditionFailure("\(network).forward: the network takes a \(k)-column condition, none was given")
    }
    precondition(
      condition.rows == n && condition.columns == k,
      "\(network).forward: condition \(condition.shapeDescription) for \(n) rows; need \(n)×\(k)")
  } else {
    precondition(condition == nil, "\(network).forward: the network takes no condition, one was given")
  }
  if case .perRow(let t) = times {
    precondition(t.count == n, "\(network).forward: \(t.count) times for \(n) rows")
  }
}

extension TimeEmbedding {
  /// Writes `[γ(tᵢ) ‖ cᵢ]` to `features[i·rowLength ..< i·rowLength + dimension + k]` for the
  /// first `n` rows (`k` the condition's columns, none without one). With one time for all
  /// rows γ is computed once, in row 0, and copied.
  ///
  /// - Parameters:
  ///   - n: the rows to write; `condition` and per-row `times` have (at least) this many.
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × k`, or `nil`.
  ///   - features: where row 0's γ goes; row `i` starts `i · rowLength` entries later.
  ///   - rowLength: the stride between rows, at least `dimension + k`.
  @inlinable
  func writeFeatures(
    rows n: Int, times: Times<Scalar>, condition: Matrix<Scalar>?,
    into features: UnsafeMutablePointer<Scalar>,
    rowLength width: Int
  ) {
    guard n > 0 else { return }
    let e = dimension
    switch times {
    case .shared(let t):
      writeFeatures(at: t, into: features)
      for i in 1..<n {
        for j in 0..<e { features[i * width + j] = features[j] }
      }
    case .perRow(let t):
      t.withUnsafeBufferPointer { t in
        for i in 0..<n { writeFeatures(at: t[i], into: features + i * width) }
      }
    }
    if let condition {
      let k = condition.columns
      condition.withUnsafeBufferPointer { pc in
        for i in 0..<n {
          for j in 0..<k { features[i * width + e + j] = pc[i * k + j] }
        }
      }
    }
  }
}
