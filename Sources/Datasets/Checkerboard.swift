public import LinearAlgebra
import RealModule

/// The 2-D checkerboard: uniform on the 8 black squares of a 4 × 4 board of side-2 squares
/// covering [−4, 4)².
///
/// This is exactly the `checkerboard` of the benchmark reference (`shared/bench/torch_ref.py`,
/// and FFJORD's `toy_data.py`, Grathwohl et al. 2019):
///
///     x₁ = 4u₁ − 2,  x₂ = u₂ − 2b + (⌊x₁⌋ mod 2),  x = 2·(x₁, x₂)
///
/// with u₁, u₂ ~ U[0, 1) and b ∈ {0, 1} a fair bit. A square `[2i, 2i+2) × [2j, 2j+2)` is black
/// when `i + j` is even, so the density is `1/32` on the black squares (total area 32) and 0
/// elsewhere; each marginal is uniform on [−4, 4).
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let x: Matrix<Float> = Checkerboard().sample(count: 512, using: &rng)
/// ```
public struct Checkerboard: KnownDensity {
  /// A checkerboard on [−4, 4)².
  public init() {}

  /// 2.
  public var dimension: Int { 2 }
  /// A one-line description.
  public var description: String { "checkerboard: uniform on the 8 black squares of [-4, 4)^2" }

  /// `count` samples by the reference construction (three uniform draws per sample: u₁, u₂, b).
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
        let u1 = 1 - S.randomOpenUnit(using: &rng)
        let u2 = 1 - S.randomOpenUnit(using: &rng)
        let bit = S(rng.next() >> 63)
        let x1 = 4 * u1 - 2
        // floor(x₁) mod 2 with Python's sign convention: 0 or 1 for x₁ ∈ [−2, 2).
        let parity = Int((x1 + 2).rounded(.down)) & 1
        let x2 = u2 - 2 * bit + S(parity)
        e[2 * i] = 2 * x1
        e[2 * i + 1] = 2 * x2
      }
    }
    return out
  }

  /// `−log 32` on the black squares of [−4, 4)², −∞ elsewhere.
  ///
  /// - Parameter x: points, one per row (`n × 2`).
  /// - Returns: `n` log-densities.
  @inlinable
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(x.columns == 2, "Checkerboard needs 2 columns, got a \(x.shapeDescription) matrix")
    let inside = -S.log(32)
    return (0..<x.rows).map { i in
      let a = x[i, 0]
      let b = x[i, 1]
      guard a >= -4 && a < 4 && b >= -4 && b < 4 else { return -S.infinity }
      let squareSum = Int((a / 2).rounded(.down)) + Int((b / 2).rounded(.down))
      return squareSum & 1 == 0 ? inside : -S.infinity
    }
  }
}
