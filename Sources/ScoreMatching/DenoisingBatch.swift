public import LinearAlgebra

/// One batch of the denoising score-matching loss: the times, the noise, the perturbed points
/// the network sees, the regression targets and the per-row loss coefficients.
///
/// Filled by ``DenoisingScoreMatching/prepare(_:into:using:)``; its buffers are reused, so a
/// training step allocates nothing once the batch has had its size.
///
/// For a matrix-kernel process (see ``DenoisingScoreMatching``) the rows are `D` wide (the state:
/// `(x, v)` for critically-damped Langevin diffusion), the perturbed point is `A x₀ᵢ + m + C zᵢ`,
/// the target `zᵢ` and `κᵢ = 1`, over ``lossColumns``.
///
/// For row `i` with time `tᵢ`, kernel `(aᵢ, σᵢ, shiftᵢ)`, data `x₀ᵢ` and noise `zᵢ`:
///
///     perturbedᵢ = aᵢ·x₀ᵢ + shiftᵢ + σᵢ·zᵢ,
///     targetᵢ    = zᵢ (ε-prediction),  −zᵢ/σᵢ (score),  x₀ᵢ (x₀-prediction),
///                  ((1 − c_skip)·x₀ᵢ − c_skip·σ̃ᵢ·zᵢ)/c_out (EDM),
///     lossᵢ      = κᵢ·‖fᵢ − targetᵢ‖²   for the network output fᵢ.
///
/// The network is fed ``networkInput`` at ``networkTimes``: `(perturbed, times)` itself, or with
/// EDM's preconditioning `(c_in·(x_t − shift)/a, c_noise)`
/// (``Parameterization/networkInput(at:scale:standardDeviation:shift:)``).
public struct DenoisingBatch<Scalar: BLASScalar>: Sendable {
  @usableFromInline var timeBuffer: [Scalar]
  @usableFromInline var noiseBuffer: Matrix<Scalar>
  @usableFromInline var perturbedBuffer: Matrix<Scalar>
  @usableFromInline var targetBuffer: Matrix<Scalar>
  @usableFromInline var weightBuffer: [Scalar]
  /// The conditioned network input and times (EDM); empty when the network sees `(x_t, t)`.
  @usableFromInline var conditionedInputBuffer = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var conditionedTimeBuffer: [Scalar] = []
  /// The columns the loss sees, or `nil` for all of them.
  @usableFromInline var scoredColumns: Range<Int>? = nil

  /// `tᵢ`, one per row.
  @inlinable public var times: [Scalar] { timeBuffer }
  /// `zᵢ ~ N(0, I)`, `n × d`.
  @inlinable public var noise: Matrix<Scalar> { noiseBuffer }
  /// `x_tᵢ`, `n × d`.
  @inlinable public var perturbed: Matrix<Scalar> { perturbedBuffer }
  /// What the network is fed: ``perturbed``, or EDM's conditioned input `c_in·(x_t − shift)/a`.
  @inlinable public var networkInput: Matrix<Scalar> {
    conditionedTimeBuffer.count == rows && rows > 0 ? conditionedInputBuffer : perturbedBuffer
  }
  /// The times the network's embedding sees: ``times``, or EDM's `c_noise = ¼·ln σ̃`.
  @inlinable public var networkTimes: [Scalar] {
    conditionedTimeBuffer.count == rows && rows > 0 ? conditionedTimeBuffer : timeBuffer
  }
  /// The regression target of the network output, `n × d`.
  @inlinable public var targets: Matrix<Scalar> { targetBuffer }
  /// `κᵢ`, the weight of row `i`'s squared error (weighting × parameterisation × importance).
  @inlinable public var weights: [Scalar] { weightBuffer }
  /// The columns of the target the loss compares (`0..<D`, or the velocities `d..<2d` of
  /// critically-damped Langevin diffusion's hybrid score matching); the others are ignored.
  @inlinable public var lossColumns: Range<Int> { scoredColumns ?? 0..<perturbedBuffer.columns }

  /// An empty batch; the first ``DenoisingScoreMatching/prepare(_:into:using:)`` sizes it.
  public init() {
    timeBuffer = []
    noiseBuffer = Matrix(rows: 0, columns: 0)
    perturbedBuffer = Matrix(rows: 0, columns: 0)
    targetBuffer = Matrix(rows: 0, columns: 0)
    weightBuffer = []
  }

  /// A batch with buffers for `rows × dimension`.
  ///
  /// - Parameters:
  ///   - rows: the batch size `n`.
  ///   - dimension: `d`.
  public init(rows: Int, dimension: Int) {
    timeBuffer = [Scalar](repeating: 0, count: rows)
    noiseBuffer = Matrix(rows: rows, columns: dimension)
    perturbedBuffer = Matrix(rows: rows, columns: dimension)
    targetBuffer = Matrix(rows: rows, columns: dimension)
    weightBuffer = [Scalar](repeating: 0, count: rows)
  }

  /// The number of rows.
  @inlinable public var rows: Int { perturbedBuffer.rows }

  /// Gives every buffer the shape `rows × dimension` (no allocation when it already has it).
  @inlinable
  mutating func prepare(rows: Int, dimension: Int) {
    if timeBuffer.count != rows {
      timeBuffer = [Scalar](repeating: 0, count: rows)
      weightBuffer = [Scalar](repeating: 0, count: rows)
    }
    if noiseBuffer.rows != rows || noiseBuffer.columns != dimension {
      noiseBuffer.resize(rows: rows, columns: dimension)
      perturbedBuffer.resize(rows: rows, columns: dimension)
      targetBuffer.resize(rows: rows, columns: dimension)
    }
  }

  /// Sizes the conditioned input and times to the batch (no allocation when they have its size).
  @inlinable
  mutating func prepareConditionedInput() {
    if conditionedInputBuffer.rows != perturbedBuffer.rows
      || conditionedInputBuffer.columns != perturbedBuffer.columns
    {
      conditionedInputBuffer.resize(rows: perturbedBuffer.rows, columns: perturbedBuffer.columns)
    }
    if conditionedTimeBuffer.count != perturbedBuffer.rows {
      conditionedTimeBuffer = [Scalar](repeating: 0, count: perturbedBuffer.rows)
    }
  }
}
