public import LinearAlgebra
import RealModule

/// Which time embedding an ``MLP`` uses, and its settings (part of ``MLPConfiguration``).
public enum TimeEmbeddingKind: Sendable, Codable, Equatable {
  /// ``GaussianFourierEmbedding`` with `frequencies` random frequencies of standard deviation
  /// `scale`: `2·frequencies` features. The default, `(16, 16)`, is the reference network's.
  case gaussianFourier(frequencies: Int = 16, scale: Double = 16)
  /// ``SinusoidalEmbedding`` with `dimension` features.
  case sinusoidal(dimension: Int = 32, maximumPeriod: Double = 10_000, timeScale: Double = 1000)

  /// The number of features.
  public var dimension: Int {
    switch self {
    case .gaussianFourier(let m, _): return 2 * m
    case .sinusoidal(let d, _, _): return d
    }
  }
}

/// A time embedding γ(t) of either kind, built from a ``TimeEmbeddingKind``.
public enum TimeEmbedding<Scalar: BLASScalar>: Sendable {
  /// Random Fourier features.
  case gaussianFourier(GaussianFourierEmbedding<Scalar>)
  /// Transformer sinusoids.
  case sinusoidal(SinusoidalEmbedding<Scalar>)

  /// The embedding of `kind`; random frequencies come from `rng`.
  public init<G: RandomNumberGenerator>(_ kind: TimeEmbeddingKind, using rng: inout G) {
    switch kind {
    case .gaussianFourier(let m, let scale):
      self = .gaussianFourier(GaussianFourierEmbedding(frequencyCount: m, scale: Scalar(scale), using: &rng))
    case .sinusoidal(let d, let period, let timeScale):
      self = .sinusoidal(
        SinusoidalEmbedding(dimension: d, maximumPeriod: Scalar(period), timeScale: Scalar(timeScale)))
    }
  }

  /// The number of features.
  @inlinable
  public var dimension: Int {
    switch self {
    case .gaussianFourier(let e): return e.outputDimension
    case .sinusoidal(let e): return e.outputDimension
    }
  }

  /// Writes γ(t) to `features[0 ..< dimension]`.
  @inlinable
  public func writeFeatures(at t: Scalar, into features: UnsafeMutablePointer<Scalar>) {
    switch self {
    case .gaussianFourier(let e): e.writeFeatures(at: t, into: features)
    case .sinusoidal(let e): e.writeFeatures(at: t, into: features)
    }
  }
}

/// Writes `[sin θ₁, …, sin θ_m, cos θ₁, …, cos θ_m]` to `features[0 ..< 2m]`, with
/// `θ_k = angle(frequencies[k])` and `m = frequencies.columns`: the layout both time embeddings
/// share.
@inlinable
func writeSinesAndCosines<Scalar: BLASScalar>(
  of frequencies: Matrix<Scalar>, into features: UnsafeMutablePointer<Scalar>, angle: (Scalar) -> Scalar
) {
  let m = frequencies.columns
  frequencies.withUnsafeBufferPointer { w in
    for k in 0..<m {
      let theta = angle(w[k])
      features[k] = Scalar.sin(theta)
      features[m + k] = Scalar.cos(theta)
    }
  }
}
