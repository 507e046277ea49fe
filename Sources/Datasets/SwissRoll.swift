public import LinearAlgebra
import RealModule

/// The 2-D Swiss roll of FFJORD's `toy_data.py` (Grathwohl et al. 2019), from scikit-learn's
/// `make_swiss_roll(noise = 1)` keeping the two coordinates of the spiral, divided by 5:
///
///     t = 1.5π(1 + 2u),  x = (t cos t + ε₁, t sin t + ε₂) / 5,   u ~ U[0, 1), ε ~ 𝒩(0, I)
///
/// so the spiral's arm runs from radius 0.94 to 2.83 and the noise has standard deviation 0.2.
/// No closed-form density is given.
///
/// ```swift
/// let x: Matrix<Float> = SwissRoll().sample(count: 1000, using: &rng)
/// ```
public struct SwissRoll: DataDistribution {
  /// The standard Swiss roll.
  public init() {}

  /// 2.
  public var dimension: Int { 2 }
  /// A one-line description.
  public var description: String { "swiss roll: (t cos t, t sin t)/5, t in [1.5pi, 4.5pi], noise sd 0.2" }

  /// `count` samples (one uniform and two normals each).
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
        let u = 1 - S.randomOpenUnit(using: &rng)
        let t = S(1.5) * S.pi * (1 + 2 * u)
        let (z1, z2) = S.randomNormalPair(using: &rng)
        e[2 * i] = (t * S.cos(t) + z1) / 5
        e[2 * i + 1] = (t * S.sin(t) + z2) / 5
      }
    }
    return out
  }
}
