public import LinearAlgebra

/// The trainable tensors of an ``EncodedConditionNetwork``: the base network's parameters, then
/// the learnable tables of its parameter encoding (the hash grid's levels; none for the identity
/// and Fourier encodings). As a gradient or an optimizer's moment it has the same shapes.
///
/// Order and names: the base network's tensors under their own names, then
///
///     condition_encoding.hash.l   [T_l, F]          l = 0 … L−1
///
/// The group holds the base network whole (so that its forward pass reads its parameters in
/// place, with no copy per step); only its ``ScoreNetwork/parameters`` count as tensors here.
public struct EncodedConditionParameters<Base: ScoreNetwork>: ParameterGroup {
  /// The precision.
  public typealias Scalar = Base.Scalar
  /// The base network, whose parameters are this group's first tensors.
  public var network: Base
  /// The hash tables, `T_l × F` each.
  public var tables: [Matrix<Scalar>]

  /// A group of the base network and the tables.
  public init(network: Base, tables: [Matrix<Scalar>]) {
    self.network = network
    self.tables = tables
  }

  /// The base network's tensor count, plus one per table.
  @inlinable public var tensorCount: Int { network.parameters.tensorCount + tables.count }

  /// Tensor `index`: the base network's, then the tables.
  @inlinable
  public func tensor(at index: Int) -> Matrix<Scalar> {
    let baseCount = network.parameters.tensorCount
    return index < baseCount ? network.parameters.tensor(at: index) : tables[index - baseCount]
  }

  /// Tensor `index` in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    let baseCount = network.parameters.tensorCount
    if index < baseCount { return try network.parameters.withMutableTensor(at: index, body) }
    return try body(&tables[index - baseCount])
  }

  /// The base network's name, or `condition_encoding.hash.l`.
  public func tensorName(at index: Int) -> String {
    let baseCount = network.parameters.tensorCount
    return index < baseCount
      ? network.parameters.tensorName(at: index) : Self.tableName(level: index - baseCount)
  }

  /// The base network's shape, or `[T_l, F]`.
  public func tensorShape(at index: Int) -> [Int] {
    let baseCount = network.parameters.tensorCount
    if index < baseCount { return network.parameters.tensorShape(at: index) }
    let t = tables[index - baseCount]
    return [t.rows, t.columns]
  }

  /// `condition_encoding.hash.<level>`.
  public static func tableName(level: Int) -> String { "condition_encoding.hash.\(level)" }
}
