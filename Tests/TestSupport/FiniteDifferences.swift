import LinearAlgebra

/// The central finite-difference gradient `(f(x + h eᵢ) − f(x − h eᵢ)) / 2h` of a scalar
/// function of a matrix, entry by entry (for checking hand-written derivatives in `Double`).
///
/// With `h = 10⁻⁶` the truncation error is O(h²·f‴) ≈ 10⁻¹², the rounding error O(ε·|f|/h)
/// ≈ 10⁻¹⁰·|f|: good to about nine digits for well-scaled functions.
public func finiteDifferenceGradient(
  at x: Matrix<Double>, step h: Double = 1e-6, _ f: (Matrix<Double>) -> Double
) -> Matrix<Double> {
  var g = Matrix<Double>(rows: x.rows, columns: x.columns)
  var probe = x
  for i in 0..<x.rows {
    for j in 0..<x.columns {
      let original = probe[i, j]
      probe[i, j] = original + h
      let plus = f(probe)
      probe[i, j] = original - h
      let minus = f(probe)
      probe[i, j] = original
      g[i, j] = (plus - minus) / (2 * h)
    }
  }
  return g
}

/// `Σᵢⱼ aᵢⱼ bᵢⱼ`, the Frobenius inner product (the loss `⟨R, y⟩` whose gradient in `y` is `R`).
public func frobeniusProduct(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
  precondition(
    a.rows == b.rows && a.columns == b.columns, "shapes \(a.shapeDescription) and \(b.shapeDescription)")
  var s = 0.0
  for (x, y) in zip(a.elements, b.elements) { s += x * y }
  return s
}
