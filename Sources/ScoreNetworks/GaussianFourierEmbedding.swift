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
/// As a ``Layer`` it maps a `rows × 1` column of times to `rows × 2m` features, and its pullback
/// gives `∂L/∂t = Σ_k 2πW_k (∂L/∂sin_k · cos θ_k − ∂L/∂cos_k · sin θ_k)`.
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let embedding = GaussianFourierEmbedding<Float>(frequencyCount: 16, scale: 16, using: &rng)
/// let features = embedding(Matrix(rows: 2, columns: 1, elements: [0.1, 0.9]))   // 2 × 32
/// ```
public struct GaussianFourierEmbedding<Scalar: BLASScalar>: Layer {
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
    let m = frequencies.columns
    frequencies.withUnsafeBufferPointer { w in
      for k in 0..<m {
        let u = t * w[k]
        let theta = (u + u) * Scalar.pi
        features[k] = Scalar.sin(theta)
        features[m + k] = Scalar.cos(theta)
      }
    }
  }

  /// No cache: the pullback recomputes the angles.
  public func makeCache(rows: Int) {}
  /// No parameters: the frequencies are fixed.
  public func makeGradient() -> NoParameters<Scalar> { NoParameters() }

  /// `output[i] ← γ(input[i, 0])`.
  @inlinable
  public func forward(_ input: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout Void) {
    writeTimeFeatures(input, into: &output, outputDimension: outputDimension, writeFeatures)
  }

  /// `∂L/∂tᵢ = Σ_k 2πW_k (∂L/∂sin_k cos θ_k − ∂L/∂cos_k sin θ_k)`.
  @inlinable
  public func backward(
    _ outputGradient: inout Matrix<Scalar>, input: Matrix<Scalar>, cache: inout Void,
    inputGradient: inout Matrix<Scalar>, parameterGradient: inout NoParameters<Scalar>, accumulate: Bool
  ) {
    let m = frequencies.columns
    precondition(
      outputGradient.rows == input.rows && outputGradient.columns == 2 * m && inputGradient.rows == input.rows
        && inputGradient.columns == 1,
      "GaussianFourierEmbedding.backward: gradient \(outputGradient.shapeDescription), input "
        + "\(input.shapeDescription), input gradient \(inputGradient.shapeDescription)")
    for i in 0..<input.rows {
      let t = input[i, 0]
      var s: Scalar = 0
      for k in 0..<m {
        let w = frequencies[0, k]
        let u = t * w
        let theta = (u + u) * Scalar.pi
        s +=
          2 * Scalar.pi * w
          * (outputGradient[i, k] * Scalar.cos(theta) - outputGradient[i, m + k] * Scalar.sin(theta))
      }
      inputGradient[i, 0] = s
    }
  }
}

/// Writes `features(input[i, 0])` into row `i` of `output`.
@inlinable
func writeTimeFeatures<S: BLASScalar>(
  _ input: Matrix<S>, into output: inout Matrix<S>, outputDimension: Int,
  _ features: (S, UnsafeMutablePointer<S>) -> Void
) {
  precondition(
    input.columns == 1 && output.rows == input.rows && output.columns == outputDimension,
    "Time embedding: input \(input.shapeDescription) (need one column), output \(output.shapeDescription)")
  input.withUnsafeBufferPointer { t in
    output.withUnsafeMutableBufferPointer { out in
      for i in 0..<t.count { features(t[i], out.baseAddress! + i * outputDimension) }
    }
  }
}
