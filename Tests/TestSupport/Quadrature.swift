import RealModule

/// `∫ₐᵇ f` by composite Simpson's rule with `intervals` (even) sub-intervals: error
/// `O(h⁴·f⁗)`, `h = (b − a)/intervals`.
public func simpson(
  from a: Double, to b: Double, intervals: Int = 20_000, _ f: (Double) -> Double
) -> Double {
  precondition(
    intervals % 2 == 0 && intervals > 0, "simpson: need an even number of intervals, got \(intervals)")
  let h = (b - a) / Double(intervals)
  var sum = f(a) + f(b)
  for k in 1..<intervals { sum += (k % 2 == 1 ? 4 : 2) * f(a + Double(k) * h) }
  return sum * h / 3
}

/// `∫ₐᵇ f(t) dt` by Simpson's rule on `u = log t` (`0 < a < b`), for integrands that grow like
/// `1/t` near 0: `∫ f(t) dt = ∫ f(eᵘ)·eᵘ du`.
public func logSimpson(
  from a: Double, to b: Double, intervals: Int = 20_000, _ f: (Double) -> Double
) -> Double {
  simpson(from: Double.log(a), to: Double.log(b), intervals: intervals) { u in
    let t = Double.exp(u)
    return f(t) * t
  }
}
