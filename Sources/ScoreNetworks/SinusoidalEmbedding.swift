public import LinearAlgebra
import RealModule

/// The sinusoidal position embedding of transformers (Vaswani et al. 2017) applied to the time,
/// as in DDPM (Ho, Jain & Abbeel 2020) and score_sde's `get_timestep_embedding`:
///
///     ω_k = s · exp(−log(P) · k / (h − 1)),  k = 0 … h − 1,  h = D/2,
///     γ(t) = [sin(tω₀), …, sin(tω_{h−1}), cos(tω₀), …, cos(tω_{h−1})],
///
/// with maximum period `P` (10 000) and time scale `s` (1000, so that t ∈ [0, 1] spans the
/// integer steps 0…1000 of discrete diffusion models). Nothing is random or trained.
///
/// ```swift
/// let embedding = SinusoidalEmbedding<Double>(dimension: 32)
/// var features = [Double](repeating: 0, count: embedding.outputDimension)   // 32
/// features.withUnsafeMutableBufferPointer { embedding.writeFeatures(at: 0.5, into: $0.baseAddress!) }
/// ```
public struct SinusoidalEmbedding<Scalar: BLASScalar>: Sendable {
  /// D, the number of features (even, at least 4).
  public let dimension: Int
  /// P, the longest period in units of scaled time.
  public let maximumPeriod: Scalar
  /// s, the factor applied to t first.
  public let timeScale: Scalar
  /// ω, `1 × D/2`.
  public let angularFrequencies: Matrix<Scalar>

  /// The embedding with `dimension` features.
  public init(dimension: Int, maximumPeriod: Scalar = 10_000, timeScale: Scalar = 1000) {
    precondition(
      dimension >= 4 && dimension % 2 == 0,
      "SinusoidalEmbedding: dimension must be even and ≥ 4, got \(dimension)")
    precondition(maximumPeriod > 1, "SinusoidalEmbedding: maximumPeriod must exceed 1, got \(maximumPeriod)")
    self.dimension = dimension
    self.maximumPeriod = maximumPeriod
    self.timeScale = timeScale
    let h = dimension / 2
    let step = Scalar.log(maximumPeriod) / Scalar(h - 1)
    self.angularFrequencies = Matrix(
      rows: 1, columns: h, elements: (0..<h).map { timeScale * Scalar.exp(-step * Scalar($0)) })
  }

  /// 1 (the time).
  @inlinable public var inputDimension: Int { 1 }
  /// D.
  @inlinable public var outputDimension: Int { dimension }

  /// Writes `γ(t)` to `features[0 ..< D]`.
  @inlinable
  public func writeFeatures(at t: Scalar, into features: UnsafeMutablePointer<Scalar>) {
    writeSinesAndCosines(of: angularFrequencies, into: features) { w in t * w }
  }
}
