// An exponential written with arithmetic and bit operations only, so that loops calling it
// vectorise (a call to libm's `exp` cannot); it carries the SiLU, softplus and GELU passes.
import LinearAlgebra

extension BLASScalar {
  /// eˣ with a relative error of a few ulps, for `x` in the normal range; written so that a loop
  /// over a buffer vectorises.
  ///
  /// Cody–Waite reduction `x = n·ln 2 + r`, |r| ≤ ln 2/2, with `n` rounded by the
  /// add-a-shifter trick (no float-to-integer conversion, which would need a trap check), then
  /// the Taylor polynomial of eʳ in Horner form (degree 7 for `Float`, 13 for `Double`:
  /// truncation below 10⁻⁸ and 10⁻¹⁸), then scaling by 2ⁿ built from its exponent bits.
  /// Arguments beyond the normal range are clamped, so the result is never 0 or ∞ for finite `x`
  /// (about 2⁻¹²⁶ or 2¹²⁷ for `Float`), which is what the activations need; NaN propagates.
  @inlinable @inline(__always)
  static func vectorizableExp(_ x: Self) -> Self {
    let isFloat = Self.significandBitCount < 30
    let log2e: Self = 1.442_695_040_888_963_407_359_924_681_001_892_137
    // ln 2 split so that n·ln2High is exact for |n| < 2¹¹ (Float: 8 significant bits; Double: 32).
    let ln2High: Self = isFloat ? 0.693_359_375 : 0.693_147_180_369_123_816_490
    let ln2Low: Self = isFloat ? -2.121_944_400_546_905_827_68e-4 : 1.908_214_929_270_587_700_02e-10
    // (greatest finite exponent)·ln 2 and (least normal exponent)·ln 2, as literals so they fold.
    let upper: Self = isFloat ? 88.029_691_931_113_054 : 709.089_565_712_824_051
    let lower: Self = isFloat ? -87.336_544_750_553_102 : -708.396_418_532_264_106
    let y = x < lower ? lower : (x > upper ? upper : x)
    // Adding 1.5·2^p rounds y·log₂e to an integer n held in the low significand bits.
    let shifter: Self = isFloat ? 12_582_912 : 6_755_399_441_055_744  // 1.5·2²³, 1.5·2⁵²
    let k = y * log2e + shifter
    let n = k - shifter
    let r = (y - n * ln2High) - n * ln2Low
    // Taylor polynomial Σ rᵏ/k! in Horner form, coefficients as literals.
    var p: Self
    if isFloat {
      p = 1.984_126_984_126_984_126_98e-4  // 1/7!
    } else {
      p = 1.605_904_383_682_161_459_94e-10  // 1/13!
      p = p * r + 2.087_675_698_786_809_897_92e-9  // 1/12!
      p = p * r + 2.505_210_838_544_171_877_51e-8  // 1/11!
      p = p * r + 2.755_731_922_398_589_065_26e-7  // 1/10!
      p = p * r + 2.755_731_922_398_589_065_26e-6  // 1/9!
      p = p * r + 2.480_158_730_158_730_158_73e-5  // 1/8!
      p = p * r + 1.984_126_984_126_984_126_98e-4  // 1/7!
    }
    p = p * r + 1.388_888_888_888_888_888_89e-3  // 1/6!
    p = p * r + 8.333_333_333_333_333_333_33e-3  // 1/5!
    p = p * r + 4.166_666_666_666_666_666_67e-2  // 1/4!
    p = p * r + 1.666_666_666_666_666_666_67e-1  // 1/3!
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // 2ⁿ from its biased exponent: n sits in the low bits of k's significand, offset by 2^(p−1).
    let half: Self.RawSignificand = isFloat ? 1 << 22 : 1 << 51
    let bias: Self.RawSignificand = isFloat ? 127 : 1023
    let biased = k.significandBitPattern &- half &+ bias
    let scale = Self(
      sign: .plus, exponentBitPattern: Self.RawExponent(truncatingIfNeeded: biased), significandBitPattern: 0)
    return p * scale
  }
}
