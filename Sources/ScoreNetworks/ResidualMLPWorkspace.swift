public import LinearAlgebra

/// The activations and pullback buffers of a ``ResidualMLP`` for one batch size, made once by
/// ``ResidualMLP/makeWorkspace(rows:)`` and reused, so that
/// ``ResidualMLP/forward(_:times:condition:into:workspace:)``,
/// ``ResidualMLP/backward(outputGradient:workspace:into:accumulate:)`` and
/// ``ResidualMLP/inputGradient(outputGradient:workspace:into:)`` allocate nothing.
///
/// A workspace serves batches of any size; a batch larger than any before grows the buffers
/// once. It belongs to one network architecture and one thread at a time.
public struct ResidualMLPWorkspace<Scalar: BLASScalar>: Sendable {
  @usableFromInline var rows: Int
  /// The rows of the conditioning buffers (e, m, σ′, ∂L/∂m and [s ‖ β]): `rows`, or 1 when one
  /// time serves every row of an unconditional network, so that m and the FiLM maps are formed
  /// once per pass instead of once per row.
  @usableFromInline var conditioningRows: Int
  /// x of the last forward pass, `n × d`.
  @usableFromInline var input: Matrix<Scalar>
  /// e = [γ(t) ‖ c], `n × E`.
  @usableFromInline var features: Matrix<Scalar>
  /// m = σ(e W_embᵀ + b_emb) and its σ′, `n × H`.
  @usableFromInline var conditioning: Matrix<Scalar>
  @usableFromInline var conditioningDerivative: Matrix<Scalar>
  /// h₀ … h_B, the residual stream, `n × H` each.
  @usableFromInline var hidden: [Matrix<Scalar>]
  /// [s_b ‖ β_b] of every block, `n × 2H`.
  @usableFromInline var film: [Matrix<Scalar>]
  /// LN(h_b) for b = 0 … B (the last before the output layer), `n × H`, and 1/√(var + ε), `n × 1`.
  @usableFromInline var normalized: [Matrix<Scalar>]
  @usableFromInline var inverseStandardDeviations: [Matrix<Scalar>]
  /// σ(v) and σ′(v) of every block, `n × H`.
  @usableFromInline var modulated: [Matrix<Scalar>]
  @usableFromInline var modulatedDerivative: [Matrix<Scalar>]
  /// σ(z) and σ′(z) of every block's first linear layer, `n × H`.
  @usableFromInline var inner: [Matrix<Scalar>]
  @usableFromInline var innerDerivative: [Matrix<Scalar>]
  /// Backward buffers: ∂L/∂h (`n × H`), two `n × H` scratches, ∂L/∂m (`n × H`), ∂L/∂[s ‖ β]
  /// (`n × 2H`), its column sums when the conditioning is shared (`1 × 2H`) and a copy of
  /// ∂L/∂out (`n × d`).
  @usableFromInline var hiddenGradient: Matrix<Scalar>
  @usableFromInline var scratch: Matrix<Scalar>
  @usableFromInline var scratch2: Matrix<Scalar>
  @usableFromInline var conditioningGradient: Matrix<Scalar>
  @usableFromInline var filmGradient: Matrix<Scalar>
  @usableFromInline var reducedFilmGradient: Matrix<Scalar>
  @usableFromInline var outputGradient: Matrix<Scalar>
  /// A row of H ones: the (absent) scale of the normalisations, for the shared pullback kernel.
  @usableFromInline var ones: Matrix<Scalar>
  @usableFromInline var hasForwardPass = false

  /// Buffers for `rows` rows of the network `configuration`.
  init(configuration c: ResidualMLPConfiguration, rows: Int) {
    precondition(rows >= 0, "ResidualMLPWorkspace: rows must be non-negative, got \(rows)")
    let (d, h, b) = (c.inputDimension, c.width, c.blocks)
    func square(_ count: Int, _ columns: Int = h) -> [Matrix<Scalar>] {
      (0..<count).map { _ in Matrix(rows: rows, columns: columns) }
    }
    self.rows = rows
    conditioningRows = rows
    input = Matrix(rows: rows, columns: d)
    features = Matrix(rows: rows, columns: c.embeddingDimension)
    conditioning = Matrix(rows: rows, columns: h)
    conditioningDerivative = Matrix(rows: rows, columns: h)
    hidden = square(b + 1)
    film = square(b, 2 * h)
    normalized = square(b + 1)
    inverseStandardDeviations = square(b + 1, 1)
    modulated = square(b)
    modulatedDerivative = square(b)
    inner = square(b)
    innerDerivative = square(b)
    hiddenGradient = Matrix(rows: rows, columns: h)
    scratch = Matrix(rows: rows, columns: h)
    scratch2 = Matrix(rows: rows, columns: h)
    conditioningGradient = Matrix(rows: rows, columns: h)
    filmGradient = Matrix(rows: rows, columns: 2 * h)
    reducedFilmGradient = Matrix(rows: 1, columns: 2 * h)
    outputGradient = Matrix(rows: rows, columns: d)
    ones = Matrix(rows: 1, columns: h, repeating: 1)
  }

  /// The number of rows of the last forward pass (or of the creation).
  public var batchSize: Int { rows }
  /// Whether the workspace holds a forward pass that a backward pass can read.
  public var holdsForwardPass: Bool { hasForwardPass }

  /// Every row-sized buffer, in a fixed order.
  @usableFromInline
  var batchBuffers: [Matrix<Scalar>] {
    [
      input, features, conditioning, conditioningDerivative, hiddenGradient, scratch, scratch2,
      conditioningGradient, filmGradient, outputGradient,
    ] + hidden + film + normalized + inverseStandardDeviations + modulated + modulatedDerivative + inner
      + innerDerivative
  }

  /// The base address of every buffer, for checking that they stay in place across steps (a
  /// changed address means a reallocation).
  public func bufferAddresses() -> [UnsafeRawPointer?] {
    (batchBuffers + [reducedFilmGradient, ones]).map { m in
      m.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }
  }

  /// Resizes every buffer to `newRows` rows, and the conditioning buffers to `newConditioningRows`
  /// (no allocation unless the batch is the largest yet: a buffer that shrinks keeps its
  /// capacity).
  @usableFromInline
  mutating func prepare(rows newRows: Int, conditioningRows newConditioningRows: Int) {
    hasForwardPass = false
    if newConditioningRows != conditioningRows {
      conditioningRows = newConditioningRows
      func fit(_ m: inout Matrix<Scalar>) { m.resize(rows: newConditioningRows, columns: m.columns) }
      fit(&features)
      fit(&conditioning)
      fit(&conditioningDerivative)
      fit(&conditioningGradient)
      for b in film.indices { fit(&film[b]) }
    }
    if newRows == rows { return }
    rows = newRows
    func fit(_ m: inout Matrix<Scalar>) { m.resize(rows: newRows, columns: m.columns) }
    func fit(_ ms: inout [Matrix<Scalar>]) {
      for i in ms.indices { ms[i].resize(rows: newRows, columns: ms[i].columns) }
    }
    fit(&input)
    fit(&hiddenGradient)
    fit(&scratch)
    fit(&scratch2)
    fit(&filmGradient)
    fit(&outputGradient)
    fit(&hidden)
    fit(&normalized)
    fit(&inverseStandardDeviations)
    fit(&modulated)
    fit(&modulatedDerivative)
    fit(&inner)
    fit(&innerDerivative)
  }
}
