import Foundation

/// How the physical parameters θ ∈ ℝᵏ of a conditional network are turned into the features its
/// condition input sees (the "hash" of ρ-Diffusion's parameter conditioning): chosen in
/// training, recorded in the model file with ``ParameterEncodingConfiguration``.
///
/// Every encoding first maps θ to the unit box with the training range recorded in the file,
/// `zⱼ = (θⱼ − aⱼ) / (bⱼ − aⱼ)`, then:
///
/// - ``identity``: `φ(θ) = z` (k features);
/// - ``fourier(features:scale:)``: random Fourier features `φ(θ) = [sin 2πBz, cos 2πBz]` with a
///   fixed `m × k` matrix `B`, `Bᵢⱼ ~ N(0, σ²)` (2m features; Tancik et al. 2020, "Fourier
///   Features Let Networks Learn High Frequency Functions in Low Dimensional Domains");
/// - ``hashGrid(levels:tableSize:featuresPerLevel:coarsestResolution:finestResolution:)``: the
///   multiresolution hash encoding of Müller et al. 2022 ("Instant Neural Graphics Primitives
///   with a Multiresolution Hash Encoding"), `L·F` features from `L` learnable tables (see
///   ``HashGridGeometry``).
///
/// Outside the training box: the identity and Fourier encodings extrapolate (z leaves [0, 1]);
/// the hash grid clamps z to [0, 1], so θ beyond a face is encoded as the nearest point of the
/// face (its grid holds nothing beyond the box).
public enum ParameterEncoding: Codable, Sendable, Equatable {
  /// `φ(θ) = z`, the parameters mapped to the unit box.
  case identity
  /// `φ(θ) = [sin 2πBz, cos 2πBz]`, `B ∈ ℝ^{m×k}`, `Bᵢⱼ ~ N(0, scale²)`, fixed.
  case fourier(features: Int, scale: Double)
  /// `L` levels of `T`-entry tables of `F` learnable features; level `l` has the grid resolution
  /// `N_l = ⌊N_min · b^l⌋`, `b = exp((ln N_max − ln N_min)/(L − 1))` (Müller et al. 2022, eq. 2–3).
  case hashGrid(
    levels: Int, tableSize: Int, featuresPerLevel: Int, coarsestResolution: Int, finestResolution: Int)

  /// The default Fourier encoding: 16 frequencies at scale 1 (32 features).
  public static let defaultFourier = ParameterEncoding.fourier(features: 16, scale: 1)

  /// The default hash grid: 8 levels of 2¹² entries of 2 features, resolutions 2 … 32 (16 features).
  public static let defaultHashGrid = ParameterEncoding.hashGrid(
    levels: 8, tableSize: 1 << 12, featuresPerLevel: 2, coarsestResolution: 2, finestResolution: 32)

  /// A short name: `"identity"`, `"fourier"` or `"hash"`.
  public var name: String {
    switch self {
    case .identity: return "identity"
    case .fourier: return "fourier"
    case .hashGrid: return "hash"
    }
  }

  /// The number of features for `k` parameters: `k`, `2m` or `L·F`.
  public func featureCount(parameters k: Int) -> Int {
    switch self {
    case .identity: return k
    case .fourier(let m, _): return 2 * m
    case .hashGrid(let levels, _, let f, _, _): return levels * f
    }
  }

  /// Why this encoding cannot be built for `k` parameters, or `nil`. Sizes are bounded (at most
  /// 2¹⁶ Fourier features, 32 levels, tables of 2²⁴ entries of 64 features, resolutions up to
  /// 2²⁰, `k ≤ 7` for the hash grid, whose spatial hash has 7 primes) so that a model file cannot
  /// ask for an absurd allocation.
  public func validationFailure(parameters k: Int) -> String? {
    switch self {
    case .identity: return nil
    case .fourier(let m, let scale):
      guard m >= 1 && m <= 1 << 16 else { return "fourier: the feature count must be in 1 … 65536, got \(m)" }
      guard scale > 0 && scale.isFinite else {
        return "fourier: the scale must be finite and > 0, got \(scale)"
      }
      return nil
    case .hashGrid(let levels, let t, let f, let coarse, let fine):
      guard k >= 1 && k <= HashGridGeometry.primes.count else {
        return "hash: the grid takes 1 … \(HashGridGeometry.primes.count) parameters, got \(k)"
      }
      guard levels >= 1 && levels <= 32 else {
        return "hash: the level count must be in 1 … 32, got \(levels)"
      }
      guard t >= 1 && t <= 1 << 24 else { return "hash: the table size must be in 1 … 2²⁴, got \(t)" }
      guard f >= 1 && f <= 64 else { return "hash: the features per level must be in 1 … 64, got \(f)" }
      guard coarse >= 1 && fine >= coarse && fine <= 1 << 20 else {
        return "hash: need 1 ≤ coarsest ≤ finest ≤ 2²⁰ resolutions, got \(coarse) and \(fine)"
      }
      return nil
    }
  }
}

/// A ``ParameterEncoding`` with what it needs to be applied: the training range of each
/// parameter (in the units the network's condition input has, after any standardisation) and
/// the number of trailing condition columns that pass through unencoded (the mask column of
/// classifier-free guidance).
///
/// The network's condition input has `k + p` columns `[θ₁ … θ_k ‖ m₁ … m_p]`; the encoded input
/// the base network sees is `[φ(θ) ‖ m₁ … m_p]`.
public struct ParameterEncodingConfiguration: Codable, Sendable, Equatable {
  /// The encoding.
  public var encoding: ParameterEncoding
  /// `aⱼ`, the lower end of the training range of each parameter.
  public var lowerBounds: [Double]
  /// `bⱼ`, the upper end of the training range of each parameter.
  public var upperBounds: [Double]
  /// `p`, trailing condition columns copied unencoded.
  public var passthroughColumns: Int

  /// An encoding of `lowerBounds.count` parameters ranging over `[aⱼ, bⱼ]` in training.
  ///
  /// - Parameters:
  ///   - encoding: the encoding.
  ///   - lowerBounds: `aⱼ`.
  ///   - upperBounds: `bⱼ` (each `> aⱼ`).
  ///   - passthroughColumns: `p ≥ 0` unencoded trailing columns.
  public init(
    encoding: ParameterEncoding, lowerBounds: [Double], upperBounds: [Double], passthroughColumns: Int = 0
  ) {
    self.encoding = encoding
    self.lowerBounds = lowerBounds
    self.upperBounds = upperBounds
    self.passthroughColumns = passthroughColumns
  }

  /// `k`, the encoded parameters.
  public var parameterCount: Int { lowerBounds.count }
  /// `k + p`, the condition columns the network takes.
  public var inputColumns: Int { parameterCount + passthroughColumns }
  /// The features the base network takes: the encoding's, plus `p`.
  public var outputColumns: Int { encoding.featureCount(parameters: parameterCount) + passthroughColumns }

  /// Why this configuration cannot be built, or `nil`.
  public var validationFailure: String? {
    let k = parameterCount
    guard k >= 1 && k <= 1 << 10 else { return "need 1 … 1024 encoded parameters, got \(k)" }
    guard upperBounds.count == k else { return "\(k) lower bounds and \(upperBounds.count) upper bounds" }
    guard passthroughColumns >= 0 && passthroughColumns <= 1 << 10 else {
      return "passthrough columns must be in 0 … 1024, got \(passthroughColumns)"
    }
    for j in 0..<k {
      let (a, b) = (lowerBounds[j], upperBounds[j])
      guard a.isFinite && b.isFinite && b > a else {
        return "parameter \(j): the training range [\(a), \(b)] must be finite with upper > lower"
      }
    }
    return encoding.validationFailure(parameters: k)
  }

  /// The parameters of one condition row that lie outside the training range, as
  /// `(column, value, range)`: what a caller reports before the encoding extrapolates (or, for
  /// the hash grid, clamps).
  ///
  /// - Parameter condition: one condition row's `k` parameters (passthrough columns excluded).
  /// - Returns: the columns outside `[aⱼ, bⱼ]` (NaN counts as outside).
  public func outOfRange(_ condition: [Double]) -> [(column: Int, value: Double, range: ClosedRange<Double>)]
  {
    precondition(
      condition.count == parameterCount,
      "ParameterEncodingConfiguration: \(condition.count) values for \(parameterCount) parameters")
    return (0..<parameterCount).compactMap { j in
      let range = lowerBounds[j]...upperBounds[j]
      return range.contains(condition[j]) ? nil : (j, condition[j], range)
    }
  }
}
