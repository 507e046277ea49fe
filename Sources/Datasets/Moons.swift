public import LinearAlgebra
import RealModule

/// Two interleaving half circles ("moons") of FFJORD's `toy_data.py` (Grathwohl et al. 2019):
/// scikit-learn's `make_moons(noise = 0.1)`, scaled by 2 and shifted by (−1, −0.2):
///
///     upper moon: (2 cos θ − 1, 2 sin θ − 0.2),   lower moon: (1 − 2 cos θ, 0.8 − 2 sin θ)
///
/// with θ ~ U[0, π], the moon chosen by a fair coin (scikit-learn spaces θ evenly instead) and
/// isotropic Gaussian noise of standard deviation 0.2 added. No closed-form density is given.
///
/// ```swift
/// let x: Matrix<Double> = Moons().sample(count: 1000, using: &rng)
/// ```
public struct Moons: DataDistribution {
  /// The standard moons.
  public init() {}

  /// 2.
  public var dimension: Int { 2 }
  /// A one-line description.
  public var description: String { "moons: two interleaving half circles of radius 2, noise sd 0.2" }

  /// `count` samples (two uniforms and two normals each).
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × 2` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    var out = Matrix<S>(rows: count, columns: 2)
    out.withUnsafeMutableBufferPointer { e in
      for i in 0..<count {
        let theta = S.pi * (1 - S.randomOpenUnit(using: &rng))
        let lower = rng.next() >> 63 == 1
        let (z1, z2) = S.randomNormalPair(using: &rng)
        let c = 2 * S.cos(theta)
        let s = 2 * S.sin(theta)
        e[2 * i] = (lower ? 1 - c : c - 1) + S(0.2) * z1
        e[2 * i + 1] = (lower ? S(0.8) - s : s - S(0.2)) + S(0.2) * z2
      }
    }
    return out
  }
}
