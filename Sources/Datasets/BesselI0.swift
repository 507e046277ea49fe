import RealModule

/// log(I₀(z) e^{−z}) for z ≥ 0, where I₀ is the modified Bessel function of the first kind of
/// order 0, accurate to ~1e-15 relative in I₀ and safe for any z (no overflow).
///
/// For z ≤ 25 it sums the power series I₀(z) = Σₖ (z²/4)ᵏ / (k!)² (positive terms, no
/// cancellation); above, the asymptotic series
/// I₀(z) e^{−z} ≈ (2πz)^{−1/2} Σₖ aₖ with a₀ = 1, aₖ = aₖ₋₁ (2k − 1)² / (8kz)
/// (Abramowitz & Stegun 9.7.1), truncated at its smallest term, which is below e^{−2z} < 1e-21.
///
/// - Parameter z: the argument, `≥ 0`.
/// - Returns: log I₀(z) − z.
@usableFromInline
func logScaledBesselI0(_ z: Double) -> Double {
  precondition(z >= 0 || z.isNaN, "logScaledBesselI0 needs z ≥ 0, got \(z)")
  if z <= 25 {
    let q = z * z / 4
    var term = 1.0
    var sum = 1.0
    var k = 1.0
    while term > 1e-17 * sum {
      term *= q / (k * k)
      sum += term
      k += 1
    }
    return Double.log(sum) - z
  }
  var term = 1.0
  var sum = 1.0
  var k = 1.0
  while true {
    let next = term * (2 * k - 1) * (2 * k - 1) / (8 * k * z)
    if next >= term || next < 1e-17 * sum { break }
    term = next
    sum += term
    k += 1
  }
  return Double.log(sum) - Double.log(2 * Double.pi * z) / 2
}
