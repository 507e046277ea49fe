public import LinearAlgebra

/// A schedule from any continuous noise rate `β(t) ≥ 0` on `[0, T]`, whose integral and its
/// inverse are computed once, in `Double`, and cached.
///
/// The grid has `panels` equal panels on `[0, T]` plus the given `breakpoints` (the times where
/// `β′` jumps, such as the cosine schedule's clip time). On each panel `∫ β` is 5-point
/// Gauss–Legendre quadrature (exact to degree 9), summed into the node values `B(tₖ)`. Between
/// the nodes, `B` is the cubic Hermite interpolant of the values `B(tₖ)` and the exact slopes
/// `B′(tₖ) = β(tₖ)`, whose error is `≤ h⁴·max|β‴|/384` on a panel of width `h` (with the default
/// `h = T/4096`, measured in `Double`: 4e-16 relative for the linear schedule, 1e-12 for the
/// cosine one with its clip time as a breakpoint, 2e-8 without);
/// the inverse solves that cubic on its panel by safeguarded Newton, so that
/// `time(atIntegratedBeta: integratedBeta(at: t)) = t` to rounding. `β(t)` itself calls the
/// closure. Beyond `T`, β is held at `β(T)` (and `B` grows linearly).
///
/// Two schedules are equal when their tables are (the closure itself cannot be compared).
///
/// ```swift
/// let quadratic = NumericalNoiseSchedule<Double> { t in 0.1 + 19.9 * t * t }
/// let vp = VPSDE(schedule: quadratic)
/// let b = quadratic.integratedBeta(at: 0.5)      // ≈ 0.1·0.5 + 19.9·0.5³/3
/// ```
public struct NumericalNoiseSchedule<Scalar: BLASScalar>: NoiseSchedule {
  /// The end `T` of the tabulated interval `[0, T]`.
  public let endTime: Scalar
  /// The noise rate.
  @usableFromInline let rate: @Sendable (Scalar) -> Scalar
  /// The grid `0 = t₀ < t₁ < … < t_N = T`.
  @usableFromInline let nodes: [Double]
  /// `β(tₖ)`.
  @usableFromInline let rates: [Double]
  /// `B(tₖ) = ∫₀^{tₖ} β`.
  @usableFromInline let integrals: [Double]

  /// Tabulates `beta` on `[0, endTime]`.
  ///
  /// - Parameters:
  ///   - endTime: `T`, 1 by default.
  ///   - panels: the number of equal panels (4096 by default).
  ///   - breakpoints: times in `(0, T)` where `β` has a kink, added to the grid.
  ///   - beta: `β(t)`, continuous, finite and `≥ 0` on `[0, T]`, with `∫₀ᵀ β > 0`.
  public init(
    endTime: Scalar = 1, panels: Int = 4096, breakpoints: [Scalar] = [],
    beta: @escaping @Sendable (Scalar) -> Scalar
  ) {
    checkEndTime(endTime, of: "NumericalNoiseSchedule")
    precondition(panels > 0, "NumericalNoiseSchedule needs at least one panel, got \(panels)")
    let end = Double(endTime)
    var grid = (0...panels).map { end * Double($0) / Double(panels) }
    grid += breakpoints.map { Double($0) }.filter { $0 > 0 && $0 < end }
    grid = Array(Set(grid)).sorted()
    self.endTime = endTime
    self.rate = beta
    (nodes, rates, integrals) = Self.tabulate({ Double(beta(Scalar($0))) }, on: grid)
  }

  /// The table on `grid`: `β(tₖ)` and `B(tₖ)`, each panel's integral by 5-point Gauss–Legendre
  /// quadrature and their running sum by Kahan's compensated summation.
  /// - Precondition: every `β(tₖ)` is finite and `≥ 0`, and `B(T) > 0`.
  static func tabulate(_ f: (Double) -> Double, on grid: [Double]) -> (
    nodes: [Double], rates: [Double], integrals: [Double]
  ) {
    let rates = grid.map(f)
    for (t, b) in zip(grid, rates) {
      precondition(b >= 0 && b.isFinite, "NumericalNoiseSchedule needs a finite β ≥ 0, got β(\(t)) = \(b)")
    }
    var integrals = [0.0]
    var sum = 0.0
    var compensation = 0.0
    for (a, b) in zip(grid, grid.dropFirst()) {
      let y = GaussLegendre.fivePoint.integrate(panelFrom: a, to: b, f) - compensation
      let next = sum + y
      compensation = (next - sum) - y
      sum = next
      integrals.append(sum)
    }
    precondition(sum > 0, "NumericalNoiseSchedule needs ∫₀ᵀ β > 0")
    return (grid, rates, integrals)
  }

  /// `β(t)` from the closure on `[0, T]`, `β(0)` before and `β(T)` after.
  @inlinable
  public func beta(at t: Scalar) -> Scalar {
    if t < 0 { return Scalar(rates[0]) }
    if t > endTime { return Scalar(rates[rates.count - 1]) }
    return rate(t)
  }

  /// `B(t) − B(s)` from the cached table (see the type's accuracy).
  @inlinable
  public func integratedBeta(from s: Scalar, to t: Scalar) -> Scalar {
    Scalar(tabulated(Double(t)) - tabulated(Double(s)))
  }

  /// The cached `B⁻¹`: the panel by binary search on `B(tₖ)`, then the Hermite cubic's root by
  /// safeguarded Newton; beyond `B(T)`, `T + (b − B(T))/β(T)`.
  /// - Precondition: `integral ≥ 0`.
  @inlinable
  public func time(atIntegratedBeta integral: Scalar) -> Scalar {
    checkIntegratedBeta(integral)
    let b = Double(integral)
    if b == 0 { return 0 }
    let last = nodes.count - 1
    if b >= integrals[last] {
      precondition(
        rates[last] > 0 || b == integrals[last], "time(atIntegratedBeta: \(b)) beyond B(T) with β(T) = 0")
      return Scalar(b == integrals[last] ? nodes[last] : nodes[last] + (b - integrals[last]) / rates[last])
    }
    // The last k with B(tₖ) ≤ b < B(tₖ₊₁).
    var (lo, hi) = (0, last)
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if integrals[mid] <= b { lo = mid } else { hi = mid }
    }
    let k = lo
    let h = nodes[k + 1] - nodes[k]
    var (uLo, uHi) = (0.0, 1.0)
    var u = (b - integrals[k]) / (integrals[k + 1] - integrals[k])
    for _ in 0..<100 {
      let (value, slope) = hermite(panel: k, u)
      let residual = value - b
      if residual == 0 { break }
      if residual < 0 { uLo = u } else { uHi = u }
      var next = slope > 0 ? u - residual / (slope * h) : (uLo + uHi) / 2
      if !(next > uLo && next < uHi) { next = (uLo + uHi) / 2 }
      if next == u || uHi - uLo <= 2 * Double.ulpOfOne { break }
      u = next
    }
    return Scalar(nodes[k] + u * h)
  }

  /// `B(t)` from the table: the Hermite cubic inside `[0, T]`, linear outside.
  @inlinable
  func tabulated(_ t: Double) -> Double {
    let last = nodes.count - 1
    if t <= 0 { return rates[0] * t }
    if t >= nodes[last] { return integrals[last] + rates[last] * (t - nodes[last]) }
    var (lo, hi) = (0, last)
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if nodes[mid] <= t { lo = mid } else { hi = mid }
    }
    return hermite(panel: lo, (t - nodes[lo]) / (nodes[lo + 1] - nodes[lo])).value
  }

  /// The cubic Hermite interpolant of `B` on panel `k` at `u ∈ [0, 1]` and its slope `dB/dt`.
  @inlinable
  func hermite(panel k: Int, _ u: Double) -> (value: Double, slope: Double) {
    let h = nodes[k + 1] - nodes[k]
    let (b0, b1) = (integrals[k], integrals[k + 1])
    let (m0, m1) = (h * rates[k], h * rates[k + 1])
    let u2 = u * u
    let u3 = u2 * u
    let value = b0 + (b1 - b0) * (3 * u2 - 2 * u3) + m0 * (u3 - 2 * u2 + u) + m1 * (u3 - u2)
    let slope = (6 * (b1 - b0) * (u - u2) + m0 * (3 * u2 - 4 * u + 1) + m1 * (3 * u2 - 2 * u)) / h
    return (value, slope)
  }

  /// Equal tables.
  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.endTime == rhs.endTime && lhs.nodes == rhs.nodes && lhs.rates == rhs.rates
      && lhs.integrals == rhs.integrals
  }

  /// Hashes the table.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(endTime)
    hasher.combine(nodes)
    hasher.combine(rates)
    hasher.combine(integrals)
  }
}
