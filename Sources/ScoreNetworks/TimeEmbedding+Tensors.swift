import LinearAlgebra

// The time embedding's fixed tensor in a network's named tensors: the Gaussian Fourier
// embedding's `m` random frequencies are drawn once and never trained, so a file must carry them
// for the network to be rebuilt; the sinusoidal embedding has none. Each network names the tensor
// (`embedding.frequencies` in an MLP, `time.frequencies` in a residual MLP).

extension TimeEmbeddingKind {
  /// The shape of the embedding's fixed tensor, `[m]` for `m` Fourier frequencies, or `nil`.
  var fixedTensorShape: [Int]? {
    if case .gaussianFourier(let m, _) = self { return [m] }
    return nil
  }
}

extension ScoreNetwork {
  /// The parameters' tensors, then the Fourier frequencies of `embedding` as `name`, shape `[m]`
  /// (nothing more for sinusoids).
  func namedTensors(embedding: TimeEmbedding<Scalar>, named name: String) -> NamedTensors<Scalar> {
    var tensors = parameters.namedTensors()
    if case .gaussianFourier(let e) = embedding {
      tensors.append(name: name, shape: [e.frequencies.columns], values: e.frequencies)
    }
    return tensors
  }

  /// Overwrites the parameters and the Fourier frequencies of the embedding at `embedding` with
  /// the tensors of the same names, all or nothing.
  /// - Throws: ``SafeTensorsError/unexpectedTensor(name:)``,
  ///   ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; the network is unchanged then.
  mutating func load(
    from tensors: NamedTensors<Scalar>, embedding: WritableKeyPath<Self, TimeEmbedding<Scalar>>,
    named name: String
  ) throws(SafeTensorsError) {
    try tensors.rejectNames(notIn: namedTensors())
    var updated = parameters
    try updated.load(from: tensors)
    self[keyPath: embedding] = try self[keyPath: embedding].loadingFixedTensor(named: name, from: tensors)
    parameters = updated
  }
}

extension TimeEmbedding {
  /// This embedding with its Fourier frequencies read from `tensors[name]` (itself for sinusoids).
  /// - Throws: ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)`` when the tensor is absent or is
  ///   not `[m]`.
  func loadingFixedTensor(named name: String, from tensors: NamedTensors<Scalar>) throws(SafeTensorsError)
    -> Self
  {
    guard case .gaussianFourier(let e) = self else { return self }
    guard let w = tensors[name] else { throw .missingTensor(name: name) }
    guard w.shape == [e.frequencies.columns] else {
      throw .shapeMismatch(name: name, expected: [e.frequencies.columns], found: w.shape)
    }
    return .gaussianFourier(GaussianFourierEmbedding(frequencies: w.values.elements))
  }
}
