public import Foundation
public import LinearAlgebra

/// A trainable network `f(x, γ(t), c)` with hand-written backpropagation: what ``Trainer``,
/// `NetworkScoreModel`, the exact likelihood and the model file are generic over.
///
/// A conforming type maps `n × d` points, their times and optional `n × k` conditions to an
/// `n × d` output; whether that output is a score, a noise prediction ε or clean data is the
/// caller's convention (the network knows nothing of SDEs). It provides:
///
/// - **parameters** as a ``ParameterGroup`` of named tensors, which is all that optimizers,
///   gradient clipping, the weight average and the safetensors I/O need;
/// - a **forward pass** into a per-caller ``Workspace`` that keeps what backpropagation needs,
///   and an inference-only ``evaluate(_:times:condition:into:workspace:)``;
/// - **backpropagation** of `∂L/∂out` into parameter gradients
///   (``backward(outputGradient:workspace:into:accumulate:)``) and into the input
///   (``inputGradient(outputGradient:workspace:into:)``, one vector–Jacobian product `vᵀ ∂f/∂x`
///   per row);
/// - **batched input vector–Jacobian products** with several probes per point, and the exact
///   divergence `tr ∂f/∂x`, which the probability-flow likelihood needs. Both have default
///   implementations (below) built on the forward pass and ``inputGradient(outputGradient:workspace:into:)``
///   over the points stacked once per probe; a network with a faster way overrides them, as
///   ``MLP`` does;
/// - a Codable **configuration** and an ``architectureName``, so that a model file records which
///   network it holds and rebuilds it with ``init(configuration:using:)``.
///
/// Conforming is all a user's own network needs to be trained, sampled and evaluated by the
/// library (see `Examples/CustomNetwork`):
///
/// ```swift
/// struct Tiny: ScoreNetwork { … }                      // parameters, forward, backward, …
/// var trainer = try Trainer(
///   process: VPSDE<Double>(), network: Tiny.self, architecture: Tiny.Configuration(dimension: 2),
///   source: source)
/// ```
///
/// Contracts: `forward` and `evaluate` give the same output; `backward` and `inputGradient`
/// read the last `forward` in the same workspace (not an `evaluate`); a workspace serves
/// batches of any size and belongs to one thread at a time; nothing allocates once a workspace
/// has seen the batch size (the default Jacobian implementations allocate their stacked copies
/// once per size).
public protocol ScoreNetwork<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// The architecture's settings (sizes, embedding, activation…), stored in model files.
  associatedtype Configuration: Codable, Sendable, Equatable
  /// The trainable tensors (and, with the same shapes, their gradient).
  associatedtype Parameters: ParameterGroup where Parameters.Scalar == Scalar
  /// Activations and pullback buffers of one forward pass.
  associatedtype Workspace: Sendable
  /// Buffers for ``vectorJacobianProducts(_:times:condition:probes:into:output:workspace:)``.
  associatedtype JacobianWorkspace: Sendable = StackedJacobianWorkspace<Self>

  /// The short name recorded in model files, such as `"mlp"` or `"resmlp"`.
  static var architectureName: String { get }

  /// Why `configuration` cannot be built (a size out of range, say), or `nil` when it can; used
  /// to refuse a model file's configuration before anything is allocated.
  static func validationFailure(of configuration: Configuration) -> String?

  /// The names and PyTorch shapes of ``namedTensors()`` for `configuration`, in order, when
  /// they can be known without building the network (defaults to `nil`). A model file's
  /// tensors are checked against them before anything is allocated, so that a configuration
  /// that lies about the sizes cannot make the reader allocate more than the file holds.
  static func expectedTensorShapes(for configuration: Configuration) -> [(name: String, shape: [Int])]?

  /// A freshly initialised network, reproducible from the generator's state.
  init<G: RandomNumberGenerator>(configuration: Configuration, using rng: inout G)

  /// The architecture.
  var configuration: Configuration { get }
  /// `d`, the columns of `x` and of the output.
  var inputDimension: Int { get }
  /// `k`, the columns of the condition (0 for an unconditional network).
  var conditionDimension: Int { get }
  /// The trainable tensors.
  var parameters: Parameters { get set }

  /// Buffers for batches of `rows` rows.
  func makeWorkspace(rows: Int) -> Workspace

  /// `out[i] = f(x[i], tᵢ, c[i])`, keeping in `workspace` what a following backward pass reads.
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × k` conditions when ``conditionDimension`` `> 0`, else `nil`.
  ///   - out: receives the `n × d` output.
  ///   - workspace: from ``makeWorkspace(rows:)``.
  func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace)

  /// Whether ``forward(_:times:condition:into:workspace:dropout:)`` implements dropout
  /// (defaults to `false`: a trainer refuses a positive dropout rate for the network).
  static var supportsDropout: Bool { get }

  /// ``forward(_:times:condition:into:workspace:)`` with ``Dropout`` on the hidden units, for
  /// training: a following backward pass differentiates the dropped-out network. With
  /// `Dropout.none` it is the plain forward pass, bit for bit (the default implementation,
  /// which allows nothing else).
  func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace, dropout: Dropout)

  /// The same output as ``forward(_:times:condition:into:workspace:)``, for inference only (a
  /// backward pass may not follow). Defaults to `forward`.
  func evaluate(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace)

  /// `∂L/∂θ` from `∂L/∂out` of the last forward pass in `workspace`.
  ///
  /// - Parameters:
  ///   - outputGradient: `n × d`.
  ///   - workspace: the workspace of that forward pass.
  ///   - gradients: receives (or, with `accumulate`, adds) `∂L/∂θ`; shaped like ``parameters``.
  ///   - accumulate: add to `gradients` instead of overwriting them.
  func backward(
    outputGradient: Matrix<Scalar>, workspace: inout Workspace, into gradients: inout Parameters,
    accumulate: Bool)

  /// `∂L/∂x = (∂L/∂out)ᵀ ∂f/∂x` row by row, for the last forward pass in `workspace`: one
  /// vector–Jacobian product per row, with no parameter gradient.
  ///
  /// - Parameters:
  ///   - outputGradient: `n × d`, the vectors `vᵢ`.
  ///   - workspace: the workspace of that forward pass.
  ///   - inputGradient: receives the `n × d` products `vᵢᵀ ∂f(xᵢ)/∂x`.
  func inputGradient(
    outputGradient: Matrix<Scalar>, workspace: inout Workspace, into inputGradient: inout Matrix<Scalar>)

  /// Buffers for Jacobian products of `rows` points with `probesPerRow` probes each.
  func makeJacobianWorkspace(rows: Int, probesPerRow: Int) -> JacobianWorkspace

  /// For point `i` and probe `k`, `products[i·P + k] = vᵢₖᵀ ∂f(xᵢ, tᵢ, cᵢ)/∂x` with
  /// `vᵢₖ = probes[i·P + k]`, and `output = f(x)`.
  ///
  /// - Parameters:
  ///   - x: `n × d` points (`n > 0`).
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × k` conditions or `nil`.
  ///   - probes: `(n·P) × d`.
  ///   - products: receives `(n·P) × d` products.
  ///   - output: receives `f(x)`, `n × d`.
  ///   - workspace: from ``makeJacobianWorkspace(rows:probesPerRow:)``.
  func vectorJacobianProducts(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, probes: Matrix<Scalar>,
    into products: inout Matrix<Scalar>, output: inout Matrix<Scalar>, workspace: inout JacobianWorkspace)

  /// The exact divergence `tr ∂f(xᵢ)/∂x` of every point, and `output = f(x)`; the workspace
  /// comes from ``makeJacobianWorkspace(rows:probesPerRow:)`` with `probesPerRow = d`.
  ///
  /// - Parameters:
  ///   - x: `n × d` points (`n > 0`).
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × k` conditions or `nil`.
  ///   - output: receives `f(x)`, `n × d`.
  ///   - divergence: receives `n` traces (its count must be `n`).
  ///   - workspace: the Jacobian workspace.
  func divergence(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, output: inout Matrix<Scalar>,
    into divergence: inout [Scalar], workspace: inout JacobianWorkspace)

  /// Every tensor that defines the network, named (PyTorch `state_dict` style): the parameters
  /// and any fixed buffers (such as random Fourier frequencies). Defaults to the parameters.
  func namedTensors() -> NamedTensors<Scalar>

  /// Overwrites the network's tensors with those of the same names.
  /// - Throws: ``SafeTensorsError/missingTensor(name:)``,
  ///   ``SafeTensorsError/unexpectedTensor(name:)`` or
  ///   ``SafeTensorsError/shapeMismatch(name:expected:found:)``; the network is unchanged then.
  mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError)
}

extension ScoreNetwork {
  /// The metadata key of the configuration's JSON in a safetensors file:
  /// `score_sde.<architectureName>.configuration`.
  public static var configurationMetadataKey: String { "score_sde.\(architectureName).configuration" }

  /// The metadata key of the architecture's name in a safetensors file.
  public static var architectureMetadataKey: String { "score_sde.network.architecture" }

  /// No shapes known in advance: the file's tensors are checked after the network is built.
  public static func expectedTensorShapes(for configuration: Configuration) -> [(name: String, shape: [Int])]?
  {
    nil
  }

  /// The number of trainable scalars.
  public var parameterCount: Int { parameters.scalarCount }

  /// A zero gradient shaped like ``parameters``.
  public func makeGradients() -> Parameters {
    var zero = parameters
    zero.setToZero()
    return zero
  }

  /// ``backward(outputGradient:workspace:into:accumulate:)`` overwriting `gradients`.
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout Workspace, into gradients: inout Parameters
  ) {
    backward(outputGradient: outputGradient, workspace: &workspace, into: &gradients, accumulate: false)
  }

  /// The forward pass.
  @inlinable
  public func evaluate(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace
  ) {
    forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  }

  /// The network applied to each row, as a new matrix (allocates; for inference and tests).
  public func callAsFunction(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil
  ) -> Matrix<Scalar> {
    var workspace = makeWorkspace(rows: x.rows)
    var out = Matrix<Scalar>(rows: x.rows, columns: inputDimension)
    evaluate(x, times: times, condition: condition, into: &out, workspace: &workspace)
    return out
  }

  /// The parameters, named.
  public func namedTensors() -> NamedTensors<Scalar> { parameters.namedTensors() }

  /// Overwrites the parameters with the tensors of the same names.
  public mutating func load(from tensors: NamedTensors<Scalar>) throws(SafeTensorsError) {
    var updated = parameters
    try tensors.rejectNames(notIn: updated.namedTensors())
    try updated.load(from: tensors)
    parameters = updated
  }

  /// The metadata written with the tensors: `"format": "pt"`, the architecture's name and the
  /// configuration as JSON.
  public var metadata: [String: String] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    return [
      "format": "pt", Self.configurationMetadataKey: json,
      Self.architectureMetadataKey: Self.architectureName,
    ]
  }

  /// Writes the network to a safetensors file, atomically, in the precision `Scalar`, with its
  /// architecture and configuration in the metadata so that ``load(from:)`` rebuilds it.
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - extraMetadata: more string entries for the header (the network's own win on a clash).
  /// - Throws: ``SafeTensorsError/unwritable(path:reason:)``.
  public func save(to url: URL, extraMetadata: [String: String] = [:]) throws(SafeTensorsError) {
    try SafeTensors.write(
      namedTensors(), metadata: metadata.merging(extraMetadata) { own, _ in own }, to: url)
  }

  /// The bytes ``save(to:extraMetadata:)`` writes, for a caller that puts them in a file of its
  /// own (one of several outputs committed together, say).
  ///
  /// - Parameter extraMetadata: more string entries for the header (the network's own win).
  /// - Returns: the safetensors file's contents.
  public func fileContents(extraMetadata: [String: String] = [:]) -> Data {
    SafeTensors.encode(namedTensors(), metadata: metadata.merging(extraMetadata) { own, _ in own })
  }

  /// The network stored in a safetensors file by ``save(to:extraMetadata:)``.
  ///
  /// - Parameter url: the file.
  /// - Returns: the network, in the precision `Scalar` (converted if the file has the other).
  /// - Throws: any ``SafeTensorsError``: a malformed file, a file for another architecture,
  ///   metadata without a valid configuration, a missing, extra or misshapen tensor.
  public static func load(from url: URL) throws(SafeTensorsError) -> Self {
    let (tensors, metadata) = try SafeTensors.read(from: url, as: Scalar.self)
    return try network(tensors: tensors, metadata: metadata)
  }

  /// The network described by a safetensors file's tensors and metadata (see ``load(from:)``).
  public static func network(
    tensors: NamedTensors<Scalar>, metadata: [String: String]
  ) throws(SafeTensorsError) -> Self {
    // Files written before the architecture key existed hold an MLP.
    let stored = metadata[architectureMetadataKey] ?? "mlp"
    guard stored == architectureName else {
      throw .invalidMetadata(
        key: architectureMetadataKey,
        reason: "the file holds a '\(stored)' network, not '\(architectureName)'")
    }
    let key = configurationMetadataKey
    guard let json = metadata[key] else {
      throw .invalidMetadata(
        key: key, reason: "absent: the file does not say which \(architectureName) it holds")
    }
    let configuration: Configuration
    do {
      configuration = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
    } catch {
      throw .invalidMetadata(key: key, reason: "not a valid configuration: \(error)")
    }
    if let failure = validationFailure(of: configuration) {
      throw .invalidMetadata(key: key, reason: "invalid configuration \(json): \(failure)")
    }
    if let expected = expectedTensorShapes(for: configuration) {
      for name in tensors.names where !expected.contains(where: { $0.name == name }) {
        throw .unexpectedTensor(name: name)
      }
      for (name, shape) in expected {
        guard let t = tensors[name] else { throw .missingTensor(name: name) }
        guard t.shape == shape else { throw .shapeMismatch(name: name, expected: shape, found: t.shape) }
      }
    }
    var rng = Xoshiro256(seed: 0)
    var network = Self(configuration: configuration, using: &rng)
    try network.load(from: tensors)
    return network
  }
}

/// The buffers of the default Jacobian products of a ``ScoreNetwork``: the points, times and
/// conditions stacked once per probe, and a workspace for the stacked forward pass.
public struct StackedJacobianWorkspace<Network: ScoreNetwork>: Sendable {
  /// The precision.
  public typealias Scalar = Network.Scalar
  @usableFromInline var workspace: Network.Workspace
  @usableFromInline var points = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var conditions = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var times: [Scalar] = []
  @usableFromInline var outputs = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var probes = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var products = Matrix<Scalar>(rows: 0, columns: 0)

  /// Buffers for `rows` points with `probesPerRow` probes each.
  public init(network: Network, rows: Int, probesPerRow: Int) {
    precondition(probesPerRow >= 1, "StackedJacobianWorkspace: probesPerRow must be ≥ 1, got \(probesPerRow)")
    workspace = network.makeWorkspace(rows: rows * probesPerRow)
  }

  /// Stacks `x` (and its times and conditions) `p` times, runs the forward pass on the `n·p`
  /// rows and pulls `stackedProbes` back to the input into ``products``; copies `f(x)` into
  /// `output`.
  @inlinable
  mutating func pullBack(
    _ network: Network, _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?,
    probes stackedProbes: Matrix<Scalar>, probesPerRow p: Int, output: inout Matrix<Scalar>
  ) {
    let (n, d) = (x.rows, x.columns)
    outputs.resize(rows: n * p, columns: d)
    products.resize(rows: n * p, columns: d)
    Self.repeatRows(of: x, times: p, into: &points)
    var stackedTimes = times
    if case .perRow(let t) = times {
      self.times.removeAll(keepingCapacity: true)
      for i in 0..<n { for _ in 0..<p { self.times.append(t[i]) } }
      stackedTimes = .perRow(self.times)
    }
    var stackedCondition: Matrix<Scalar>? = nil
    if let condition {
      Self.repeatRows(of: condition, times: p, into: &conditions)
      stackedCondition = conditions
    }
    network.forward(
      points, times: stackedTimes, condition: stackedCondition, into: &outputs, workspace: &workspace)
    network.inputGradient(outputGradient: stackedProbes, workspace: &workspace, into: &products)
    for i in 0..<n { output.copyRows((i * p)..<(i * p + 1), of: outputs, to: i) }
  }

  /// `stacked` ← each row of `source` repeated `p` times in a row (`(n·p) × columns`).
  @inlinable
  static func repeatRows(of source: Matrix<Scalar>, times p: Int, into stacked: inout Matrix<Scalar>) {
    let (n, c) = (source.rows, source.columns)
    stacked.resize(rows: n * p, columns: c)
    source.withUnsafeBufferPointer { s in
      stacked.withUnsafeMutableBufferPointer { out in
        for i in 0..<n {
          for k in 0..<p {
            for j in 0..<c { out[(i * p + k) * c + j] = s[i * c + j] }
          }
        }
      }
    }
  }
}

extension ScoreNetwork where JacobianWorkspace == StackedJacobianWorkspace<Self> {
  /// Stacked buffers (see ``StackedJacobianWorkspace``).
  public func makeJacobianWorkspace(rows: Int, probesPerRow: Int) -> JacobianWorkspace {
    StackedJacobianWorkspace(network: self, rows: rows, probesPerRow: probesPerRow)
  }

  /// The products by one forward pass over the points stacked once per probe and one
  /// ``inputGradient(outputGradient:workspace:into:)`` of all probes.
  @inlinable
  public func vectorJacobianProducts(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, probes: Matrix<Scalar>,
    into products: inout Matrix<Scalar>, output: inout Matrix<Scalar>, workspace: inout JacobianWorkspace
  ) {
    let (n, d) = (x.rows, inputDimension)
    precondition(
      n > 0 && probes.rows % n == 0 && probes.columns == d,
      "vectorJacobianProducts: probes \(probes.shapeDescription) for x \(x.shapeDescription); need (n·P)×\(d)"
    )
    precondition(
      products.rows == probes.rows && products.columns == d,
      "vectorJacobianProducts: products \(products.shapeDescription) for probes \(probes.shapeDescription)")
    workspace.pullBack(
      self, x, times: times, condition: condition, probes: probes, probesPerRow: probes.rows / n,
      output: &output)
    products.assign(workspace.products)
  }

  /// The exact divergence from the `d` unit probes: `Σ_k (e_kᵀ ∂f/∂x)_k`.
  @inlinable
  public func divergence(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, output: inout Matrix<Scalar>,
    into divergence: inout [Scalar], workspace: inout JacobianWorkspace
  ) {
    let (n, d) = (x.rows, inputDimension)
    precondition(divergence.count == n, "divergence: \(divergence.count) entries for \(n) rows")
    workspace.probes.resize(rows: n * d, columns: d)
    workspace.probes.withUnsafeMutableBufferPointer { e in
      for i in 0..<n {
        for k in 0..<d {
          for j in 0..<d { e[(i * d + k) * d + j] = j == k ? 1 : 0 }
        }
      }
    }
    let probes = workspace.probes
    workspace.pullBack(
      self, x, times: times, condition: condition, probes: probes, probesPerRow: d, output: &output)
    workspace.products.withUnsafeBufferPointer { v in
      for i in 0..<n {
        var trace: Scalar = 0
        for k in 0..<d { trace += v[(i * d + k) * d + k] }
        divergence[i] = trace
      }
    }
  }
}
