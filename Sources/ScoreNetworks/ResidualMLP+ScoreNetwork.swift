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

  /// The name of the Fourier embedding's frequencies among the network's tensors.
  static var frequenciesName: String { "time.frequencies" }

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
    if let shape = configuration.timeEmbedding.fixedTensorShape { shapes.append((frequenciesName, shape)) }
    return shapes
  }

  /// Every tensor that defines the network: the parameters and, for the Fourier embedding, its
  /// fixed frequencies as `time.frequencies`, shape `[m]`.
  public func namedTensors() -> NamedTensors<Scalar> {
    namedTensors(embedding: timeEmbedding, named: Self.frequenciesName)
  }

  /// Overwrites the network's tensors (parameters and Fourier frequencies) with those of the
  /// same names.
  /// - Throws: ``SafeTensorsError/unexpectedTensor(name:)``,
  ///   ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; the network is unchanged then.
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    try load(from: tensors, embedding: \.timeEmbedding, named: Self.frequenciesName)
  }
}
