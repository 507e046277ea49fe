public import LinearAlgebra
import RealModule

/// A mixture of isotropic Gaussians, p(x) = Σₖ wₖ 𝒩(x; μₖ, σₖ² I), with an exact log-density.
///
/// ``eightGaussians`` is the standard 2-D toy density; ``tetrahedron`` is a 3-D one.
///
/// ```swift
/// let mixture = GaussianMixture(means: [[-2, 0], [2, 0]], standardDeviations: [0.5, 0.5])
/// let x: Matrix<Double> = mixture.sample(count: 1000, using: &rng)
/// let logp = mixture.logDensity(x)
/// ```
public struct GaussianMixture: KnownDensity {
  /// The component means μₖ, each of length ``dimension``.
  public let means: [[Double]]
  /// The component standard deviations σₖ (> 0).
  public let standardDeviations: [Double]
  /// The mixture weights wₖ (> 0), normalised to sum to 1.
  public let weights: [Double]
  /// The name shown in ``description``.
  public let name: String

  /// A mixture of `means.count` isotropic Gaussians.
  ///
  /// - Parameters:
  ///   - means: the component means, all of one length d ≥ 1.
  ///   - standardDeviations: one σₖ > 0 per component.
  ///   - weights: one wₖ > 0 per component (normalised here); equal weights when `nil`.
  ///   - name: the name shown in ``description``.
  public init(
    means: [[Double]], standardDeviations: [Double], weights: [Double]? = nil,
    name: String = "Gaussian mixture"
  ) {
    precondition(!means.isEmpty, "GaussianMixture needs at least one component")
    let d = means[0].count
    precondition(
      d >= 1 && means.allSatisfy { $0.count == d }, "GaussianMixture: all means need one length ≥ 1")
    precondition(
      standardDeviations.count == means.count && standardDeviations.allSatisfy { $0 > 0 },
      "GaussianMixture: \(means.count) components need \(means.count) positive standard deviations, "
        + "got \(standardDeviations)")
    self.means = means
    self.standardDeviations = standardDeviations
    self.weights = normalizedMixtureWeights(
      weights, count: means.count, of: "GaussianMixture", parts: "components")
    self.name = name
  }

  /// The 8 Gaussians of FFJORD's `toy_data.py` (Grathwohl et al. 2019): equal weights, means
  /// at radius `4 / 1.414 ≈ 2.829` at angles `kπ/4`, standard deviation `0.5 / 1.414 ≈ 0.354`
  /// (FFJORD draws `4·(cos, sin) + 0.5·z` and divides by 1.414).
  public static let eightGaussians = GaussianMixture(
    means: (0..<8).map { k in
      let angle = Double(k) * Double.pi / 4
      return [4 / 1.414 * Double.cos(angle), 4 / 1.414 * Double.sin(angle)]
    },
    standardDeviations: [Double](repeating: 0.5 / 1.414, count: 8), name: "8 Gaussians")

  /// A 3-D mixture of four Gaussians centred on the vertices of a regular tetrahedron
  /// `2·(±1, ±1, ±1)` (even number of minus signs), σ = 0.5, weights 0.4, 0.3, 0.2, 0.1.
  public static let tetrahedron = GaussianMixture(
    means: [[2, 2, 2], [2, -2, -2], [-2, 2, -2], [-2, -2, 2]],
    standardDeviations: [0.5, 0.5, 0.5, 0.5], weights: [0.4, 0.3, 0.2, 0.1],
    name: "3-D tetrahedral Gaussian mixture")

  /// The length of the means.
  public var dimension: Int { means[0].count }
  /// The name, the number of components and the dimension.
  public var description: String { "\(name): \(means.count) components in \(dimension)-D" }

  /// `count` samples: a component k with probability wₖ (inverse CDF of one uniform), then
  /// μₖ + σₖ z with z ~ 𝒩(0, I).
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × dimension` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    let d = dimension
    var cumulative = [Double]()
    var running = 0.0
    for w in weights {
      running += w
      cumulative.append(running)
    }
    var out = Matrix<S>(rows: count, columns: d)
    out.fillNormal(using: &rng)
    for i in 0..<count {
      let u = 1 - Double.randomOpenUnit(using: &rng)
      let k = cumulative.firstIndex { u < $0 } ?? (weights.count - 1)
      let sigma = S(standardDeviations[k])
      for j in 0..<d { out[i, j] = S(means[k][j]) + sigma * out[i, j] }
    }
    return out
  }

  /// log Σₖ wₖ 𝒩(x; μₖ, σₖ² I), by log-sum-exp.
  ///
  /// - Parameter x: points, one per row (`n × dimension`).
  /// - Returns: `n` log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(
      x.columns == dimension, "\(name) needs \(dimension) columns, got a \(x.shapeDescription) matrix")
    let d = Double(dimension)
    let logNormalizers = zip(weights, standardDeviations).map { w, s in
      Double.log(w) - d * Double.log(s) - d / 2 * Double.log(2 * Double.pi)
    }
    var terms = [Double](repeating: 0, count: means.count)
    return (0..<x.rows).map { i in
      for k in 0..<means.count {
        var r2 = 0.0
        for j in 0..<dimension {
          let t = Double(x[i, j]) - means[k][j]
          r2 += t * t
        }
        terms[k] = logNormalizers[k] - r2 / (2 * standardDeviations[k] * standardDeviations[k])
      }
      return S(logSumExp(terms))
    }
  }
}

/// log Σᵢ exp(aᵢ), computed stably by factoring out the maximum (−∞ for an empty or all −∞ input).
@usableFromInline
func logSumExp(_ a: [Double]) -> Double {
  guard let m = a.max(), m.isFinite else { return a.max() ?? -Double.infinity }
  var s = 0.0
  for v in a { s += Double.exp(v - m) }
  return m + Double.log(s)
}

/// Mixture weights summing to 1: `weights` divided by their sum, or `count` equal weights when
/// `nil`. Stops, naming `owner` and its `parts` ("components", "rings"), unless there are `count`
/// weights, all positive.
func normalizedMixtureWeights(_ weights: [Double]?, count: Int, of owner: String, parts: String) -> [Double] {
  let w = weights ?? [Double](repeating: 1, count: count)
  precondition(
    w.count == count && w.allSatisfy { $0 > 0 },
    "\(owner): \(count) \(parts) need \(count) positive weights, got \(w)")
  let total = w.reduce(0, +)
  return w.map { $0 / total }
}
