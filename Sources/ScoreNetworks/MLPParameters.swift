public import LinearAlgebra

/// The trainable tensors of an ``MLP``, and equally its gradient (``MLPGradients``), its Adam
/// moments, or its exponential moving average.
///
/// Order and names (PyTorch `state_dict` style; shapes are PyTorch's):
///
///     layers.l.weight [H, in]   layers.l.bias [H]                          l = 0 … L−1
///     layers.l.norm.weight [H]  layers.l.norm.bias [H]                     with layer normalisation
///     layers.L.weight [d, H]    layers.L.bias [d]                          the output layer
///
/// The reference PyTorch `Net` names the same tensors `mlp.{2l}.weight` / `mlp.{2l}.bias`.
public struct MLPParameters<Scalar: BLASScalar>: ParameterGroup {
  /// The L hidden layers, then the output layer.
  public var layers: [Dense<Scalar>]
  /// One layer normalisation per hidden layer, or none.
  public var norms: [LayerNorm<Scalar>]

  /// Parameters made of these layers.
  public init(layers: [Dense<Scalar>], norms: [LayerNorm<Scalar>]) {
    precondition(
      layers.count >= 2, "MLPParameters: need hidden layers and an output layer, got \(layers.count)")
    precondition(
      norms.isEmpty || norms.count == layers.count - 1,
      "MLPParameters: \(norms.count) norms for \(layers.count - 1) hidden layers")
    self.layers = layers
    self.norms = norms
  }

  /// A group of the same shapes filled with zeros (a gradient, or an optimizer's moment).
  public func zeros() -> MLPParameters {
    var z = self
    z.setToZero()
    return z
  }

  @inlinable var tensorsPerHiddenLayer: Int { norms.isEmpty ? 2 : 4 }

  /// 2(L + 1), plus 2L with layer normalisation.
  @inlinable public var tensorCount: Int { 2 * layers.count + 2 * norms.count }

  /// (layer, part): part 0 weight, 1 bias, 2 norm weight, 3 norm bias.
  @inlinable
  func locate(_ index: Int) -> (layer: Int, part: Int) {
    precondition(index >= 0 && index < tensorCount, "MLPParameters has \(tensorCount) tensors, not \(index)")
    let hidden = layers.count - 1
    let per = tensorsPerHiddenLayer
    if index < hidden * per { return (index / per, index % per) }
    return (hidden, index - hidden * per)
  }

  /// Tensor `index` in the order above.
  @inlinable
  public func tensor(at index: Int) -> Matrix<Scalar> {
    let (l, part) = locate(index)
    return part < 2 ? layers[l].tensor(at: part) : norms[l].tensor(at: part - 2)
  }

  /// Tensor `index` in place.
  @inlinable
  public mutating func withMutableTensor<R>(
    at index: Int, _ body: (inout Matrix<Scalar>) throws -> R
  ) rethrows -> R {
    let (l, part) = locate(index)
    return part < 2
      ? try layers[l].withMutableTensor(at: part, body) : try norms[l].withMutableTensor(at: part - 2, body)
  }

  /// `layers.l.weight`, `layers.l.bias`, `layers.l.norm.weight` or `layers.l.norm.bias`.
  public func tensorName(at index: Int) -> String {
    let (l, part) = locate(index)
    return ["layers.\(l).weight", "layers.\(l).bias", "layers.\(l).norm.weight", "layers.\(l).norm.bias"][
      part]
  }

  /// The PyTorch shape of tensor `index`.
  public func tensorShape(at index: Int) -> [Int] {
    let (l, part) = locate(index)
    return part < 2 ? layers[l].tensorShape(at: part) : norms[l].tensorShape(at: part - 2)
  }
}

/// The gradient of an ``MLP``'s loss with respect to its parameters: the same tensors as
/// ``MLPParameters``.
public typealias MLPGradients<Scalar: BLASScalar> = MLPParameters<Scalar>
