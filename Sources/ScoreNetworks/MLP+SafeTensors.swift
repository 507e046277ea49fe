public import Foundation
import LinearAlgebra

extension MLP {
  /// The name of the Fourier embedding's frequencies among the network's tensors.
  static var frequenciesName: String { "embedding.frequencies" }

  /// Every tensor that defines the network: the trainable ones (``MLPParameters``) and the
  /// fixed Fourier frequencies as `embedding.frequencies`, shape `[m]` (absent for the
  /// sinusoidal embedding, which has nothing random).
  public func namedTensors() -> NamedTensors<Scalar> {
    namedTensors(embedding: embedding, named: Self.frequenciesName)
  }

  /// Overwrites the network's tensors with those of a safetensors file for the same
  /// architecture.
  /// - Throws: ``SafeTensorsError/shapeMismatch(name:expected:found:)`` naming the first tensor
  ///   whose shape differs, ``SafeTensorsError/missingTensor(name:)``,
  ///   ``SafeTensorsError/unexpectedTensor(name:)``, ``SafeTensorsError/invalidMetadata(key:reason:)``
  ///   when the file's configuration differs from this network's in what shapes do not show
  ///   (such as the activation), or a format error. The network is unchanged when it throws.
  public mutating func loadParameters(from url: URL) throws(SafeTensorsError) {
    let (tensors, metadata) = try SafeTensors.read(from: url, as: Scalar.self)
    var copy = self
    try copy.load(from: tensors)
    let key = Self.configurationMetadataKey
    if let json = metadata[key] {
      let stored = try? JSONDecoder().decode(MLPConfiguration.self, from: Data(json.utf8))
      guard stored == configuration else {
        throw .invalidMetadata(
          key: key, reason: "the file is for configuration \(json), not \(self.metadata[key]!)")
      }
    }
    self = copy
  }

  /// Overwrites the network's tensors with the tensors of the same names in `tensors`.
  /// - Throws: as ``loadParameters(from:)`` (the network is unchanged when it throws).
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    try load(from: tensors, embedding: \.embedding, named: Self.frequenciesName)
  }

  /// Why `configuration` fails ``MLPConfiguration``'s checks (without trapping), or `nil`; every
  /// size must be at most 2²⁰, so that no size arithmetic can overflow, and the depth at most
  /// ``MLPConfiguration/maximumDepth`` (2¹⁰), so that a file cannot make
  /// ``expectedTensorShapes(for:)`` build millions of names.
  public static func validationFailure(of configuration: MLPConfiguration) -> String? {
    if configuration.depth < 1 || configuration.depth > MLPConfiguration.maximumDepth {
      return "depth must be in 1 ... \(MLPConfiguration.maximumDepth), got \(configuration.depth)"
    }
    return configurationIsValid(configuration)
      ? nil : "a size is out of range (1 ... 2²⁰) or the embedding is invalid"
  }

  /// Whether `configuration` passes ``MLPConfiguration``'s checks (without trapping), with
  /// every size at most 2²⁰ (so that no size arithmetic can overflow) and the depth at most
  /// ``MLPConfiguration/maximumDepth``.
  static func configurationIsValid(_ c: MLPConfiguration) -> Bool {
    let limit = 1 << 20
    guard c.inputDimension > 0, c.inputDimension <= limit, c.conditionDimension >= 0,
      c.conditionDimension <= limit, c.width > 0, c.width <= limit, c.depth >= 1,
      c.depth <= MLPConfiguration.maximumDepth
    else { return false }
    switch c.timeEmbedding {
    case .gaussianFourier(let m, let scale): return m > 0 && m <= limit && scale > 0
    case .sinusoidal(let d, let period, _): return d >= 4 && d <= limit && d % 2 == 0 && period > 1
    }
  }

  /// The names and PyTorch shapes of ``namedTensors()`` for a configuration, in order, or `nil`
  /// when the configuration is invalid (see ``validationFailure(of:)``).
  public static func expectedTensorShapes(for c: MLPConfiguration) -> [(name: String, shape: [Int])]? {
    guard configurationIsValid(c) else { return nil }
    var result: [(name: String, shape: [Int])] = []
    var fanIn = c.networkInputDimension
    for l in 0..<c.depth {
      result.append(("layers.\(l).weight", [c.width, fanIn]))
      result.append(("layers.\(l).bias", [c.width]))
      if c.layerNorm {
        result.append(("layers.\(l).norm.weight", [c.width]))
        result.append(("layers.\(l).norm.bias", [c.width]))
      }
      fanIn = c.width
    }
    result.append(("layers.\(c.depth).weight", [c.inputDimension, c.width]))
    result.append(("layers.\(c.depth).bias", [c.inputDimension]))
    if let shape = c.timeEmbedding.fixedTensorShape { result.append((frequenciesName, shape)) }
    return result
  }
}
