public import LinearAlgebra
import RealModule

/// Gaussian random Fourier features of the time, `γ(t) = [sin(2πtW₁), …, sin(2πtW_m),
/// cos(2πtW₁), …, cos(2πtW_m)]` with fixed frequencies `W_k ~ N(0, scale²)` (Tancik et al. 2020,
/// "Fourier Features Let Networks Learn High Frequency Functions"; the time embedding of Song et
/// al. 2021's NCSN++ and of the reference `Net` in `shared/bench/torch_ref.py`).
///
/// The frequencies are drawn once and never trained (a PyTorch buffer, saved as
/// `embedding.frequencies`, shape `[m]`). The defaults, 16 frequencies at scale 16, are the
/// reference network's. The angle is computed as `((t·W_k)·2)·π`, in PyTorch's order.
///
/// The networks write `γ(t)` for each row with ``writeFeatures(at:into:)``; nothing is
/// differentiated with respect to the time.
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let embedding = GaussianFourierEmbedding<Float>(frequencyCount: 16, scale: 16, using: &rng)
/// var features = [Float](repeating: 0, count: embedding.outputDimension)     // 32
/// features.withUnsafeMutableBufferPointer { embedding.writeFeatures(at: 0.1, into: $0.baseAddress!) }
/// ```
public struct GaussianFourierEmbedding<Scalar: BLASScalar>: Sendable {
  /// W, `1 × m`.
  public var frequencies: Matrix<Scalar>

  /// An embedding with `frequencyCount` frequencies `W_k = scale · ξ_k`, ξ_k ~ N(0, 1) drawn from
  /// `rng` in order.
  public init<G: RandomNumberGenerator>(frequencyCount: Int = 16, scale: Scalar = 16, using rng: inout G) {
    precondition(
      frequencyCount > 0, "GaussianFourierEmbedding needs at least one frequency, got \(frequencyCount)")
    self.frequencies = .randomNormal(rows: 1, columns: frequencyCount, standardDeviation: scale, using: &rng)
  }

  /// An embedding with the given frequencies W (for example loaded from a file).
  public init(frequencies: [Scalar]) {
    precondition(!frequencies.isEmpty, "GaussianFourierEmbedding needs at least one frequency")
    self.frequencies = Matrix(rows: 1, columns: frequencies.count, elements: frequencies)
  }

  /// 1 (the time).
  @inlinable public var inputDimension: Int { 1 }
  /// 2m.
  @inlinable public var outputDimension: Int { 2 * frequencies.columns }

  /// Writes `γ(t)` to `features[0 ..< 2m]`.
  @inlinable
  public func writeFeatures(at t: Scalar, into features: UnsafeMutablePointer<Scalar>) {
    writeSinesAndCosines(of: frequencies, into: features) { w in
      let u = t * w
      return (u + u) * Scalar.pi
    }
  }
}
