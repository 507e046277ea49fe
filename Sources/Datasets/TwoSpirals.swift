public import LinearAlgebra
import RealModule

/// Two interleaved spirals of FFJORD's `toy_data.py` (Grathwohl et al. 2019):
///
///     n = 3π √u,  p = (−n cos n + v₁/2, n sin n + v₂/2),  x = ±p / 3 + 0.1 ε
///
/// with u, v₁, v₂ ~ U[0, 1), the sign a fair coin (FFJORD takes half the batch of each) and
/// ε ~ 𝒩(0, I): each spiral turns 1.5 times out to radius 3π/3 ≈ 3.14. No closed-form density
/// is given.
///
/// ```swift
/// let x: Matrix<Double> = TwoSpirals().sample(count: 1000, using: &rng)
/// ```
public struct TwoSpirals: DataDistribution {
  /// The standard two spirals.
  public init() {}

  /// 2.
  public var dimension: Int { 2 }
  /// A one-line description.
  public var description: String { "2 spirals: two interleaved spirals of 1.5 turns, radius up to 3.14" }

  /// `count` samples (three uniforms, one sign and two normals each).
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
        let n = 3 * S.pi * (1 - S.randomOpenUnit(using: &rng)).squareRoot()
        let v1 = 1 - S.randomOpenUnit(using: &rng)
        let v2 = 1 - S.randomOpenUnit(using: &rng)
        let sign: S = rng.next() >> 63 == 1 ? -1 : 1
        let (z1, z2) = S.randomNormalPair(using: &rng)
        e[2 * i] = sign * (-n * S.cos(n) + v1 / 2) / 3 + S(0.1) * z1
        e[2 * i + 1] = sign * (n * S.sin(n) + v2 / 2) / 3 + S(0.1) * z2
      }
    }
    return out
  }
}
