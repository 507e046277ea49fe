extension Matrix {
  /// Overwrites `self` with `α·op(A)·op(B) + β·self`, where `op` transposes when asked
  /// (one BLAS `gemm`, no allocation).
  ///
  /// - Parameters:
  ///   - a: the left factor; `op(A)` is `m × k`.
  ///   - b: the right factor; `op(B)` is `k × n`.
  ///   - transposingA: use `Aᵀ` in place of `A`.
  ///   - transposingB: use `Bᵀ` in place of `B`.
  ///   - alpha: the scale of the product.
  ///   - beta: the scale of the old contents of `self` (0 overwrites them, NaNs included).
  /// - Precondition: `self` is `m × n` and the inner dimensions agree.
  /// - Complexity: 2·m·n·k floating-point operations.
  @inlinable
  public mutating func formProduct(
    _ a: Matrix, _ b: Matrix, transposingA: Bool = false, transposingB: Bool = false,
    alpha: Scalar = 1, beta: Scalar = 0
  ) {
    let m = transposingA ? a.columns : a.rows
    let k = transposingA ? a.rows : a.columns
    let kb = transposingB ? b.columns : b.rows
    let n = transposingB ? b.rows : b.columns
    precondition(
      k == kb,
      "Inner dimensions differ: op(A) of \(a.shapeDescription)\(transposingA ? "ᵀ" : "") is \(m)×\(k), "
        + "op(B) of \(b.shapeDescription)\(transposingB ? "ᵀ" : "") is \(kb)×\(n)")
    precondition(
      rows == m && columns == n,
      "Product of \(a.shapeDescription)\(transposingA ? "ᵀ" : "") and \(b.shapeDescription)"
        + "\(transposingB ? "ᵀ" : "") is \(m)×\(n), but the output is \(shapeDescription)")
    if m == 0 || n == 0 { return }
    if k == 0 {
      if beta == 0 { fill(with: 0) } else { self *= beta }
      return
    }
    let lda = max(1, a.columns)
    let ldb = max(1, b.columns)
    let ldc = max(1, n)
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        storage.withUnsafeMutableBufferPointer { pc in
          Scalar._gemm(
            transposeA: transposingA, transposeB: transposingB, m: m, n: n, k: k, alpha: alpha,
            a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
            c: pc.baseAddress!, ldc: ldc)
        }
      }
    }
  }

  /// The product `op(A)·op(B)` as a new matrix.
  @inlinable
  public static func product(
    _ a: Matrix, _ b: Matrix, transposingA: Bool = false, transposingB: Bool = false
  ) -> Matrix {
    var c = Matrix(
      rows: transposingA ? a.columns : a.rows, columns: transposingB ? b.rows : b.columns)
    c.formProduct(a, b, transposingA: transposingA, transposingB: transposingB)
    return c
  }

  /// The matrix product `A·B` (BLAS `gemm`).
  @inlinable
  public static func * (a: Matrix, b: Matrix) -> Matrix {
    product(a, b)
  }

  /// The product of this matrix with a vector, `A·x` (BLAS `gemv`).
  @inlinable
  public func multiplied(by x: [Scalar]) -> [Scalar] {
    precondition(
      x.count == columns, "A \(shapeDescription) matrix cannot multiply a vector of \(x.count) entries")
    var y = [Scalar](repeating: 0, count: rows)
    if rows == 0 || columns == 0 { return y }
    storage.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
          Scalar._gemv(
            transpose: false, m: rows, n: columns, alpha: 1, a: a.baseAddress!, lda: columns,
            x: px.baseAddress!, beta: 0, y: py.baseAddress!)
        }
      }
    }
    return y
  }
}
