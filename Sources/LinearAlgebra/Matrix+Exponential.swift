import RealModule

/// The scaling-and-squaring Padé matrix exponential of Higham (2005), in `Double`.
///
/// For a square `A`, pick the smallest degree `m ∈ {3, 5, 7, 9, 13}` with `‖A‖₁ ≤ θ_m`; if
/// none, scale `A ← A/2ˢ` with the smallest `s` that gives `‖A/2ˢ‖₁ ≤ θ₁₃`. Then
///
///     e^A ≈ r_m(A/2ˢ)^{2ˢ},   r_m = q_m(A)⁻¹ p_m(A),   p_m(A) = V + U,   q_m(A) = V − U,
///
/// with `U` the odd and `V` the even part of the diagonal Padé numerator
/// `p_m(x) = Σⱼ bⱼ xʲ`. The solve `(V − U) X = V + U` is one LAPACKE `getrf`/`getrs`.
///
/// **Backward error.** `θ_m` is the largest `‖A‖₁` for which the bound on the relative backward
/// error of `r_m` in exact arithmetic, `r_m(A) = e^{A + ΔA}` with `‖ΔA‖/‖A‖ ≤ u = 2⁻⁵³`, holds
/// (Higham 2005, Table 2.3, computed from the power series of `log(e^{−x} r_m(x))`):
///
/// | m  | θ_m                    |
/// |----|------------------------|
/// | 3  | 1.495585217958292e-2   |
/// | 5  | 2.539398330063230e-1   |
/// | 7  | 9.504178996162932e-1   |
/// | 9  | 2.097847961257068e0    |
/// | 13 | 5.371920351148152e0    |
///
/// Squaring gives `(r_m(A/2ˢ))^{2ˢ} = e^{A + 2ˢΔA}`, so the same relative backward bound holds
/// for `A`. Rounding in the products and the solve adds errors of order `u·κ(q_m)`, which
/// Higham bounds for these θ (κ₁(q_m) ≤ ~3 on the allowed norms).
///
/// - Higham, N. J. (2005). *The scaling and squaring method for the matrix exponential
///   revisited.* SIAM J. Matrix Anal. Appl. 26(4), 1179–1193.
@usableFromInline
enum PadeExponential {
  /// `θ_m` for `m = 3, 5, 7, 9, 13` (Higham 2005, Table 2.3, double precision).
  static let thetas: [(degree: Int, theta: Double)] = [
    (3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
    (9, 2.097847961257068e0), (13, 5.371920351148152e0),
  ]

  /// The coefficients `b₀ … b_m` of the degree-`m` diagonal Padé numerator
  /// `p_m(x) = Σⱼ (2m − j)! m! / ((2m)! j! (m − j)!) xʲ`, scaled to integers as in Higham (2005).
  static func coefficients(degree m: Int) -> [Double] {
    switch m {
    case 3: return [120, 60, 12, 1]
    case 5: return [30240, 15120, 3360, 420, 30, 1]
    case 7: return [17_297_280, 8_648_640, 1_995_840, 277_200, 25200, 1512, 56, 1]
    case 9:
      return [
        17_643_225_600, 8_821_612_800, 2_075_673_600, 302_702_400, 30_270_240, 2_162_160, 110_880,
        3960, 90, 1,
      ]
    default:
      return [
        64_764_752_532_480_000, 32_382_376_266_240_000, 7_771_770_303_897_600,
        1_187_353_796_428_800, 129_060_195_264_000, 10_559_470_521_600, 670_442_572_800,
        33_522_128_640, 1_323_241_920, 40_840_800, 960_960, 16380, 182, 1,
      ]
    }
  }

  /// The degree and the number of squarings the algorithm uses for a matrix of 1-norm `norm`.
  static func plan(norm: Double) -> (degree: Int, squarings: Int) {
    for (m, theta) in thetas.dropLast() where norm <= theta { return (m, 0) }
    let theta13 = thetas[thetas.count - 1].theta
    if norm <= theta13 { return (13, 0) }
    return (13, Swift.max(0, Int((Double.log2(norm / theta13)).rounded(.up))))
  }

  /// `e^A` for a finite square `A`.
  static func exponential(_ a: Matrix<Double>) throws -> Matrix<Double> {
    let n = a.rows
    if n == 0 { return a }
    let (m, s) = plan(norm: a.oneNorm())
    let scaled = s == 0 ? a : a * Double.exp2(Double(-s))
    var r = try pade(scaled, degree: m)
    for _ in 0..<s { r = r * r }
    return r
  }

  /// `r_m(A) = (V − U)⁻¹ (V + U)`.
  static func pade(_ a: Matrix<Double>, degree m: Int) throws -> Matrix<Double> {
    let n = a.rows
    let b = coefficients(degree: m)
    let identity = Matrix<Double>.identity(n)
    let a2 = a * a
    var u: Matrix<Double>
    var v: Matrix<Double>
    if m < 13 {
      // Powers A², A⁴, …, A^{m−1}; U = A Σ b_{2k+1} A^{2k}, V = Σ b_{2k} A^{2k}.
      var powers = [identity, a2]
      while powers.count < (m + 1) / 2 { powers.append(powers[powers.count - 1] * a2) }
      var odd = Matrix<Double>(rows: n, columns: n)
      v = Matrix<Double>(rows: n, columns: n)
      for (k, p) in powers.enumerated() {
        odd.add(p, scaledBy: b[2 * k + 1])
        v.add(p, scaledBy: b[2 * k])
      }
      u = a * odd
    } else {
      // Higham (2005), eq. (2.3)–(2.4): seven products and one solve.
      let a4 = a2 * a2
      let a6 = a4 * a2
      var inner = a6 * b[13]
      inner.add(a4, scaledBy: b[11])
      inner.add(a2, scaledBy: b[9])
      var odd = a6 * inner
      odd.add(a6, scaledBy: b[7])
      odd.add(a4, scaledBy: b[5])
      odd.add(a2, scaledBy: b[3])
      odd.add(identity, scaledBy: b[1])
      u = a * odd
      var innerV = a6 * b[12]
      innerV.add(a4, scaledBy: b[10])
      innerV.add(a2, scaledBy: b[8])
      v = a6 * innerV
      v.add(a6, scaledBy: b[6])
      v.add(a4, scaledBy: b[4])
      v.add(a2, scaledBy: b[2])
      v.add(identity, scaledBy: b[0])
    }
    return try (v - u).solve(v + u)
  }
}

extension Matrix {
  /// The 1-norm `‖A‖₁ = maxⱼ Σᵢ |aᵢⱼ|` (the largest absolute column sum).
  public func oneNorm() -> Scalar {
    var sums = [Scalar](repeating: 0, count: columns)
    withUnsafeBufferPointer { e in
      for i in 0..<rows { for j in 0..<columns { sums[j] += Swift.abs(e[i * columns + j]) } }
    }
    return sums.max() ?? 0
  }

  /// The matrix exponential `e^A = Σₖ Aᵏ/k!` of a square matrix, by scaling and squaring with a
  /// degree-3 to 13 Padé approximant (Higham 2005; see the backward-error bound there: the
  /// result is `e^{A + ΔA}` with `‖ΔA‖₁ ≤ 2⁻⁵³‖A‖₁` before rounding).
  ///
  /// ```swift
  /// let rotation = Matrix<Double>([[0, -.pi / 2], [.pi / 2, 0]]).exponential()   // [[0, −1], [1, 0]]
  /// ```
  ///
  /// The computation runs in `Double` for both precisions (with Higham's double-precision θ
  /// table) and rounds the result to `Scalar` once.
  ///
  /// - Throws: `LinearAlgebraError.nonFinite` for NaN or infinite entries, `.singular` if the
  ///   Padé denominator is singular (which the θ bounds exclude for finite input).
  /// - Complexity: `O(n³·(7 + s))` for `s = ⌈log₂(‖A‖₁/θ₁₃)⌉` squarings.
  public func exponential() throws -> Matrix {
    precondition(rows == columns, "exponential needs a square matrix, got \(shapeDescription)")
    guard isFinite else { throw LinearAlgebraError.nonFinite(operation: "exponential") }
    let result = try PadeExponential.exponential(converted(to: Double.self))
    return result.converted(to: Scalar.self)
  }

  /// This matrix in another precision (each entry rounded once).
  public func converted<Other: BLASScalar>(to _: Other.Type) -> Matrix<Other> {
    if let same = self as? Matrix<Other> { return same }
    return Matrix<Other>(rows: rows, columns: columns, elements: elements.map { Other($0) })
  }
}
