public import Datasets
public import LinearAlgebra

extension TrainedModel {
  /// `log |det ∂z/∂x|` at each data-unit row `x` (its first ``dimension`` columns), where
  /// `z = (T(x) − μ)/σ` is what the network sees: ``logDensityCorrection`` plus the
  /// ``columnTransforms``' `Σⱼ log Tⱼ′(xⱼ)`. Add entry `i` to the log-density of row `i` in model
  /// units to get its log-density in data units:
  ///
  ///     log p_x(x) = log p_z(z) − Σⱼ log σⱼ + Σⱼ log Tⱼ′(xⱼ).
  ///
  /// - Parameter rows: data-unit rows, inside the transforms' domains
  ///   (``ColumnTransforms/checkDomain(of:source:firstRow:)``).
  /// - Returns: one correction per row.
  public func logDensityCorrections<S: BLASScalar>(at rows: Matrix<S>) -> [Double] {
    let constant = logDensityCorrection
    guard let columnTransforms else { return [Double](repeating: constant, count: rows.rows) }
    return columnTransforms.logAbsJacobians(of: rows).map { $0 + constant }
  }

  /// Samples in model units → data units in `Double`, in place: `x ← T⁻¹(μ + σ·x)`, for the
  /// full resolution of data with a large offset (what `score-sde sample` writes).
  ///
  /// - Parameter samples: `n × d` samples of the model, as `Double`.
  public func toDataUnits(_ samples: inout Matrix<Double>) {
    standardizer?.inverseTransform(&samples)
    columnTransforms?.invert(&samples)
  }

  /// Data → model units in `Double`, checking the transforms' domains first.
  ///
  /// - Parameters:
  ///   - rows: data-unit rows (`d` columns).
  ///   - source: the rows' name in an error.
  /// - Returns: `(T(x) − μ)/σ`.
  /// - Throws: ``ColumnTransformError`` for an entry outside a transform's domain.
  public func modelUnits(of rows: Matrix<Double>, source: String) throws(ColumnTransformError) -> Matrix<
    Double
  > {
    var x = rows
    if let columnTransforms {
      try columnTransforms.checkDomain(of: x, source: source)
      columnTransforms.apply(to: &x)
    }
    standardizer?.transform(&x)
    return x
  }
}
