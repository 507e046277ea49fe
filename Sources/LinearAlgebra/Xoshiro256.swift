/// The xoshiro256++ pseudo-random generator (Blackman & Vigna 2019): 256 bits of state,
/// period 2²⁵⁶ − 1, fast, and reproducible from a seed on every platform.
///
/// ```swift
/// var rng = Xoshiro256(seed: 42)
/// let u = Double.random(in: 0..<1, using: &rng)
/// let noise = Matrix<Float>.randomNormal(rows: 4, columns: 2, using: &rng)
/// ```
///
/// `init(seed:stream:)` gives statistically independent streams for the same seed: ScoreSDE
/// gives each sample (row) its own stream, so results do not depend on batch size or on the
/// number of threads (see ``RowStreams``). Generators are values passed `inout`; never share
/// one between threads.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Hashable {
  @usableFromInline var s0: UInt64
  @usableFromInline var s1: UInt64
  @usableFromInline var s2: UInt64
  @usableFromInline var s3: UInt64

  /// A generator whose state is expanded from `seed` and `stream` with SplitMix64, as the
  /// xoshiro authors recommend. Distinct `(seed, stream)` pairs give unrelated sequences.
  public init(seed: UInt64, stream: UInt64 = 0) {
    var mixer = SplitMix64(state: SplitMix64.mix(seed) ^ SplitMix64.mix(stream &+ 0x6A09_E667_F3BC_C909))
    s0 = mixer.next()
    s1 = mixer.next()
    s2 = mixer.next()
    s3 = mixer.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is the one fixed point
  }

  /// The next 64 random bits.
  @inlinable
  public mutating func next() -> UInt64 {
    let result = (s0 &+ s3).rotatedLeft(by: 23) &+ s0
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3.rotatedLeft(by: 45)
    return result
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014), used to expand seeds.
@usableFromInline
struct SplitMix64 {
  var state: UInt64

  /// A bijective 64-bit finaliser: equal inputs give equal outputs, nearby ones unrelated ones.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension UInt64 {
  @inlinable
  func rotatedLeft(by k: UInt64) -> UInt64 {
    (self << k) | (self >> (64 - k))
  }
}
