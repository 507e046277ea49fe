public import LinearAlgebra
import RealModule

/// Critically-damped Langevin diffusion (Dockhorn, Vahdat & Kreis 2022, *Score-Based Generative
/// Modeling with Critically-Damped Langevin Diffusion*, eq. 5): data `x ∈ ℝᵈ` is coupled to a
/// velocity `v ∈ ℝᵈ` of mass `M`, and noise enters only the velocity,
///
///     dx = β(t) M⁻¹ v dt,
///     dv = −β(t) x dt − β(t) Γ M⁻¹ v dt + √(2Γβ(t)) dW,
///
/// with friction `Γ² = 4M` (critical damping: the fastest approach to equilibrium without
/// oscillation). It is the ``LinearSDE`` on the augmented state `u = (x, v)` (columns `0..<d`
/// positions, `d..<2d` velocities) with
///
///     F = [ 0   M⁻¹ ] ⊗ I_d,   L = [ 0   0  ] ⊗ I_d,   c = 0,
///         [ −1  −ΓM⁻¹ ]            [ 0  √(2Γ) ]
///
/// whose stationary law is `N(0, I) ⊗ N(0, M I)` (the prior). At critical damping `F` has the
/// double eigenvalue `−2/Γ`, so with `B = ∫β` the kernel is, per coordinate (paper, App. B.1),
///
///     Φ = e^{−2B/Γ} [ 1 + 2B/Γ   4B/Γ²  ],   Σ_t = Σ_∞ + Φ(Σ₀ − Σ_∞)Φᵀ,
///                   [ −B        1 − 2B/Γ ]
///
/// which the tests compare with ``LinearSDE``'s Van Loan kernel. The paper's defaults:
/// `M = 0.25` (so `Γ = 1`), constant `β = 4` on `[0, 1]`, initial velocities
/// `v₀ ~ N(0, γM I)` with `γ = 0.04`.
///
/// ```swift
/// let cld = CriticallyDampedLangevin<Double>(dimension: 2)
/// let u0 = cld.augment(data, using: &rng)                 // n × 4: (x, v₀)
/// let sde = cld.process                                   // a LinearSDE on (x, v)
/// let oracle = try cld.oracle(weights: w, means: mu, covariances: c)   // exact score of (x, v)
/// ```
///
/// Euler–Maruyama, the probability-flow ODE and the exact likelihood of `(x, v)` work through
/// ``LinearGaussianSDE`` (the type is one itself, delegating to ``process``); the paper's symmetric
/// splitting sampler is ``SymmetricSplittingSampler``. Training uses the paper's hybrid score
/// matching (scores of `v` given `x₀` only, with its output parameterisation; see
/// ``HybridScoreKernel`` and ``DenoisingScoreMatching``), and the bound on `log p(x)` is
/// ``PositionLikelihoodBound``.
public struct CriticallyDampedLangevin<Scalar: BLASScalar>: Sendable, Equatable {
  /// The data dimension `d` (the process has `2d`).
  public let dimension: Int
  /// The mass `M`.
  public let mass: Scalar
  /// The friction `Γ = 2√M`.
  public var friction: Scalar { 2 * mass.squareRoot() }
  /// `γ`: initial velocities are `N(0, γM I)`.
  public let initialVelocityScale: Scalar
  /// The linear SDE on `(x, v)`.
  public let process: LinearSDE<Scalar>

  /// Why `dimension`, `mass`, `initialVelocityScale` make no critically-damped Langevin
  /// diffusion, or `nil`: the rule of ``init(dimension:mass:initialVelocityScale:schedule:endTime:)``
  /// and of ``SDEDescription/validationFailure``. The dimension is at most 2²⁴, so that a file
  /// cannot ask for matrices no machine holds.
  static func validationFailure(dimension: Int, mass: Scalar, initialVelocityScale: Scalar) -> String? {
    guard dimension >= 1 && dimension <= 1 << 24 else {
      return "critically-damped Langevin needs a dimension in 1…\(1 << 24), got \(dimension)"
    }
    guard mass > 0 && mass.isFinite else {
      return "critically-damped Langevin needs a finite mass M > 0, got \(mass)"
    }
    guard initialVelocityScale >= 0 && initialVelocityScale.isFinite else {
      return "critically-damped Langevin needs a finite γ ≥ 0, got \(initialVelocityScale)"
    }
    return nil
  }

  /// Critically-damped Langevin diffusion in `dimension` data dimensions.
  /// - Parameters:
  ///   - dimension: `d ≥ 1`.
  ///   - mass: `M > 0`, 0.25 by default.
  ///   - initialVelocityScale: `γ ≥ 0`, 0.04 by default.
  ///   - schedule: `β(t)`, constant 4 by default (the paper's).
  ///   - endTime: `T`, 1 by default.
  public init(
    dimension: Int, mass: Scalar = 0.25, initialVelocityScale: Scalar = 0.04,
    schedule: AnyNoiseSchedule<Scalar> = .linear(betaMin: 4, betaMax: 4), endTime: Scalar = 1
  ) {
    let failure = Self.validationFailure(
      dimension: dimension, mass: mass, initialVelocityScale: initialVelocityScale)
    if let failure { preconditionFailure(failure) }
    self.dimension = dimension
    self.mass = mass
    self.initialVelocityScale = initialVelocityScale
    let gamma = 2 * mass.squareRoot()
    let d = dimension
    var f = Matrix<Scalar>(rows: 2 * d, columns: 2 * d)
    var l = Matrix<Scalar>(rows: 2 * d, columns: 2 * d)
    for i in 0..<d {
      f[i, d + i] = 1 / mass
      f[d + i, i] = -1
      f[d + i, d + i] = -gamma / mass
      l[d + i, d + i] = (2 * gamma).squareRoot()
    }
    do {
      process = try LinearSDE(drift: f, noise: l, schedule: schedule, endTime: endTime)
    } catch {
      preconditionFailure("CriticallyDampedLangevin: the process could not be built: \(error)")
    }
  }

  /// The per-coordinate `2 × 2` transition `Φ` over `B = ∫β` in closed form (see the type).
  public func closedFormTransition(integratedBeta b: Scalar) -> Matrix<Scalar> {
    let g = friction
    return Matrix([[1 + 2 * b / g, 4 * b / (g * g)], [-b, 1 - 2 * b / g]]) * Scalar.exp(-2 * b / g)
  }

  /// The per-coordinate `2 × 2` kernel covariance from an initial `diag(Σ₀ˣˣ, Σ₀ᵛᵛ)` in the
  /// closed form of Dockhorn et al. (2022, App. B.1), with `B = ∫β` and `Γ = 2√M`:
  ///
  ///     e^{4B/Γ} Σˣˣ = e^{4B/Γ} − 1 + Σ₀ˣˣ + 4BΓ⁻¹(Σ₀ˣˣ − 1) + 4B²Γ⁻²(Σ₀ˣˣ − 2) + 16B²Γ⁻⁴Σ₀ᵛᵛ,
  ///     e^{4B/Γ} Σˣᵛ = −BΣ₀ˣˣ + 4BΓ⁻²Σ₀ᵛᵛ − 2B²Γ⁻¹(Σ₀ˣˣ − 2) − 8B²Γ⁻³Σ₀ᵛᵛ,
  ///     e^{4B/Γ} Σᵛᵛ = ¼Γ²e^{4B/Γ} − ¼Γ² + BΓ + Σ₀ᵛᵛ(1 + 4B²Γ⁻² − 4BΓ⁻¹) + B²(Σ₀ˣˣ − 2).
  public func closedFormCovariance(
    integratedBeta b: Scalar, initialPositionVariance sxx: Scalar, initialVelocityVariance svv: Scalar
  ) -> Matrix<Scalar> {
    let g = friction
    let e: Scalar = Scalar.exp(4 * b / g)
    let (r, r2): (Scalar, Scalar) = (b / g, b * b / (g * g))  // BΓ⁻¹, B²Γ⁻²
    let g2: Scalar = g * g
    var xx: Scalar = e - 1 + sxx
    xx += 4 * r * (sxx - 1)
    xx += 4 * r2 * (sxx - 2)
    xx += 16 * r2 / g2 * svv
    var xv: Scalar = -b * sxx
    xv += 4 * b / g2 * svv
    xv -= 2 * r2 * g * (sxx - 2)
    xv -= 8 * r2 / g * svv
    var vv: Scalar = g2 / 4 * (e - 1)
    vv += b * g
    vv += svv * (1 + 4 * r2 - 4 * r)
    vv += b * b * (sxx - 2)
    return Matrix([[xx, xv], [xv, vv]]) * (1 / e)
  }

  /// Appends initial velocities `v₀ ~ N(0, γM I)` to data `x` (`n × d`), returning `n × 2d`.
  public func augment<G: RandomNumberGenerator>(_ x: Matrix<Scalar>, using rng: inout G) -> Matrix<Scalar> {
    precondition(x.columns == dimension, "augment: data \(x.shapeDescription) for dimension \(dimension)")
    let scale = (initialVelocityScale * mass).squareRoot()
    var u = Matrix<Scalar>(rows: x.rows, columns: 2 * dimension)
    for i in 0..<x.rows {
      for j in 0..<dimension {
        u[i, j] = x[i, j]
        u[i, dimension + j] = scale * Scalar.randomNormal(using: &rng)
      }
    }
    return u
  }

  /// The positions `x` (the first `d` columns) of augmented states `u` (`n × 2d`).
  public func positions(_ u: Matrix<Scalar>) -> Matrix<Scalar> {
    precondition(
      u.columns == 2 * dimension, "positions: states \(u.shapeDescription) for 2d = \(2 * dimension)")
    var x = Matrix<Scalar>(rows: u.rows, columns: dimension)
    for i in 0..<u.rows { for j in 0..<dimension { x[i, j] = u[i, j] } }
    return x
  }

  /// The exact score of `(x, v)` when `x` follows the mixture `Σₖ wₖ N(μₖ, Σₖ)` and `v₀ ~ N(0, γM
  /// I)` independently: the mixture of the block-diagonal components `N((μₖ, 0), diag(Σₖ, γM I))`
  /// pushed through ``process`` (``LinearGaussianMixtureScore``).
  /// - Throws: ``ScoreOracleError`` for bad weights or covariances, or when `γ = 0` (the
  ///   initial velocity is then a point mass, whose score does not exist).
  public func oracle(
    weights: [Scalar], means: [[Scalar]], covariances: [Matrix<Scalar>]
  ) throws(ScoreOracleError) -> LinearGaussianMixtureScore<LinearSDE<Scalar>> {
    let d = dimension
    let velocityVariance = initialVelocityScale * mass
    precondition(
      covariances.allSatisfy { $0.rows == d && $0.columns == d } && means.allSatisfy { $0.count == d },
      "CriticallyDampedLangevin.oracle: means \(means.map(\.count)) and covariances "
        + "\(covariances.map(\.shapeDescription)) for dimension \(d)")
    let blocks = covariances.map { c in
      var b = Matrix<Scalar>(rows: 2 * d, columns: 2 * d)
      for i in 0..<d {
        for j in 0..<d { b[i, j] = c[i, j] }
      }
      for i in 0..<d { b[d + i, d + i] = velocityVariance }
      return b
    }
    return try LinearGaussianMixtureScore(
      weights: weights, means: means.map { $0 + [Scalar](repeating: 0, count: d) }, covariances: blocks,
      process: process)
  }
}
