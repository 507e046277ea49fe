public import LinearAlgebra

/// Sums of a function of pairwise squared distances between the rows of two matrices, computed
/// block by block from one BLAS `gemm` per block: ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b.
///
/// Both sets are first centred on their pooled mean, which leaves distances unchanged and
/// limits the cancellation in the expansion; squared distances are clamped at 0.
@usableFromInline
struct PairwiseDistanceSums<S: BLASScalar> {
  @usableFromInline let x: Matrix<S>
  @usableFromInline let y: Matrix<S>
  /// Rows of the left operand per gemm block (bounds the scratch memory to blockRows × n).
  @usableFromInline static var blockRows: Int { 256 }

  @usableFromInline
  init(_ x: Matrix<S>, _ y: Matrix<S>) {
    precondition(
      x.columns == y.columns,
      "Sample sets must have the same number of columns, got \(x.shapeDescription) and \(y.shapeDescription)")
    let n = Double(x.rows + y.rows)
    var center = [S](repeating: 0, count: x.columns)
    if n > 0 {
      let sx = x.columnSums()
      let sy = y.columnSums()
      for j in 0..<x.columns { center[j] = S((Double(sx[j]) + Double(sy[j])) / n) }
    }
    let shift = center.map { -$0 }
    var cx = x
    var cy = y
    cx.addToEachRow(shift)
    cy.addToEachRow(shift)
    self.x = cx
    self.y = cy
  }

  /// Σᵢ Σⱼ f(‖xᵢ − yⱼ‖²) over all pairs, in `Double`.
  @inlinable
  func crossSum(_ f: (S) -> Double) -> Double {
    Self.sum(x, y, symmetric: false, f)
  }

  /// Σ_{i≠j} f(‖xᵢ − xⱼ‖²) over ordered pairs of distinct rows of x (`first == true`) or y.
  @inlinable
  func withinSum(first: Bool, _ f: (S) -> Double) -> Double {
    let a = first ? x : y
    return 2 * Self.sum(a, a, symmetric: true, f)
  }

  /// Σ f over the pairs (i, j) of a × b, or over i < j when `symmetric` (a and b the same set).
  @inlinable
  static func sum(_ a: Matrix<S>, _ b: Matrix<S>, symmetric: Bool, _ f: (S) -> Double) -> Double {
    let na = a.squaredRowNorms()
    let nb = b.squaredRowNorms()
    var total = 0.0
    var block = Matrix<S>(rows: 0, columns: 0)
    var start = 0
    while start < a.rows {
      let end = Swift.min(start + blockRows, a.rows)
      // For a symmetric sum, only columns j > i matter; they start at the block's first row.
      let firstColumn = symmetric ? start : 0
      if firstColumn >= b.rows { break }
      let left = a.rows(start..<end)
      let right = firstColumn == 0 ? b : b.rows(firstColumn..<b.rows)
      block.resize(rows: end - start, columns: right.rows)
      block.formProduct(left, right, transposingB: true)
      let width = right.rows
      block.withUnsafeBufferPointer { g in
        for r in 0..<(end - start) {
          let i = start + r
          let jStart = symmetric ? i + 1 - firstColumn : 0
          if jStart >= width { continue }
          var rowSum = 0.0
          for c in jStart..<width {
            let d2 = Swift.max(na[i] + nb[firstColumn + c] - 2 * g[r * width + c], 0)
            rowSum += f(d2)
          }
          total += rowSum
        }
      }
      start = end
    }
    return total
  }
}
