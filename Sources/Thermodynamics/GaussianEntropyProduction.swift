public import DiffusionProcesses
import LinearAlgebra
import RealModule

/// The entropy balance of the forward process in closed form when the data are Gaussian,
/// `x₀ ~ N(μ, Σ)`: the exact values that ``EntropyProduction`` estimates.
///
/// With the kernel `(A, σ) = marginal(t)`, `B = shift(t)` and the affine drift
/// `f = a(t)·x + b(t)`, the marginal is `p_t = N(m_t, Σ_t)`, `m_t = Aμ + B`, `Σ_t = A²Σ + σ²I`,
/// and the velocity is affine:
///
///     v = f − D∇log p_t = (aI + DΣ_t⁻¹)(x − m_t) + ṁ_t,   ṁ_t = a·m_t + b.
///
/// Diagonalising `Σ = V diag(λⱼ) Vᵀ` once, `Σ_t` has eigenvalues `eⱼ(t) = A²λⱼ + σ²`, which obey
/// the Lyapunov equation `ėⱼ = 2a·eⱼ + g² = 2(a·eⱼ + D)`. Then (Seifert 2012, eq. 24 with
/// `p_t` Gaussian)
///
///     Ṡ_tot = (1/D) [ Σⱼ (a·eⱼ + D)²/eⱼ + ‖ṁ_t‖² ] = (1/D) [ Σⱼ ėⱼ²/(4eⱼ) + ‖ṁ_t‖² ],
///     dS/dt = Σⱼ (a + D/eⱼ) = ½ Σⱼ ėⱼ/eⱼ,     S(t) = ½ Σⱼ log(2πe·eⱼ(t)),
///     Ṡ_m   = E[f·v]/D = (1/D) [ Σⱼ a(a·eⱼ + D) + ‖ṁ_t‖² ]   (= Ṡ_tot − dS/dt).
///
/// The mean's motion `‖ṁ_t‖²/D` is pure dissipation (it changes no entropy); for the VP process
/// with data `N(0, I)` everything vanishes (`p_t` is stationary). Integrals: `ΔS` is exact,
/// `ΔS_tot` is composite Gauss–Legendre quadrature of the closed-form rate.
///
/// ```swift
/// let oracle = try GaussianScore(mean: [1], covariance: Matrix([[0.25]]), process: VPSDE<Double>())
/// let exact = try GaussianEntropyProduction(oracle)
/// print(exact.rates(at: 0.3), exact.integrated(from: 1e-3, to: 1))
/// ```
public struct GaussianEntropyProduction<Process: GaussianSDE>: Sendable {
  /// The forward process.
  public let process: Process
  /// The data mean `μ`.
  public let mean: [Double]
  /// The eigenvalues `λⱼ` of the data covariance `Σ`.
  public let covarianceEigenvalues: [Double]

  /// The closed forms for the data of a Gaussian oracle.
  /// - Throws: the eigendecomposition's error (the oracle's covariance is already checked, so
  ///   only a LAPACK failure to converge).
  public init(_ oracle: GaussianScore<Process>) throws {
    self.process = oracle.process
    self.mean = oracle.mean.map(Double.init)
    self.covarianceEigenvalues = try oracle.covariance.symmetricEigendecomposition().values.map(Double.init)
  }

  /// The dimension `d`.
  public var dimension: Int { mean.count }

  /// `eⱼ(t) = A²λⱼ + σ²`, the eigenvalues of `Σ_t`.
  public func marginalEigenvalues(at t: Process.Scalar) -> [Double] {
    let (a, s) = process.marginal(at: t)
    let (scale, std) = (Double(a), Double(s))
    return covarianceEigenvalues.map { scale * scale * $0 + std * std }
  }

  /// The entropy `S(t) = ½ Σⱼ log(2πe·eⱼ(t))` of `p_t`, in nats.
  public func entropy(at t: Process.Scalar) -> Double {
    marginalEigenvalues(at: t).reduce(0) { $0 + Double.log(2 * Double.pi * Double.exp(1) * $1) / 2 }
  }

  /// `Ṡ_tot(t)`, `dS/dt` and `Ṡ_m(t)` in closed form.
  /// - Precondition: `g(t) > 0`.
  public func rates(at t: Process.Scalar) -> EntropyBalance {
    let g = Double(process.diffusion(at: t))
    let diffusivity = g * g / 2
    precondition(diffusivity > 0, "GaussianEntropyProduction: g(\(t)) = 0")
    let (coefficient, offset) = process.linearDrift(at: t)
    let (a, b) = (Double(coefficient), Double(offset))
    let scale = Double(process.marginal(at: t).scale)
    let shift = Double(process.marginalShift(at: t))
    var total = 0.0
    var system = 0.0
    var medium = 0.0
    for e in marginalEigenvalues(at: t) {
      let half = a * e + diffusivity  // ėⱼ/2
      total += half * half / e
      system += half / e
      medium += a * half
    }
    for mu in mean {
      let velocity = a * (scale * mu + shift) + b
      total += velocity * velocity
      medium += velocity * velocity
    }
    return EntropyBalance(total: total / diffusivity, system: system, medium: medium / diffusivity)
  }

  /// The balance over `[t₀, t₁]`: `ΔS = S(t₁) − S(t₀)` exactly, `ΔS_tot` and the medium's share
  /// by `panels`-panel 5-point Gauss–Legendre quadrature of ``rates(at:)`` (so `total = system +
  /// medium` holds to the quadrature's accuracy, and a medium term that vanishes identically, as
  /// for VE, is exactly 0).
  public func integrated(from start: Process.Scalar, to end: Process.Scalar, panels: Int = 2000)
    -> EntropyBalance
  {
    precondition(start > 0 && start < end, "GaussianEntropyProduction.integrated: need 0 < t₀ < t₁")
    let total = GaussLegendre.fivePoint.integrate(from: Double(start), to: Double(end), panels: panels) {
      rates(at: Process.Scalar($0)).total
    }
    let medium = GaussLegendre.fivePoint.integrate(from: Double(start), to: Double(end), panels: panels) {
      rates(at: Process.Scalar($0)).medium
    }
    return EntropyBalance(total: total, system: entropy(at: end) - entropy(at: start), medium: medium)
  }
}
