public import Datasets
public import LinearAlgebra

/// A source whose integer-valued columns are dequantised afresh at every step: the rows of
/// `base`, then `w_j·u` (`u ~ U[0, 1)`) added to each column `j` of the ``Dequantization`` —
/// divided by σ_j when `base` standardised its rows — so that the network learns a density of
/// `k + w·u`, whose NLL bounds the discrete NLL (see ``Dequantization``).
///
/// The noise is drawn from the step's generator right after `base`'s own draws (row by row,
/// column by column), so a run stays a function of its seed and resumes bit-identically.
///
/// ```swift
/// let base = try DatasetSource<Float>(standardizing: counts, source: "counts.csv")
/// let source = DequantizedSource(base, dequantization: Dequantization(columns: [0, 1]))
/// var trainer = try Trainer(process: VPSDE<Float>(), architecture: mlp, source: source)
/// var model = try trainer.trainedModel()
/// model.dequantization = source.dequantization        // so that `nll` reports the discrete bound
/// ```
public struct DequantizedSource<Base: TrainingDataSource>: TrainingDataSource {
  /// The precision.
  public typealias Scalar = Base.Scalar
  /// The rows before dequantisation.
  public var base: Base
  /// The dequantised columns and their bin widths (data units).
  public let dequantization: Dequantization
  /// `w_j / σ_j` (or `w_j`) for each dequantised column, in ``Dequantization/columns`` order.
  @usableFromInline let noiseScales: [Scalar]

  /// A dequantised view of `base`.
  ///
  /// - Parameters:
  ///   - base: the source; every dequantised column must be one of its data columns.
  ///   - dequantization: the columns and bin widths.
  public init(_ base: Base, dequantization: Dequantization) {
    if let failure = dequantization.validationFailure(dimension: base.dataColumns) {
      preconditionFailure("DequantizedSource: \(failure)")
    }
    self.base = base
    self.dequantization = dequantization
    let sigma = base.appliedStandardizer?.standardDeviations
    self.noiseScales = dequantization.columns.indices.map { c in
      Scalar(dequantization.binWidths[c] / (sigma?[dequantization.columns[c]] ?? 1))
    }
  }

  /// The columns of a row.
  public var columns: Int { base.columns }
  /// The condition columns.
  public var conditioningColumns: Int { base.conditioningColumns }
  /// `base`'s standardisation.
  public var appliedStandardizer: Standardizer? { base.appliedStandardizer }

  /// `base`'s rows of step `step`, dequantised with draws from `rng`.
  @inlinable
  public mutating func fill<G: RandomNumberGenerator>(
    _ batch: inout Matrix<Scalar>, step: Int, seed: UInt64, using rng: inout G
  ) {
    base.fill(&batch, step: step, seed: seed, using: &rng)
    let c = batch.columns
    let columns = dequantization.columns
    let scales = noiseScales
    batch.withUnsafeMutableBufferPointer { b in
      for i in 0..<(b.count / max(c, 1)) {
        for k in columns.indices {
          let u = Scalar(Double(rng.next() >> 11) * 0x1p-53)
          b[i * c + columns[k]] += scales[k] * u
        }
      }
    }
  }
}
