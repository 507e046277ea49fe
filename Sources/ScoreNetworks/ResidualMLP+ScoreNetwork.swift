import LinearAlgebra

/// The residual MLP as a ``ScoreNetwork``, recorded as `"resmlp"` in model files; its Jacobian
/// products are the protocol's defaults (``StackedJacobianWorkspace``).
extension ResidualMLP: ScoreNetwork {
  /// `"resmlp"`.
  public static var architectureName: String { "resmlp" }

  /// `true`: see ``forward(_:times:condition:into:workspace:dropout:)``.
  public static var supportsDropout: Bool { true }

  /// `d`.
  @inlinable public var inputDimension: Int { configuration.inputDimension }

  /// `k`.
  @inlinable public var conditionDimension: Int { configuration.conditionDimension }

  /// Why `configuration` cannot be built (``ResidualMLPConfiguration/validationFailure``), or
  /// `nil`.
  public static func validationFailure(of configuration: ResidualMLPConfiguration) -> String? {
    configuration.validationFailure
  }

  /// The names and PyTorch shapes of ``namedTensors()``, in order: the parameters (see
  /// ``ResidualMLPParameters``), then `time.frequencies [m]` for the Fourier embedding.
  public static func expectedTensorShapes(
    for configuration: ResidualMLPConfiguration
  ) -> [(name: String, shape: [Int])]? {
    guard configuration.validationFailure == nil else { return nil }
    var shapes = ResidualMLPParameters<Scalar>.expectedShapes(for: configuration)
    if case .gaussianFourier(let m, _) = configuration.timeEmbedding {
      shapes.append(("time.frequencies", [m]))
    }
    return shapes
  }

  /// Every tensor that defines the network: the parameters and, for the Fourier embedding, its
  /// fixed frequencies as `time.frequencies`, shape `[m]`.
  public func namedTensors() -> NamedTensors<Scalar> {
    var tensors = parameters.namedTensors()
    if case .gaussianFourier(let e) = timeEmbedding {
      tensors.append(name: "time.frequencies", shape: [e.frequencies.columns], values: e.frequencies)
    }
    return tensors
  }

  /// Overwrites the network's tensors (parameters and Fourier frequencies) with those of the
  /// same names.
  /// - Throws: ``SafeTensorsError/unexpectedTensor(name:)``,
  ///   ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; the network is unchanged then.
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    let own = namedTensors()
    for name in tensors.names where own[name] == nil { throw .unexpectedTensor(name: name) }
    var updated = parameters
    try updated.load(from: tensors)
    if case .gaussianFourier(let e) = timeEmbedding {
      let name = "time.frequencies"
      guard let w = tensors[name] else { throw .missingTensor(name: name) }
      guard w.shape == [e.frequencies.columns] else {
        throw .shapeMismatch(name: name, expected: [e.frequencies.columns], found: w.shape)
      }
      timeEmbedding = .gaussianFourier(GaussianFourierEmbedding(frequencies: w.values.elements))
    }
    parameters = updated
  }
}
