public import LinearAlgebra

/// The settings of an ``EncodedConditionNetwork``: the base network's configuration (whose
/// condition dimension is the encoding's ``ParameterEncodingConfiguration/outputColumns``) and
/// the parameter encoding with its training ranges.
public struct EncodedConditionConfiguration<Base: Codable & Sendable & Equatable>: Codable, Sendable,
  Equatable
{
  /// The base network's configuration.
  public var base: Base
  /// The encoding of the condition.
  public var encoding: ParameterEncodingConfiguration

  /// The configuration of a base network behind `encoding`.
  public init(base: Base, encoding: ParameterEncodingConfiguration) {
    self.base = base
    self.encoding = encoding
  }
}

/// A conditional network whose condition `[θ ‖ m]` is first encoded, `[φ(θ) ‖ m]`, by a
/// ``ParameterEncoding`` (identity, random Fourier features, or a learnable multiresolution hash
/// grid) and then fed to a base network: ρ-Diffusion's device of hashing the physical
/// parameters θ so that one density model takes many of them.
///
///     f(x, t, [θ ‖ m]) = f_base(x, t, [φ(θ) ‖ m])
///
/// The hash tables are trained with the base network's parameters: they are the last tensors of
/// ``parameters`` (an ``EncodedConditionParameters``), so the optimizer, the weight average and
/// the model file treat them like any weight. Their gradient comes from the base network's
/// condition gradient (``ConditionGradientNetwork``) scattered through the interpolation weights
/// (``ParameterEncoder/tableGradients(_:featureGradient:into:accumulate:)``). Fixed Fourier
/// frequencies are saved as `condition_encoding.fourier.frequencies` `[m, k]`.
///
/// ```swift
/// let encoding = ParameterEncodingConfiguration(
///   encoding: .defaultHashGrid, lowerBounds: [1, 0.1], upperBounds: [3, 0.4])
/// let base = MLPConfiguration(inputDimension: 2, conditionDimension: encoding.outputColumns)
/// var rng = Xoshiro256(seed: 0)
/// let network = EncodedConditionNetwork<MLP<Float>>(
///   configuration: .init(base: base, encoding: encoding), using: &rng)
/// ```
public struct EncodedConditionNetwork<Base: ConditionGradientNetwork>: Sendable {
  /// The precision.
  public typealias Scalar = Base.Scalar
  /// The base network and the encoding.
  public let configuration: EncodedConditionConfiguration<Base.Configuration>
  /// The trainable tensors: the base network's, then the hash tables.
  public var parameters: EncodedConditionParameters<Base>
  /// The encoding's fixed part (unit-box map, Fourier frequencies, grid geometry).
  public var encoder: ParameterEncoder<Scalar>

  /// The base network (with its current parameters).
  public var base: Base { parameters.network }
}

extension EncodedConditionNetwork: ConditionGradientNetwork {
  /// `"encoded-<base>"`, such as `"encoded-mlp"`.
  public static var architectureName: String { "encoded-\(Base.architectureName)" }

  /// The condition columns `k + p` (before encoding).
  public static func conditionDimension(of configuration: EncodedConditionConfiguration<Base.Configuration>)
    -> Int
  {
    configuration.encoding.inputColumns
  }

  /// Why `configuration` cannot be built: the encoding's failure, the base network's, or a base
  /// whose condition dimension is not the encoding's output.
  public static func validationFailure(of configuration: EncodedConditionConfiguration<Base.Configuration>)
    -> String?
  {
    if let failure = configuration.encoding.validationFailure { return "condition encoding: \(failure)" }
    if let failure = Base.validationFailure(of: configuration.base) { return failure }
    let (takes, gives) = (
      Base.conditionDimension(of: configuration.base), configuration.encoding.outputColumns
    )
    guard takes == gives else {
      return "the base network takes \(takes) condition columns, the encoding gives \(gives)"
    }
    return nil
  }

  /// The base network's tensors, the tables and the Fourier frequencies, when the base's are known.
  public static func expectedTensorShapes(
    for configuration: EncodedConditionConfiguration<Base.Configuration>
  ) -> [(name: String, shape: [Int])]? {
    guard validationFailure(of: configuration) == nil,
      var shapes = Base.expectedTensorShapes(for: configuration.base)
    else { return nil }
    shapes += encodingTensorShapes(configuration.encoding)
    return shapes
  }

  /// The encoding's tensors: the tables, then the Fourier frequencies.
  static func encodingTensorShapes(_ e: ParameterEncodingConfiguration) -> [(name: String, shape: [Int])] {
    var shapes: [(name: String, shape: [Int])] = []
    if let grid = HashGridGeometry(e.encoding, dimension: e.parameterCount) {
      for (l, size) in grid.tableSizes.enumerated() {
        shapes.append((EncodedConditionParameters<Base>.tableName(level: l), [size, grid.featuresPerLevel]))
      }
    }
    if case .fourier(let m, _) = e.encoding { shapes.append((frequenciesName, [m, e.parameterCount])) }
    return shapes
  }

  /// The name of the fixed Fourier frequencies in a model file.
  public static var frequenciesName: String { "condition_encoding.fourier.frequencies" }

  /// A fresh network: the base network from `rng`, then the Fourier frequencies, then the tables.
  public init<G: RandomNumberGenerator>(
    configuration: EncodedConditionConfiguration<Base.Configuration>, using rng: inout G
  ) {
    if let failure = Self.validationFailure(of: configuration) {
      preconditionFailure("EncodedConditionNetwork: \(failure)")
    }
    self.configuration = configuration
    let network = Base(configuration: configuration.base, using: &rng)
    encoder = ParameterEncoder(configuration: configuration.encoding, using: &rng)
    parameters = EncodedConditionParameters(network: network, tables: encoder.makeTables(using: &rng))
  }

  /// `d`.
  public var inputDimension: Int { parameters.network.inputDimension }
  /// `k + p`, the condition columns before encoding.
  public var conditionDimension: Int { configuration.encoding.inputColumns }

  /// Buffers for `rows` rows.
  public func makeWorkspace(rows: Int) -> EncodedConditionWorkspace<Base> {
    EncodedConditionWorkspace(base: parameters.network.makeWorkspace(rows: rows))
  }

  /// Encodes `condition` into the workspace (stops when it is missing or misshapen).
  @inlinable
  func encode(_ condition: Matrix<Scalar>?, rows: Int, into features: inout Matrix<Scalar>) {
    guard let condition else {
      preconditionFailure(
        "\(Self.self).forward: the network takes a \(conditionDimension)-column condition, none was given")
    }
    precondition(
      condition.rows == rows && condition.columns == conditionDimension,
      "\(Self.self).forward: condition \(condition.shapeDescription) for \(rows) rows; need \(rows)×\(conditionDimension)"
    )
    encoder.encode(condition, tables: parameters.tables, into: &features)
  }

  /// `f_base(x, t, [φ(θ) ‖ m])`, keeping what the backward pass needs.
  @inlinable
  public func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout EncodedConditionWorkspace<Base>
  ) {
    encode(condition, rows: x.rows, into: &workspace.features)
    workspace.condition = condition!
    parameters.network.forward(
      x, times: times, condition: workspace.features, into: &out, workspace: &workspace.base)
    workspace.hasForwardPass = true
  }

  /// The same output for inference (the base network's ``ScoreNetwork/evaluate(_:times:condition:into:workspace:)``).
  @inlinable
  public func evaluate(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout EncodedConditionWorkspace<Base>
  ) {
    encode(condition, rows: x.rows, into: &workspace.features)
    workspace.hasForwardPass = false
    parameters.network.evaluate(
      x, times: times, condition: workspace.features, into: &out, workspace: &workspace.base)
  }

  /// The base network's parameter gradient and the tables' (scattered from `∂L/∂φ`).
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout EncodedConditionWorkspace<Base>,
    into gradients: inout EncodedConditionParameters<Base>, accumulate: Bool
  ) {
    precondition(workspace.hasForwardPass, "\(Self.self).backward: the workspace holds no forward pass")
    workspace.featureGradient.resize(rows: outputGradient.rows, columns: configuration.encoding.outputColumns)
    parameters.network.backward(
      outputGradient: outputGradient, workspace: &workspace.base, into: &gradients.network.parameters,
      conditionGradient: &workspace.featureGradient, accumulate: accumulate)
    encoder.tableGradients(
      workspace.condition, featureGradient: workspace.featureGradient, into: &gradients.tables,
      accumulate: accumulate)
  }

  /// The parameter gradient and `∂L/∂[θ ‖ m]` through the encoding.
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout EncodedConditionWorkspace<Base>,
    into gradients: inout EncodedConditionParameters<Base>, conditionGradient: inout Matrix<Scalar>,
    accumulate: Bool
  ) {
    backward(outputGradient: outputGradient, workspace: &workspace, into: &gradients, accumulate: accumulate)
    encoder.conditionGradient(
      workspace.condition, featureGradient: workspace.featureGradient, tables: parameters.tables,
      into: &conditionGradient)
  }

  /// `vᵀ ∂f/∂x`: the base network's (the condition does not depend on x).
  @inlinable
  public func inputGradient(
    outputGradient: Matrix<Scalar>, workspace: inout EncodedConditionWorkspace<Base>,
    into inputGradient: inout Matrix<Scalar>
  ) {
    parameters.network.inputGradient(
      outputGradient: outputGradient, workspace: &workspace.base, into: &inputGradient)
  }

  /// The base network's Jacobian buffers, and room for the encoded condition.
  public func makeJacobianWorkspace(rows: Int, probesPerRow: Int) -> EncodedConditionJacobianWorkspace<Base> {
    EncodedConditionJacobianWorkspace(
      base: parameters.network.makeJacobianWorkspace(rows: rows, probesPerRow: probesPerRow))
  }

  /// The base network's products at the encoded condition.
  @inlinable
  public func vectorJacobianProducts(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, probes: Matrix<Scalar>,
    into products: inout Matrix<Scalar>, output: inout Matrix<Scalar>,
    workspace: inout EncodedConditionJacobianWorkspace<Base>
  ) {
    encode(condition, rows: x.rows, into: &workspace.features)
    parameters.network.vectorJacobianProducts(
      x, times: times, condition: workspace.features, probes: probes, into: &products, output: &output,
      workspace: &workspace.base)
  }

  /// The base network's exact divergence at the encoded condition.
  @inlinable
  public func divergence(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, output: inout Matrix<Scalar>,
    into divergence: inout [Scalar], workspace: inout EncodedConditionJacobianWorkspace<Base>
  ) {
    encode(condition, rows: x.rows, into: &workspace.features)
    parameters.network.divergence(
      x, times: times, condition: workspace.features, output: &output, into: &divergence,
      workspace: &workspace.base)
  }

  /// The base network's tensors, the hash tables, and the Fourier frequencies.
  public func namedTensors() -> NamedTensors<Scalar> {
    var tensors = parameters.network.namedTensors()
    for (l, t) in parameters.tables.enumerated() {
      tensors.append(
        name: EncodedConditionParameters<Base>.tableName(level: l), shape: [t.rows, t.columns], values: t)
    }
    if case .fourier = configuration.encoding.encoding {
      let b = encoder.frequencies
      tensors.append(name: Self.frequenciesName, shape: [b.rows, b.columns], values: b)
    }
    return tensors
  }

  /// Overwrites every tensor (base network, tables, frequencies) with the one of the same name.
  /// - Throws: ``SafeTensorsError/unexpectedTensor(name:)``,
  ///   ``SafeTensorsError/missingTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; nothing changes then.
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    try tensors.rejectNames(notIn: namedTensors())
    var network = parameters.network
    let baseNames = Set(network.namedTensors().names)
    var baseTensors = NamedTensors<Scalar>()
    for t in tensors.entries where baseNames.contains(t.name) { baseTensors.append(t) }
    try network.load(from: baseTensors)
    var tables = parameters.tables
    var frequencies = encoder.frequencies
    for (name, shape) in Self.encodingTensorShapes(configuration.encoding) {
      guard let t = tensors[name] else { throw .missingTensor(name: name) }
      guard t.shape == shape else { throw .shapeMismatch(name: name, expected: shape, found: t.shape) }
      let values = t.values.reshaped(rows: shape[0], columns: shape[1])
      if name == Self.frequenciesName {
        frequencies = values
      } else {
        tables[Int(name.split(separator: ".").last!)!] = values
      }
    }
    parameters = EncodedConditionParameters(network: network, tables: tables)
    encoder.frequencies = frequencies
  }
}

/// A network that records a ``ParameterEncodingConfiguration`` (for callers that see the network
/// only as `any ScoreNetwork`, such as a command-line tool checking a condition's range).
public protocol ParameterEncodedNetwork {
  /// The encoding of the condition and its training ranges.
  var parameterEncoding: ParameterEncodingConfiguration { get }
}

extension EncodedConditionNetwork: ParameterEncodedNetwork {
  /// `configuration.encoding`.
  public var parameterEncoding: ParameterEncodingConfiguration { configuration.encoding }
}
