public import LinearAlgebra
public import RealModule

/// Converts a continuous negative log-likelihood into bits per dimension for discrete data
/// (Theis, van den Oord & Bethge 2016; Ho et al. 2019; Song et al. 2021, appendix D.2).
///
/// Discrete data live on a grid of cells of width `Δ` per coordinate (`Δ = 1/256` for 8-bit
/// pixels scaled to `[0, 1)`, `Δ = 2/256` when scaled to `[−1, 1)`). Uniform dequantisation
/// `u = x + Δ·U`, `U ~ U[0, 1)ᵈ` (``dequantize(_:binWidth:seed:firstRow:)``) turns them into a
/// continuous variable; for any density `p` on `u`, Jensen's inequality gives
///
///     log P(x) ≥ E_U[log p(x + ΔU)] + d·log Δ,
///
/// so with `NLL = −E log p(u)` (nats per point, from ``ProbabilityFlowLikelihood`` on dequantised
/// data) the discrete model's code length is at most
///
///     bpd = (NLL − d·ln Δ) / (d·ln 2)      bits per dimension.
///
/// For `Δ = 1/256` this is `NLL/(d·ln 2) + 8`.
///
/// ```swift
/// bitsPerDimension(negativeLogLikelihood: 3000, dimension: 3072, binWidth: 2 / 256)
/// ```
///
/// - Parameters:
///   - negativeLogLikelihood: `−E log p(u)` of the dequantised data, nats per point.
///   - dimension: `d`.
///   - binWidth: `Δ > 0`, in the units of the data the model sees.
/// - Returns: bits per dimension.
@inlinable
public func bitsPerDimension<Scalar: BLASScalar>(
  negativeLogLikelihood: Scalar, dimension: Int, binWidth: Scalar
) -> Scalar {
  precondition(dimension > 0, "bitsPerDimension needs a positive dimension, got \(dimension)")
  precondition(binWidth > 0, "bitsPerDimension needs a positive bin width, got \(binWidth)")
  let d = Scalar(dimension)
  return (negativeLogLikelihood - d * Scalar.log(binWidth)) / (d * Scalar.log(2))
}

/// Uniform dequantisation: adds `Δ·U`, `U ~ U[0, 1)`, to every entry, row `i` drawing from the
/// stream of global row `firstRow + i` of `seed` (see
/// ``bitsPerDimension(negativeLogLikelihood:dimension:binWidth:)``).
///
/// ```swift
/// let u = dequantize(pixels, binWidth: 1 / 256, seed: 0)   // pixels = k/256
/// ```
///
/// - Parameters:
///   - x: discrete data on a grid of width `binWidth` (the lower corner of each cell).
///   - binWidth: `Δ > 0`.
///   - seed: the noise seed.
///   - firstRow: the global index of `x`'s first row.
/// - Returns: `x + Δ·U`.
@inlinable
public func dequantize<Scalar: BLASScalar>(
  _ x: Matrix<Scalar>, binWidth: Scalar, seed: UInt64, firstRow: Int = 0
) -> Matrix<Scalar> {
  precondition(binWidth > 0, "dequantize needs a positive bin width, got \(binWidth)")
  var streams = RowStreams(seed: seed, rows: firstRow..<(firstRow + x.rows))
  var u = Matrix<Scalar>(rows: x.rows, columns: x.columns)
  streams.fillUniform(&u, lower: 0, upper: binWidth)
  u.add(x)
  return u
}
