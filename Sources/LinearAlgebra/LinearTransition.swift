import RealModule

/// The exact transition of the time-homogeneous linear SDE `dX = (F X + c) ds + L dW` over a
/// duration `h`, with `Q = L Lᵀ` (Särkkä & Solin 2019, *Applied Stochastic Differential
/// Equations*, §6.2–6.3):
///
///     X(h) | X(0) ~ N(Φ X(0) + m, Σ),
///     Φ = e^{F h},   m = ∫₀ʰ e^{F u} c du,   Σ = ∫₀ʰ e^{F u} Q e^{Fᵀ u} du.
///
/// All three come from one matrix exponential of Van Loan's (1978) block matrix
///
///     C = [ F   Q    c ]            e^{C τ} = [ Φ(τ)  M(τ)      m(τ) ]
///         [ 0  −Fᵀ   0 ] ,                    [ 0     e^{−Fᵀτ}  0    ] ,   Σ(τ) = M(τ) Φ(τ)ᵀ,
///         [ 0   0    0 ]                      [ 0     0         1    ]
///
/// (``Matrix/exponential()``, Higham 2005). For a stable `F` and a long `h` the block
/// `e^{−Fᵀτ}` grows like `e^{|λ|τ}` and `M Φᵀ` loses digits to cancellation, so the block
/// exponential is taken only over `τ = h/2ᵏ` with `‖F‖₁ τ ≤ 1`, and the result is doubled `k`
/// times with
///
///     Φ(2τ) = Φ(τ)²,   m(2τ) = Φ(τ) m(τ) + m(τ),   Σ(2τ) = Σ(τ) + Φ(τ) Σ(τ) Φ(τ)ᵀ,
///
/// which adds only positive semi-definite terms (no cancellation). Computed in `Double`.
///
/// ```swift
/// let k = try LinearTransition(drift: f, offset: c, noiseCovariance: q, duration: 0.5)
/// // x_h = k.transition · x₀ + k.shift + chol(k.covariance) · z
/// ```
///
/// - Van Loan, C. F. (1978). *Computing integrals involving the matrix exponential.* IEEE
///   Trans. Automatic Control 23(3), 395–404.
public struct LinearTransition<Scalar: BLASScalar>: Sendable, Equatable {
  /// `Φ = e^{F h}`, `d × d`.
  public var transition: Matrix<Scalar>
  /// `m = ∫₀ʰ e^{F u} c du`, `d` entries.
  public var shift: [Scalar]
  /// `Σ = ∫₀ʰ e^{F u} Q e^{Fᵀ u} du`, `d × d`, symmetric positive semi-definite.
  public var covariance: Matrix<Scalar>

  /// A transition from its parts (no check).
  @inlinable
  public init(transition: Matrix<Scalar>, shift: [Scalar], covariance: Matrix<Scalar>) {
    (self.transition, self.shift, self.covariance) = (transition, shift, covariance)
  }

  /// The transition of `dX = (F X + c) ds + L dW` over `duration`.
  /// - Parameters:
  ///   - drift: `F`, `d × d`.
  ///   - offset: `c`, `d` entries (zero if empty).
  ///   - noiseCovariance: `Q = L Lᵀ`, `d × d`, symmetric.
  ///   - duration: `h ≥ 0`.
  /// - Throws: `LinearAlgebraError.nonFinite` for non-finite input.
  public init(
    drift: Matrix<Scalar>, offset: [Scalar] = [], noiseCovariance: Matrix<Scalar>, duration: Scalar
  ) throws {
    let d = drift.rows
    precondition(drift.columns == d, "LinearTransition: drift \(drift.shapeDescription) is not square")
    precondition(
      noiseCovariance.rows == d && noiseCovariance.columns == d,
      "LinearTransition: drift \(drift.shapeDescription) but noise covariance \(noiseCovariance.shapeDescription)"
    )
    precondition(
      offset.isEmpty || offset.count == d, "LinearTransition: \(offset.count) offsets for dimension \(d)")
    precondition(duration >= 0, "LinearTransition: negative duration \(duration)")
    guard duration.isFinite, offset.allSatisfy(\.isFinite) else {
      throw LinearAlgebraError.nonFinite(operation: "LinearTransition")
    }
    let f = drift.converted(to: Double.self)
    let q = noiseCovariance.converted(to: Double.self)
    let c = offset.isEmpty ? [Double](repeating: 0, count: d) : offset.map(Double.init)
    let h = Double(duration)
    // Halvings so that ‖F‖₁ τ ≤ 1.
    let norm = f.oneNorm() * h
    let halvings = norm > 1 ? Int(Double.log2(norm).rounded(.up)) : 0
    let tau = h * Double.exp2(Double(-halvings))
    var (phi, m, sigma) = try Self.vanLoan(f, c, q, tau)
    for _ in 0..<halvings {
      let phiSigma = phi * sigma
      var doubled = sigma
      doubled.formProduct(phiSigma, phi, transposingB: true, beta: 1)
      sigma = doubled
      let phiM = phi.multiplied(by: m)
      for i in 0..<d { m[i] += phiM[i] }
      phi = phi * phi
    }
    sigma = sigma.symmetrized()
    transition = phi.converted(to: Scalar.self)
    shift = m.map { Scalar($0) }
    covariance = sigma.converted(to: Scalar.self)
  }

  /// One block exponential over `τ` (see the type's documentation).
  static func vanLoan(_ f: Matrix<Double>, _ c: [Double], _ q: Matrix<Double>, _ tau: Double) throws -> (
    Matrix<Double>, [Double], Matrix<Double>
  ) {
    let d = f.rows
    let n = 2 * d + 1
    var block = Matrix<Double>(rows: n, columns: n)
    for i in 0..<d {
      for j in 0..<d {
        block[i, j] = f[i, j] * tau
        block[i, d + j] = q[i, j] * tau
        block[d + i, d + j] = -f[j, i] * tau
      }
      block[i, 2 * d] = c[i] * tau
    }
    let e = try block.exponential()
    var phi = Matrix<Double>(rows: d, columns: d)
    var mBlock = Matrix<Double>(rows: d, columns: d)
    var m = [Double](repeating: 0, count: d)
    for i in 0..<d {
      for j in 0..<d {
        phi[i, j] = e[i, j]
        mBlock[i, j] = e[i, d + j]
      }
      m[i] = e[i, 2 * d]
    }
    return (phi, m, Matrix.product(mBlock, phi, transposingB: true))
  }
}

extension Matrix {
  /// Van Loan's (1978) covariance integral `Σ(h) = ∫₀ʰ e^{F u} Q e^{Fᵀ u} du`, the covariance at
  /// time `h` of `dX = F X ds + L dW` started at a point (`Q = L Lᵀ`): the solution at `h` of
  /// the Lyapunov ODE `dΣ/ds = F Σ + Σ Fᵀ + Q`, `Σ(0) = 0`. See ``LinearTransition`` for the
  /// block-matrix exponential and the doubling that keeps it accurate for long durations.
  /// - Throws: `LinearAlgebraError.nonFinite` for non-finite input.
  public static func vanLoanCovariance(drift: Matrix, noiseCovariance: Matrix, duration: Scalar) throws
    -> Matrix
  {
    try LinearTransition(drift: drift, noiseCovariance: noiseCovariance, duration: duration).covariance
  }

  /// The solution `Σ` of the continuous Lyapunov equation `F Σ + Σ Fᵀ + Q = 0`: for a stable
  /// `F` (every eigenvalue with negative real part), the stationary covariance
  /// `Σ_∞ = ∫₀^∞ e^{F u} Q e^{Fᵀ u} du` of `dX = F X ds + L dW` (Särkkä & Solin 2019, §6.5).
  ///
  /// Solved as the `d² × d²` linear system `(F ⊗ I + I ⊗ F) vec Σ = −vec Q` (one LAPACKE LU
  /// solve, in `Double`; `O(d⁶)`, meant for the modest `d` of a phase-space process), then
  /// symmetrised.
  /// - Throws: `LinearAlgebraError.singular` when two eigenvalues of `F` sum to zero (no unique
  ///   solution), `.nonFinite` for non-finite input.
  public static func lyapunovSolution(drift: Matrix, noiseCovariance: Matrix) throws -> Matrix {
    let d = drift.rows
    precondition(drift.columns == d, "lyapunovSolution: drift \(drift.shapeDescription) is not square")
    precondition(
      noiseCovariance.rows == d && noiseCovariance.columns == d,
      "lyapunovSolution: drift \(drift.shapeDescription) but noise covariance \(noiseCovariance.shapeDescription)"
    )
    let f = drift.converted(to: Double.self)
    let q = noiseCovariance.converted(to: Double.self)
    // Row-major vec: σ[i·d + j] = Σᵢⱼ. (FΣ)ᵢⱼ = Σₖ Fᵢₖ Σₖⱼ, (ΣFᵀ)ᵢⱼ = Σₖ Σᵢₖ Fⱼₖ.
    var k = Matrix<Double>(rows: d * d, columns: d * d)
    var rhs = Matrix<Double>(rows: d * d, columns: 1)
    for i in 0..<d {
      for j in 0..<d {
        let row = i * d + j
        for l in 0..<d {
          k[row, l * d + j] += f[i, l]
          k[row, i * d + l] += f[j, l]
        }
        rhs[row, 0] = -q[i, j]
      }
    }
    let solution = try k.solve(rhs)
    return Matrix<Double>(rows: d, columns: d, elements: solution.elements).symmetrized()
      .converted(to: Scalar.self)
  }

  /// `(A + Aᵀ)/2` of a square matrix.
  public func symmetrized() -> Matrix {
    precondition(rows == columns, "symmetrized needs a square matrix, got \(shapeDescription)")
    var s = self
    for i in 0..<rows {
      for j in (i + 1)..<columns {
        let mean = (self[i, j] + self[j, i]) / 2
        s[i, j] = mean
        s[j, i] = mean
      }
    }
    return s
  }
}
