import LinearAlgebra

/// The shape checks of the analytic score oracles (``GaussianScore``, ``GaussianMixtureScore``):
/// every input has `dimension` columns and every output has the input's shape.
@usableFromInline
protocol ScoreOracleShapes {
  /// The precision.
  associatedtype Scalar: BLASScalar
  /// The data dimension `d`.
  var dimension: Int { get }
}

extension ScoreOracleShapes {
  /// `x` is `n × d` and `other` has its shape (a programmer error otherwise).
  @inlinable
  func checkShapes(_ x: Matrix<Scalar>, _ other: Matrix<Scalar>, _ operation: @autoclosure () -> String) {
    precondition(
      x.columns == dimension && other.hasShape(of: x),
      "\(operation()): points \(x.shapeDescription) and \(other.shapeDescription) for dimension \(dimension)")
  }

  /// The shapes of `scoreAndDivergence`: `out` like `x`, one divergence per row.
  @inlinable
  func checkShapes(
    _ x: Matrix<Scalar>, score out: Matrix<Scalar>, divergence: [Scalar], _ type: @autoclosure () -> String
  ) {
    checkShapes(x, out, "\(type()).scoreAndDivergence")
    precondition(
      divergence.count == x.rows, "scoreAndDivergence: \(divergence.count) divergences for \(x.rows) rows")
  }

  /// The shapes of `scoreAndVectorJacobianProduct`: `out`, `probe` and `vjp` like `x`.
  @inlinable
  func checkShapes(
    _ x: Matrix<Scalar>, score out: Matrix<Scalar>, probe: Matrix<Scalar>, vjp: Matrix<Scalar>,
    _ type: @autoclosure () -> String
  ) {
    checkShapes(x, out, "\(type()).scoreAndVectorJacobianProduct")
    checkShapes(x, probe, "\(type()).scoreAndVectorJacobianProduct (probe)")
    checkShapes(x, vjp, "\(type()).scoreAndVectorJacobianProduct (vjp)")
  }
}
