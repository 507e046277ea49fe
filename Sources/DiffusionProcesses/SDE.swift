public import LinearAlgebra

/// A forward (noising) stochastic differential equation `dx = f(x, t) dt + g(t) dW` on
/// `t ∈ [0, T]`, with a scalar diffusion coefficient `g(t)` shared by every coordinate
/// (Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential
/// Equations", eq. 5).
///
/// Data `x(0) ~ p_data` is pushed by the SDE to a tractable prior `x(T) ~ p_T`; generation
/// integrates the ``ReverseSDE`` or the ``ProbabilityFlowODE`` back from the prior. Rows of every
/// matrix are samples, columns are dimensions; an SDE works in any dimension.
///
/// ```swift
/// let sde = VPSDE<Float>()                       // β ∈ [0.1, 20], T = 1
/// var f = Matrix<Float>(rows: x.rows, columns: x.columns)
/// sde.drift(x, at: 0.5, into: &f)                // f(x, 0.5) = −½β(0.5)·x
/// let g = sde.diffusion(at: 0.5)                 // √β(0.5)
/// ```
///
/// The number of discretisation steps is not part of an SDE: it belongs to a time grid or a
/// solver.
public protocol SDE<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar

  /// The end time `T` of the forward process (1 for every SDE in this module by default).
  var endTime: Scalar { get }

  /// Writes the drift `f(xᵢ, t)` of every row of `x` into the same row of `out`, which must have
  /// the shape of `x`. Allocates nothing.
  func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>)

  /// The diffusion coefficient `g(t)` (the same for every coordinate).
  func diffusion(at t: Scalar) -> Scalar

  /// `count` independent draws, `count × dimension`, from the prior `p_T` that the forward
  /// process approaches at `t = T`.
  func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>

  /// `log p_T(xᵢ)` of the prior for every row of `x` (one entry per row).
  func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar]

  /// The smallest time samplers and likelihood integrators should use, `ε` in Song et al.
  /// (2021): scores blow up like `1/std(t)` as `t → 0`, so integration stops at `t = ε`.
  /// Defaults to ``SDEDefaults/smallTimeCutoff`` (`1e-5`).
  var smallTimeCutoff: Scalar { get }

  /// The constant `d × d` matrix `L` of a matrix diffusion term `G(t) = g(t)·L`, so that the
  /// SDE reads `dx = f(x, t) dt + g(t) L dW`; `nil` (the default) means `L = I`, the scalar
  /// diffusion of every process of Song et al. (2021). ``LinearSDE`` (and critically-damped
  /// Langevin diffusion, whose noise enters only the velocity) set it. Samplers apply it to
  /// the noise (`G z = g·L z`) and to the score (`G Gᵀ s = g²·L Lᵀ s`, see
  /// ``noiseCovariance``).
  var noiseFactor: Matrix<Scalar>? { get }

  /// `Q = L Lᵀ` for ``noiseFactor`` `L`, so that `G(t) G(t)ᵀ = g(t)²·Q` (the matrix of the
  /// reverse drift `f − G Gᵀ ∇ log p`, Anderson 1982); `nil` (the default) when `L = I`.
  var noiseCovariance: Matrix<Scalar>? { get }
}

/// Defaults shared by every SDE in the module, from Song et al. (2021).
public enum SDEDefaults {
  /// The end time `T = 1` of every forward process.
  public static let endTime: Double = 1
  /// The small-time cutoff `ε = 1e-5` where samplers stop and likelihood integration starts
  /// (Song et al. 2021, appendix C/D: `sampling_eps = 1e-5`, `likelihood eps = 1e-5`).
  public static let smallTimeCutoff: Double = 1e-5
}

extension SDE {
  /// ``SDEDefaults/smallTimeCutoff``, `ε = 1e-5`.
  @inlinable
  public var smallTimeCutoff: Scalar { Scalar(SDEDefaults.smallTimeCutoff) }

  /// `nil`: the diffusion is the scalar `g(t)` on every coordinate (`L = I`).
  @inlinable
  public var noiseFactor: Matrix<Scalar>? { nil }

  /// `nil`: `G Gᵀ = g(t)² I`.
  @inlinable
  public var noiseCovariance: Matrix<Scalar>? { nil }

  /// The drift `f(x, t)` as a new matrix (convenient; allocates).
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> {
    var out = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    drift(x, at: t, into: &out)
    return out
  }

  /// The `t ∈ [0, endTime]` with `h(t) = target` for an increasing `h`, by bisection to the last
  /// bit (the nearer end when `target` is outside `h`'s range): the time inverses that have no
  /// closed form.
  @inlinable
  func bisect(increasing h: (Scalar) -> Scalar, target: Scalar) -> Scalar {
    var lo: Scalar = 0
    var hi = endTime
    while true {
      let mid = lo + (hi - lo) / 2
      if mid <= lo || mid >= hi { return h(hi) - target <= target - h(lo) ? hi : lo }
      if h(mid) < target { lo = mid } else { hi = mid }
    }
  }
}

/// Checks the times of a transition kernel `p(x_t | x_s)`: `0 ≤ s ≤ t` (a programmer error
/// otherwise; NaN fails too).
@inlinable
func checkTransitionTimes<Scalar: BLASScalar>(from s: Scalar, to t: Scalar) {
  precondition(s >= 0 && s <= t, "transition(from: \(s), to: \(t)) needs 0 ≤ s ≤ t")
}
