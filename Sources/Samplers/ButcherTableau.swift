/// The coefficients of an explicit Runge–Kutta method with `s` stages (Butcher 1963; Hairer,
/// Nørsett & Wanner, "Solving ODEs I", §II.1):
///
///     kᵢ = v(x₀ + h Σ_{j<i} aᵢⱼkⱼ, t₀ + cᵢh),   x₁ = x₀ + h Σᵢ bᵢkᵢ,   h = t₁ − t₀.
///
/// ``ExplicitRungeKutta`` runs any tableau; the ones here are ``EulerTableau`` (order 1),
/// ``HeunTableau`` (2), ``RungeKutta4Tableau`` (4) and ``DormandPrince5Tableau`` (5, with an
/// embedded error estimate, ``EmbeddedButcherTableau``).
///
/// ```swift
/// enum Midpoint: ButcherTableau {
///   static let nodes: [Double] = [0, 1.0 / 2]
///   static let stageCoefficients: [[Double]] = [[], [1.0 / 2]]
///   static let weights: [Double] = [0, 1]
///   static let order = 2
/// }
/// let solver = ExplicitRungeKutta<_, Midpoint>(field)
/// ```
public protocol ButcherTableau: Sendable {
  /// `cᵢ`, one per stage (`c₁ = 0`).
  static var nodes: [Double] { get }
  /// Row `i` holds `aᵢ₁ … aᵢ,ᵢ₋₁` (row 0 is empty).
  static var stageCoefficients: [[Double]] { get }
  /// `bᵢ`, one per stage.
  static var weights: [Double] { get }
  /// The classical order `p`: the global error is `O(hᵖ)`.
  static var order: Int { get }
}

/// A ``ButcherTableau`` with an embedded lower-order solution `x̂₁ = x₀ + h Σ b̂ᵢkᵢ` whose
/// difference from `x₁` estimates the local error, for adaptive steps
/// (``ExplicitRungeKutta/integrate(_:from:to:controller:workspace:observer:)``). The pair is
/// "first same as last": one more stage, `k_{s+1} = v(x₁, t₁)`, enters the estimate and is the
/// next step's first stage.
public protocol EmbeddedButcherTableau: ButcherTableau {
  /// `eᵢ = bᵢ − b̂ᵢ` for the `s` stages and the extra last stage `v(x₁, t₁)`.
  static var errorWeights: [Double] { get }
}

/// The explicit Euler method, order 1: `x₁ = x₀ + h·v(x₀, t₀)`. On the probability-flow ODE this
/// is the deterministic sampler of Song et al. (2021, appendix D.3) at its simplest.
public enum EulerTableau: ButcherTableau {
  /// `[0]`.
  public static let nodes: [Double] = [0]
  /// One stage.
  public static let stageCoefficients: [[Double]] = [[]]
  /// `[1]`.
  public static let weights: [Double] = [1]
  /// 1.
  public static let order = 1
}

/// Heun's method (the explicit trapezoidal rule), order 2:
/// `k₁ = v(x₀, t₀)`, `k₂ = v(x₀ + h·k₁, t₁)`, `x₁ = x₀ + (h/2)(k₁ + k₂)`. Karras et al. (2022,
/// Alg. 1) found it the best cost/accuracy trade-off among second-order solvers of the
/// probability-flow ODE.
public enum HeunTableau: ButcherTableau {
  /// `[0, 1]`.
  public static let nodes: [Double] = [0, 1]
  /// `a₂₁ = 1`.
  public static let stageCoefficients: [[Double]] = [[], [1]]
  /// `[½, ½]`.
  public static let weights: [Double] = [1.0 / 2, 1.0 / 2]
  /// 2.
  public static let order = 2
}

/// The classical fourth-order Runge–Kutta method:
/// `k₁ = v(x₀, t₀)`, `k₂ = v(x₀ + (h/2)k₁, t₀ + h/2)`, `k₃ = v(x₀ + (h/2)k₂, t₀ + h/2)`,
/// `k₄ = v(x₀ + h·k₃, t₁)`, `x₁ = x₀ + (h/6)(k₁ + 2k₂ + 2k₃ + k₄)`.
public enum RungeKutta4Tableau: ButcherTableau {
  /// `[0, ½, ½, 1]`.
  public static let nodes: [Double] = [0, 1.0 / 2, 1.0 / 2, 1]
  /// `a₂₁ = a₃₂ = ½`, `a₄₃ = 1`.
  public static let stageCoefficients: [[Double]] = [[], [1.0 / 2], [0, 1.0 / 2], [0, 0, 1]]
  /// `[1/6, 1/3, 1/3, 1/6]`.
  public static let weights: [Double] = [1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6]
  /// 4.
  public static let order = 4
}

/// The Dormand–Prince 5(4) pair (Dormand & Prince 1980; Hairer, Nørsett & Wanner, "Solving ODEs
/// I", Table II.5.2; the `RK45` of SciPy that Song et al. 2021 use): six stages for the
/// fifth-order solution, and the error weights `eᵢ = bᵢ − b̂ᵢ` of Hairer's DOPRI5 code, the
/// seventh at `v(x₁, t₁)`.
public enum DormandPrince5Tableau: EmbeddedButcherTableau {
  /// `[0, 1/5, 3/10, 4/5, 8/9, 1]`.
  public static let nodes: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1]
  /// `aᵢⱼ` of Table II.5.2.
  public static let stageCoefficients: [[Double]] = [
    [],
    [1.0 / 5],
    [3.0 / 40, 9.0 / 40],
    [44.0 / 45, -56.0 / 15, 32.0 / 9],
    [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
    [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
  ]
  /// The fifth-order weights (`b₂ = 0`).
  public static let weights: [Double] = [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]
  /// 5.
  public static let order = 5
  /// `bᵢ − b̂ᵢ`, the last for `v(x₁, t₁)`.
  public static let errorWeights: [Double] = [
    71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40,
  ]
}
