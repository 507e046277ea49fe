public import LinearAlgebra

/// One named tensor: its PyTorch shape and its entries in row-major (C) order.
public struct NamedTensor<Scalar: BLASScalar>: Sendable, Equatable {
  /// The name, such as `"layers.0.weight"`.
  public var name: String
  /// The shape, outermost dimension first (`[out, in]` for a weight, `[out]` for a bias, `[]`
  /// for a scalar).
  public var shape: [Int]
  /// The entries in row-major order, as a matrix of `shape[0]` rows (1 for a vector or a
  /// scalar) whose columns are the remaining dimensions flattened.
  public var values: Matrix<Scalar>

  /// A tensor whose `values` hold `shape.reduce(1, *)` entries.
  public init(name: String, shape: [Int], values: Matrix<Scalar>) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor \(name): negative dimension in \(shape)")
    precondition(
      shape.reduce(1, *) == values.count,
      "Tensor \(name): shape \(shape) needs \(shape.reduce(1, *)) entries, got \(values.count)")
    self.name = name
    self.shape = shape
    self.values = values
  }
}

/// An ordered collection of named tensors: what a safetensors file holds, and what
/// ``ParameterGroup/namedTensors(prefix:)`` and the optimizers' state produce.
///
/// ```swift
/// var tensors = model.parameters.namedTensors()
/// tensors.append(contentsOf: optimizer.namedState(for: model.parameters))
/// try SafeTensors.write(tensors, metadata: ["step": "100"], to: url)
/// ```
public struct NamedTensors<Scalar: BLASScalar>: Sendable, Equatable {
  /// The tensors in order.
  public private(set) var entries: [NamedTensor<Scalar>] = []
  @usableFromInline var index: [String: Int] = [:]

  /// An empty collection.
  public init() {}

  /// The names in order.
  public var names: [String] { entries.map(\.name) }

  /// The number of tensors.
  public var count: Int { entries.count }

  /// The tensor called `name`, or `nil`.
  public subscript(name: String) -> NamedTensor<Scalar>? {
    index[name].map { entries[$0] }
  }

  /// Appends a tensor.
  /// - Precondition: no tensor of that name exists yet.
  public mutating func append(_ tensor: NamedTensor<Scalar>) {
    precondition(index[tensor.name] == nil, "Duplicate tensor name \(tensor.name)")
    index[tensor.name] = entries.count
    entries.append(tensor)
  }

  /// Appends a tensor built from its name, PyTorch shape and row-major values.
  public mutating func append(name: String, shape: [Int], values: Matrix<Scalar>) {
    append(NamedTensor(name: name, shape: shape, values: values))
  }

  /// Appends every tensor of `other`.
  public mutating func append(contentsOf other: NamedTensors) {
    for t in other.entries { append(t) }
  }
}

extension NamedTensors {
  /// Throws ``SafeTensorsError/unexpectedTensor(name:)`` for the first tensor whose name `known`
  /// lacks: what a network's `load(from:)` checks before it changes anything.
  func rejectNames(notIn known: NamedTensors) throws(SafeTensorsError) {
    for name in names where known[name] == nil { throw .unexpectedTensor(name: name) }
  }
}
