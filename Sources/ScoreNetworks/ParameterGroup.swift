public import LinearAlgebra

/// An ordered list of named parameter tensors: a layer, a whole network, its gradients, or an
/// optimizer's moments.
///
/// This is the shape the optimizers, gradient clipping, the exponential moving average and the
/// safetensors I/O see (the role `KeyPathIterable` over a `TangentVector` plays in
/// tensorflow/swift-apis). Every tensor is a ``Matrix``; a vector such as a bias is a `1 × n`
/// matrix whose PyTorch shape (``tensorShape(at:)``) is `[n]`.
///
/// ```swift
/// var layer = Dense<Float>(inputDimension: 3, outputDimension: 2, using: &rng)
/// for k in 0..<layer.tensorCount { print(layer.tensorName(at: k), layer.tensorShape(at: k)) }
/// // weight [2, 3]
/// // bias [2]
/// ```
///
/// Conforming types give the same names and shapes to a group and to its gradient, so that an
/// update can zip them by index.
public protocol ParameterGroup<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar

  /// The number of tensors.
  var tensorCount: Int { get }

  /// Tensor `index` (`0 ..< tensorCount`).
  func tensor(at index: Int) -> Matrix<Scalar>

  /// Calls `body` with tensor `index` in place (no copy); `body` must keep its shape.
  mutating func withMutableTensor<R>(at index: Int, _ body: (inout Matrix<Scalar>) throws -> R) rethrows -> R

  /// The name of tensor `index`, such as `"layers.0.weight"` (PyTorch `state_dict` style).
  func tensorName(at index: Int) -> String

  /// The PyTorch shape of tensor `index`, such as `[out, in]` for a weight or `[out]` for a bias.
  func tensorShape(at index: Int) -> [Int]
}

extension ParameterGroup {
  /// The total number of scalars in all tensors (PyTorch's
  /// `sum(p.numel() for p in model.parameters())`).
  public var scalarCount: Int {
    var n = 0
    for k in 0..<tensorCount { n += tensor(at: k).count }
    return n
  }

  /// `Σ_k ‖θ_k‖²_F` over all tensors (the square of the global norm).
  @inlinable
  public func squaredNorm() -> Scalar {
    var s: Scalar = 0
    for k in 0..<tensorCount {
      tensor(at: k).withUnsafeBufferPointer { e in
        var partial: Scalar = 0
        for x in e { partial += x * x }
        s += partial
      }
    }
    return s
  }

  /// Multiplies every scalar by `factor`, in place.
  @inlinable
  public mutating func scale(by factor: Scalar) {
    for k in 0..<tensorCount {
      withMutableTensor(at: k) { $0 *= factor }
    }
  }

  /// Sets every scalar to zero, in place.
  @inlinable
  public mutating func setToZero() {
    for k in 0..<tensorCount {
      withMutableTensor(at: k) { $0.fill(with: 0) }
    }
  }

  /// Overwrites every tensor with the matching tensor of `other` (same count and shapes).
  @inlinable
  public mutating func assign<Other: ParameterGroup>(_ other: Other) where Other.Scalar == Scalar {
    precondition(
      tensorCount == other.tensorCount,
      "assign: \(tensorCount) tensors and \(other.tensorCount) tensors")
    for k in 0..<tensorCount {
      let source = other.tensor(at: k)
      withMutableTensor(at: k) { $0.assign(source) }
    }
  }

  /// Rescales the group so that its global norm `‖g‖ = √Σ_k ‖g_k‖²` is at most `maximumNorm`,
  /// and returns the norm before clipping.
  ///
  /// As PyTorch's `clip_grad_norm_`: when `‖g‖ > maximumNorm`, every tensor is multiplied by
  /// `maximumNorm / (‖g‖ + 10⁻⁶)`; otherwise nothing changes. The direction is kept (Pascanu,
  /// Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks").
  ///
  /// ```swift
  /// let norm = gradients.clipGlobalNorm(to: 1)
  /// ```
  /// - Parameter maximumNorm: the largest allowed global norm (positive).
  /// - Returns: the global norm before clipping (NaN or infinity when the gradient is not finite;
  ///   the gradient is then left as it is, so that the caller can detect and skip the step).
  @inlinable
  @discardableResult
  public mutating func clipGlobalNorm(to maximumNorm: Scalar) -> Scalar {
    precondition(maximumNorm > 0, "clipGlobalNorm: the maximum norm must be positive, got \(maximumNorm)")
    let norm = squaredNorm().squareRoot()
    if norm.isFinite && norm > maximumNorm {
      scale(by: maximumNorm / (norm + Scalar(1e-6)))
    }
    return norm
  }

  /// The tensors with their names and PyTorch shapes, each name prefixed by `prefix`.
  public func namedTensors(prefix: String = "") -> NamedTensors<Scalar> {
    var result = NamedTensors<Scalar>()
    for k in 0..<tensorCount {
      result.append(name: prefix + tensorName(at: k), shape: tensorShape(at: k), values: tensor(at: k))
    }
    return result
  }

  /// Overwrites every tensor with the tensor of the same name (after `prefix`) in `tensors`.
  ///
  /// - Throws: ``SafeTensorsError/missingTensor(name:)`` if a name is absent and
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)`` if a shape differs. Nothing is
  ///   changed when it throws. Tensors of `tensors` that the group does not have are ignored
  ///   (use ``NamedTensors/names`` to check for extras).
  public mutating func load(from tensors: NamedTensors<Scalar>, prefix: String = "") throws(SafeTensorsError)
  {
    var found: [Matrix<Scalar>] = []
    for k in 0..<tensorCount {
      let name = prefix + tensorName(at: k)
      guard let entry = tensors[name] else { throw .missingTensor(name: name) }
      let expected = tensorShape(at: k)
      guard entry.shape == expected else {
        throw .shapeMismatch(name: name, expected: expected, found: entry.shape)
      }
      found.append(entry.values)
    }
    for k in 0..<tensorCount {
      let values = found[k]
      withMutableTensor(at: k) { $0.assign(values.reshaped(rows: $0.rows, columns: $0.columns)) }
    }
  }
}

/// A parameter group of exactly two tensors, `weight` (0) and `bias` (1), such as ``Dense`` and
/// ``LayerNorm``: the tensors, their names and in-place access come from this protocol; a
/// conforming type gives only their PyTorch shapes (``ParameterGroup/tensorShape(at:)``).
public protocol WeightAndBiasGroup<Scalar>: ParameterGroup {
  /// Tensor 0, named `"weight"`.
  var weight: Matrix<Scalar> { get set }
  /// Tensor 1, named `"bias"`.
  var bias: Matrix<Scalar> { get set }
}

extension WeightAndBiasGroup {
  /// 2: the weight and the bias.
  @inlinable public var tensorCount: Int { 2 }

  /// The weight (0) or the bias (1).
  @inlinable
  public func tensor(at index: Int) -> Matrix<Scalar> {
    precondition(index == 0 || index == 1, "\(Self.self) has tensors 0 (weight) and 1 (bias), not \(index)")
    return index == 0 ? weight : bias
  }

  /// The weight (0) or the bias (1), in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    precondition(index == 0 || index == 1, "\(Self.self) has tensors 0 (weight) and 1 (bias), not \(index)")
    return index == 0 ? try body(&weight) : try body(&bias)
  }

  /// `"weight"` or `"bias"`.
  public func tensorName(at index: Int) -> String { index == 0 ? "weight" : "bias" }
}
