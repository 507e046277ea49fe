public import LinearAlgebra
import RealModule

/// The 5-arm pinwheel of FFJORD's `toy_data.py` (Grathwohl et al. 2019, after Johnson et al.
/// 2016): a point f = (1 + 0.3 ε₁, 0.1 ε₂) with ε ~ 𝒩(0, I) is rotated by the angle
/// `2πk/5 + 0.25·exp(f₁)` of a uniformly chosen arm k ∈ {0, …, 4}, then scaled by 2:
///
///     x = 2·(f₁ cos α + f₂ sin α, −f₁ sin α + f₂ cos α)
///
/// so ‖x‖ = 2‖f‖ and E‖x‖² = 4.4. No closed-form density is given.
///
/// ```swift
/// let x: Matrix<Float> = Pinwheel().sample(count: 1000, using: &rng)
/// ```
public struct Pinwheel: DataDistribution {
  /// The standard pinwheel.
  public init() {}

  /// 2.
  public var dimension: Int { 2 }
  /// A one-line description.
  public var description: String { "pinwheel: 5 curved arms, radial sd 0.3, tangential sd 0.1, scale 2" }

  /// `count` samples (one uniform and two normals each; the arm k is ⌊5u⌋).
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
        let arm = Swift.min(Int(5 * (1 - Double.randomOpenUnit(using: &rng))), 4)
        let (z1, z2) = S.randomNormalPair(using: &rng)
        let f1 = 1 + S(0.3) * z1
        let f2 = S(0.1) * z2
        let alpha = 2 * S.pi * S(arm) / 5 + S(0.25) * S.exp(f1)
        let c = S.cos(alpha)
        let s = S.sin(alpha)
        e[2 * i] = 2 * (f1 * c + f2 * s)
        e[2 * i + 1] = 2 * (-f1 * s + f2 * c)
      }
    }
    return out
  }
}
