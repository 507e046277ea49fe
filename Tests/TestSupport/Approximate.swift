import LinearAlgebra
import RealModule

/// `‖a − b‖_F / max(‖b‖_F, tiny)`: the relative distance of two matrices of one shape.
public func relativeDistance<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>) -> S {
  precondition(
    a.rows == b.rows && a.columns == b.columns, "shapes \(a.shapeDescription) and \(b.shapeDescription)")
  let diff = (a - b).frobeniusNorm()
  return diff / max(b.frobeniusNorm(), S.leastNormalMagnitude)
}

/// The largest absolute entry-wise difference of two matrices of one shape.
public func maxAbsDifference<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>) -> S {
  precondition(
    a.rows == b.rows && a.columns == b.columns, "shapes \(a.shapeDescription) and \(b.shapeDescription)")
  return (a - b).maxAbs()
}

/// The relative error `|a − b| / max(|a|, |b|, floor)`.
public func relativeError<S: BinaryFloatingPoint>(_ a: S, _ b: S, floor: S = 1e-30) -> S {
  abs(a - b) / max(abs(a), abs(b), floor)
}

/// The tolerance to expect from `n`-term sums in precision `S`: `n·ulp(1)` times a factor.
public func roundingTolerance<S: BLASScalar>(_ type: S.Type, terms n: Int, factor: S = 4) -> S {
  factor * S(max(n, 1)) * S.ulpOfOne
}

/// `C = op(A) op(B)` by the textbook triple loop, in `Double`, for checking BLAS results.
public func naiveProduct<S: BLASScalar>(
  _ a: Matrix<S>, _ b: Matrix<S>, transposingA: Bool = false, transposingB: Bool = false
) -> Matrix<S> {
  let m = transposingA ? a.columns : a.rows
  let k = transposingA ? a.rows : a.columns
  let n = transposingB ? b.rows : b.columns
  var c = Matrix<S>(rows: m, columns: n)
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for l in 0..<k {
        let x = transposingA ? a[l, i] : a[i, l]
        let y = transposingB ? b[j, l] : b[l, j]
        s += Double(x) * Double(y)
      }
      c[i, j] = S(s)
    }
  }
  return c
}
