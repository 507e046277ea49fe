public import DiffusionProcesses
public import LinearAlgebra

/// Draws one prior sample `x(T) ~ p_T` per row from that row's own stream, so that sample `i`
/// of a seed is the same in every batch split (``RowStreams``).
///
/// ```swift
/// var noise = RowStreams(seed: 42, rows: 100..<200)   // global samples 100…199
/// let x = samplePrior(of: VPSDE<Double>(), dimension: 2, streams: &noise)   // 100 × 2
/// ```
///
/// - Parameters:
///   - sde: the forward process, whose ``SDE/samplePrior(count:dimension:using:)`` is called
///     once per row with that row's generator.
///   - dimension: `d`.
///   - streams: one generator per row; advanced.
/// - Returns: a `streams.count × dimension` matrix.
@inlinable
public func samplePrior<Forward: SDE>(
  of sde: Forward, dimension: Int, streams: inout RowStreams
) -> Matrix<Forward.Scalar> {
  var x = Matrix<Forward.Scalar>(rows: streams.count, columns: dimension)
  for i in 0..<streams.count {
    let row = sde.samplePrior(count: 1, dimension: dimension, using: &streams.generators[i])
    x.setRow(i, to: row.elements)
  }
  return x
}
