import LinearAlgebra
import RealModule

extension Matrix {
  /// `self ← a·x + b` entry by entry (the drift of a linear SDE); `self` must have `x`'s shape.
  @inlinable
  mutating func formAffine(_ x: Matrix, scale a: Scalar, offset b: Scalar, operation: String) {
    precondition(
      rows == x.rows && columns == x.columns,
      "\(operation): input \(x.shapeDescription) but output \(shapeDescription)")
    x.withUnsafeBufferPointer { px in
      withUnsafeMutableBufferPointer { o in
        if b == 0 {
          for i in o.indices { o[i] = a * px[i] }
        } else {
          for i in o.indices { o[i] = a * px[i] + b }
        }
      }
    }
  }

  /// `log N(xᵢ; mean·1, variance·I)` for every row: `−d/2·log(2π·variance) − ‖xᵢ − mean‖²/(2·variance)`.
  @inlinable
  func isotropicGaussianLogDensity(mean: Scalar, variance: Scalar) -> [Scalar] {
    let d = columns
    let constant = -Scalar(d) / 2 * Scalar.log(2 * Scalar.pi * variance)
    return withUnsafeBufferPointer { e in
      (0..<rows).map { i in
        var sum: Scalar = 0
        for j in (i * d)..<((i + 1) * d) {
          let c = e[j] - mean
          sum += c * c
        }
        return constant - sum / (2 * variance)
      }
    }
  }
}
