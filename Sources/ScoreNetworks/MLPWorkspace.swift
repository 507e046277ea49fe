public import LinearAlgebra

/// The activations and pullback buffers of an ``MLP`` for one batch size: everything a
/// training step needs, made once by ``MLP/makeWorkspace(rows:)`` and reused, so that
/// ``MLP/forward(_:times:condition:into:workspace:)`` and
/// ``MLP/backward(outputGradient:workspace:into:accumulate:)`` allocate nothing.
///
/// A workspace serves batches of any size; a batch larger than any before grows the buffers
/// once. It belongs to one model architecture and one thread at a time.
public struct MLPWorkspace<Scalar: BLASScalar>: Sendable {
  @usableFromInline var rows: Int
  @usableFromInline var input: Matrix<Scalar>
  @usableFromInline var hidden: [Matrix<Scalar>]
  @usableFromInline var derivatives: [Matrix<Scalar>]
  @usableFromInline var normalized: [Matrix<Scalar>]
  @usableFromInline var inverseStandardDeviations: [Matrix<Scalar>]
  @usableFromInline var gradient: Matrix<Scalar>
  @usableFromInline var scratch: Matrix<Scalar>
  /// W₀'s columns for x, transposed: `d × H`, entry (k, j) = W₀[j, k]; refreshed by each pass
  /// that needs `∂/∂x`.
  @usableFromInline var inputWeights: Matrix<Scalar>
  @usableFromInline var hasForwardPass = false
  /// The first layer's bias with the shared time features folded in (`1 × H`), when the last
  /// pass had one time for all rows.
  @usableFromInline var timeBias = Matrix<Scalar>(rows: 1, columns: 0)
  /// The parameter gradient that ``MLP/inputGradient(outputGradient:workspace:into:)`` forms
  /// and discards, made on its first call.
  @usableFromInline var scratchGradients: MLPGradients<Scalar>? = nil

  /// Buffers for `rows` rows of the network `configuration`.
  init(configuration c: MLPConfiguration, rows: Int) {
    precondition(rows >= 0, "MLPWorkspace: rows must be non-negative, got \(rows)")
    let (h, l) = (c.width, c.depth)
    self.rows = rows
    input = Matrix(rows: rows, columns: c.networkInputDimension)
    hidden = (0..<l).map { _ in Matrix(rows: rows, columns: h) }
    derivatives = (0..<l).map { _ in Matrix(rows: rows, columns: h) }
    normalized = c.layerNorm ? (0..<l).map { _ in Matrix(rows: rows, columns: h) } : []
    inverseStandardDeviations = c.layerNorm ? (0..<l).map { _ in Matrix(rows: rows, columns: 1) } : []
    gradient = Matrix(rows: rows, columns: h)
    scratch = Matrix(rows: rows, columns: h)
    inputWeights = Matrix(rows: c.inputDimension, columns: h)
  }

  /// The number of rows of the last forward pass (or of the creation).
  public var batchSize: Int { rows }
  /// h₀ = [x ‖ γ(t) ‖ c] of the last forward pass, `rows × (d + dim γ + c)`.
  public var networkInput: Matrix<Scalar> { input }
  /// h_l, the outputs of the hidden layers in the last forward pass, `rows × H` each.
  public var hiddenActivations: [Matrix<Scalar>] { hidden }
  /// σ′ at each hidden layer's pre-activation in the last forward pass, `rows × H` each.
  public var activationDerivatives: [Matrix<Scalar>] { derivatives }
  /// Whether the last pass kept what `backward` needs: true after `forward`, false after
  /// `evaluate` (inference) unless the network is layer-normalised.
  public var holdsForwardPass: Bool { hasForwardPass }

  /// The base address of every buffer, for checking that they stay in place
  /// across steps (a changed address means a reallocation).
  public func bufferAddresses() -> [UnsafeRawPointer?] {
    var all = [input, gradient, scratch, inputWeights] + hidden + derivatives + normalized
    all += inverseStandardDeviations
    return all.map { m in m.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
  }

  /// Resizes every buffer to `newRows` rows (no allocation unless the batch is the largest yet).
  @usableFromInline
  mutating func prepare(rows newRows: Int) {
    hasForwardPass = false
    if newRows == rows { return }
    rows = newRows
    input.resize(rows: newRows, columns: input.columns)
    for l in hidden.indices {
      hidden[l].resize(rows: newRows, columns: hidden[l].columns)
      derivatives[l].resize(rows: newRows, columns: derivatives[l].columns)
    }
    for l in normalized.indices {
      normalized[l].resize(rows: newRows, columns: normalized[l].columns)
      inverseStandardDeviations[l].resize(rows: newRows, columns: 1)
    }
    gradient.resize(rows: newRows, columns: gradient.columns)
    scratch.resize(rows: newRows, columns: scratch.columns)
  }
}
