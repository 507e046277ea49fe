public import LinearAlgebra

/// Dropout of hidden units during training (Srivastava, Hinton, Krizhevsky, Sutskever &
/// Salakhutdinov 2014, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting"), in
/// the inverted form: each hidden activation `a` of a training forward pass becomes
///
///     ã = a · mᵢⱼ / (1 − p),   mᵢⱼ ~ Bernoulli(1 − p) independently,
///
/// so that `E[ã] = a` and inference (``ScoreNetwork/evaluate(_:times:condition:into:workspace:)``,
/// the Jacobian products, the divergence) uses the network as it is, with no rescaling. The
/// backward pass of a dropped-out forward pass multiplies by the same `mᵢⱼ / (1 − p)`.
///
/// The mask is a pure function of ``seed``, the hidden layer, the row's index in the whole batch
/// (``firstRow`` plus its index in the forward pass) and the unit: a counter-based draw
/// (SplitMix64 of those indices), so a batch cut into row blocks on several threads gets the same
/// mask as in one pass, and a fixed `Dropout` value gives the same mask on every call (which the
/// finite-difference gradient tests rely on). The ``Trainer`` draws one seed per step from the
/// step's generator.
///
/// ```swift
/// let dropout = Dropout(rate: 0.1, seed: rng.next())
/// network.forward(x, times: .perRow(t), condition: nil, into: &out, workspace: &ws, dropout: dropout)
/// network.backward(outputGradient: g, workspace: &ws, into: &gradients)
/// ```
public struct Dropout: Sendable, Hashable {
  /// p, the probability of dropping a unit, in `[0, 1)`.
  public var rate: Double
  /// The seed of the masks.
  public var seed: UInt64
  /// The index, in the whole batch, of the forward pass's first row.
  public var firstRow: Int

  /// Dropout at rate `p` with the masks of `seed`.
  ///
  /// - Parameters:
  ///   - rate: p ∈ [0, 1).
  ///   - seed: the masks' seed.
  ///   - firstRow: the batch index of the pass's first row (0 unless the pass is one row block of
  ///     a larger batch).
  public init(rate: Double, seed: UInt64, firstRow: Int = 0) {
    precondition(rate >= 0 && rate < 1, "Dropout: the rate must lie in [0, 1), got \(rate)")
    self.rate = rate
    self.seed = seed
    self.firstRow = firstRow
  }

  /// No dropout: the forward pass is the plain one, bit for bit.
  public static let none = Dropout(rate: 0, seed: 0)

  /// Whether any unit can be dropped (`p > 0`).
  @inlinable public var isActive: Bool { rate > 0 }

  /// The same masks for the rows from `offset` on (a row block of the batch).
  ///
  /// - Parameter offset: the block's first row within this pass.
  /// - Returns: dropout whose ``firstRow`` is `firstRow + offset`.
  @inlinable
  public func shifted(by offset: Int) -> Dropout {
    var copy = self
    copy.firstRow += offset
    return copy
  }

  /// Whether unit `unit` of row `row` (in the whole batch) of hidden layer `layer` is kept.
  ///
  /// - Parameters:
  ///   - layer: the hidden layer (or block) index.
  ///   - row: the row's index in the whole batch.
  ///   - unit: the unit.
  /// - Returns: `u ≥ p` for the entry's uniform draw `u ∈ [0, 1)`.
  @inlinable
  public func keeps(layer: Int, row: Int, unit: Int) -> Bool {
    let rowKey = Self.mix(
      seed ^ Self.mix(UInt64(truncatingIfNeeded: layer) &<< 40 ^ UInt64(truncatingIfNeeded: row)))
    let bits = Self.mix(rowKey &+ UInt64(truncatingIfNeeded: unit) &* 0x9E37_79B9_7F4A_7C15)
    return Double(bits >> 11) * 0x1p-53 >= rate
  }

  /// Multiplies `values` (and `derivatives`, when given) of hidden layer `layer` by
  /// `mᵢⱼ / (1 − p)`: row `i` of the pass is batch row `firstRow + i`.
  ///
  /// - Parameters:
  ///   - values: the layer's `n × H` activations.
  ///   - derivatives: the matching `n × H` pullback factors (σ′), or `nil`.
  ///   - layer: the hidden layer's index.
  @inlinable
  public func apply<Scalar: BLASScalar>(
    to values: inout Matrix<Scalar>, derivatives: inout Matrix<Scalar>, layer: Int
  ) {
    guard isActive else { return }
    let (n, h) = (values.rows, values.columns)
    precondition(
      derivatives.rows == n && derivatives.columns == h,
      "Dropout.apply: derivatives \(derivatives.shapeDescription) for values \(values.shapeDescription)")
    let scale = Scalar(1 / (1 - rate))
    values.withUnsafeMutableBufferPointer { v in
      derivatives.withUnsafeMutableBufferPointer { d in
        for i in 0..<n {
          for j in 0..<h {
            let factor: Scalar = keeps(layer: layer, row: firstRow + i, unit: j) ? scale : 0
            v[i * h + j] *= factor
            d[i * h + j] *= factor
          }
        }
      }
    }
  }

  /// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words whose
  /// outputs of consecutive inputs look independent.
  @inlinable
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z &>> 31)
  }
}
