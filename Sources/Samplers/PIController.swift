public import LinearAlgebra
public import RealModule

/// Step-size control for an integrator with an embedded error estimate: the proportional–integral
/// (PI) controller of Gustafsson (1991), as written in Hairer & Wanner's DOPRI5 code (Hairer,
/// Nørsett & Wanner, "Solving ODEs I", §II.4; Hairer & Wanner, "Solving ODEs II", §IV.2; Söderlind
/// 2002, "Automatic control and adaptive time-stepping"). It steers the Runge–Kutta pairs of the
/// probability flow (``ExplicitRungeKutta``) and, set as the elementary controller of
/// Jolicoeur-Martineau et al.
/// (``jolicoeurMartineau(relativeTolerance:absoluteTolerance:maximumSteps:)``), the adaptive
/// reverse-SDE solver (``AdaptiveReverseSDESolver``).
///
/// A step is accepted when the scaled error norm of Hairer, Nørsett & Wanner (II.4.11), taken
/// over the `n × d` entries of the whole batch as one system,
///
///     err = ( (1/(n·d)) Σᵢⱼ (eᵢⱼ / δᵢⱼ)² )^{1/2},   δᵢⱼ = atol + rtol·max(|x₀ᵢⱼ|, |x₁ᵢⱼ|),
///
/// is at most 1 (``ToleranceScale/sum``; ``ToleranceScale/maximum`` takes
/// `δ = max(atol, rtol·max(|x₀|, |x₁|))` instead, as Jolicoeur-Martineau et al. do). This norm
/// over the whole batch is ``ErrorNorm/rootMeanSquare`` (score_sde's `solve_ivp` call on the
/// flattened batch and k-diffusion's adaptive sampler use the same norm). Rows near a boundary
/// between modes, where the flow separates neighbouring states, count for their share rather than
/// setting every row's step, so the cost hardly grows with the batch (2-D mixture,
/// `rtol = atol = 1e-5`: 86 evaluations for 64 draws, 98 for 1000). ``ErrorNorm/worstRow`` takes
/// the per-row root mean square and its maximum over rows instead, so that every row meets the
/// tolerance, at a cost that grows with the batch (116 and 164 evaluations there). The next step
/// size is then
///
///     h_new = h · clamp(safety · err^{−α} · err_prev^{β}, minimumFactor, maximumFactor),
///
/// with `β = 0.08` and `α = 1/5 − 0.75β = 0.14`: Gustafsson's gains `α ≈ 0.7/k`, `β ≈ 0.4/k` for
/// `k = 5` (Hairer & Wanner II, (IV.2.43)), which the DOPRI5 code's `α = 1/5 − 0.75β` also gives.
/// The larger `β` (DOPRI5's default is 0.04) damps the step's growth where the error per unit
/// step rises quickly — on the probability flow, from `T` towards the times where the modes
/// separate — and so avoids the rejections that left the cost flat in the tolerance. The first
/// step's predecessor counts as `err_prev = 10⁻⁴`, as in DOPRI5. After a rejection,
/// `h_new = h · max(minimumFactor, safety · err^{−α})` (at most `h`), and the Runge–Kutta
/// integrators do not let the next accepted step grow.
///
/// ```swift
/// let controller = PIController<Double>(relativeTolerance: 1e-8, absoluteTolerance: 1e-8)
/// let stats = try DormandPrince5(flow).integrate(&x, from: 1, to: 1e-5,
///                                               controller: controller, workspace: &ws)
/// ```
public struct PIController<Scalar: BLASScalar>: Sendable, Hashable {
  /// `rtol`, the error allowed relative to the state's magnitude.
  public var relativeTolerance: Scalar
  /// `atol`, the error allowed near zero.
  public var absoluteTolerance: Scalar
  /// The safety factor applied to every proposed step (0.9).
  public var safety: Scalar
  /// The exponent `α` of the current error (0.14).
  public var integralExponent: Scalar
  /// The exponent `β` of the previous error (0.08; 0 with `α = 1/5` gives the elementary
  /// controller `err^{−1/5}`).
  public var proportionalExponent: Scalar
  /// The smallest ratio `h_new/h` (0.2).
  public var minimumFactor: Scalar
  /// The largest ratio `h_new/h` (10).
  public var maximumFactor: Scalar
  /// How the error is measured over the batch (``ErrorNorm/rootMeanSquare``).
  public var norm: ErrorNorm
  /// How `atol` and `rtol` combine into an entry's allowed error (``ToleranceScale/sum``).
  public var toleranceScale: ToleranceScale
  /// The first step's size (its magnitude); `nil` lets the integrator choose: Hairer's algorithm
  /// for the Runge–Kutta pairs (one extra field evaluation), 0.01 for ``AdaptiveReverseSDESolver``.
  public var initialStepSize: Scalar?
  /// The most steps (accepted and rejected) before ``SamplingError/tooManySteps(maximumSteps:time:)``.
  public var maximumSteps: Int

  /// A PI controller for the given tolerances, with Hairer's defaults for the rest.
  /// - Parameters:
  ///   - relativeTolerance: `rtol > 0`.
  ///   - absoluteTolerance: `atol > 0`.
  ///   - initialStepSize: the first step's size (`nil` chooses it); not NaN and not 0 (its sign
  ///     is ignored, and ∞ tries the whole interval first).
  ///   - maximumSteps: the step budget (100 000).
  @inlinable
  public init(
    relativeTolerance: Scalar, absoluteTolerance: Scalar, initialStepSize: Scalar? = nil,
    maximumSteps: Int = 100_000
  ) {
    precondition(
      relativeTolerance > 0 && absoluteTolerance > 0,
      "PIController needs positive tolerances, got rtol \(relativeTolerance), atol \(absoluteTolerance)")
    precondition(maximumSteps > 0, "PIController needs a positive step budget, got \(maximumSteps)")
    self.relativeTolerance = relativeTolerance
    self.absoluteTolerance = absoluteTolerance
    self.safety = 0.9
    self.integralExponent = 0.14
    self.proportionalExponent = 0.08
    self.norm = .rootMeanSquare
    self.toleranceScale = .sum
    self.minimumFactor = 0.2
    self.maximumFactor = 10
    self.initialStepSize = initialStepSize
    self.maximumSteps = maximumSteps
    _ = firstStep  // checks initialStepSize
  }

  /// The integrators' first step: the magnitude of ``initialStepSize``, or `nil` when they choose
  /// it.
  /// - Precondition: `initialStepSize`, when set, is neither NaN nor 0.
  @inlinable
  var firstStep: Scalar? {
    guard let h = initialStepSize else { return nil }
    precondition(!h.isNaN && h != 0, "PIController: initialStepSize must be a step length, got \(h)")
    return Swift.abs(h)
  }

  /// The ratio `h_new/h` after an accepted step with error `err` (≤ 1), the previous accepted
  /// step having had `previousError`.
  @inlinable
  public func acceptedFactor(error: Scalar, previousError: Scalar) -> Scalar {
    let f = safety * Scalar.pow(error, -integralExponent) * Scalar.pow(previousError, proportionalExponent)
    return Swift.min(maximumFactor, Swift.max(minimumFactor, f.isNaN ? maximumFactor : f))
  }

  /// The ratio `h_new/h` after a rejected step with error `err` (> 1, or not finite).
  @inlinable
  public func rejectedFactor(error: Scalar) -> Scalar {
    guard error.isFinite else { return minimumFactor }
    return Swift.min(1, Swift.max(minimumFactor, safety * Scalar.pow(error, -integralExponent)))
  }

  /// The scaled error norm above, ``norm``-reduced over the batch: the root mean square of `e/δ`
  /// over every entry, or its per-row root mean square maximised over rows, with
  /// `δ = atol + rtol·max(|x₀|, |x₁|)` or (``ToleranceScale/maximum``)
  /// `δ = max(atol, rtol·max(|x₀|, |x₁|))`. Not finite when any input is not.
  @inlinable
  public func errorNorm(_ error: Matrix<Scalar>, start x0: Matrix<Scalar>, end x1: Matrix<Scalar>) -> Scalar {
    let d = error.columns
    if d == 0 || error.rows == 0 { return 0 }
    var worst: Scalar = 0
    var total: Scalar = 0
    error.withUnsafeBufferPointer { e in
      x0.withUnsafeBufferPointer { a in
        x1.withUnsafeBufferPointer { b in
          for i in 0..<error.rows {
            var sum: Scalar = 0
            for j in (i * d)..<((i + 1) * d) {
              let relative = relativeTolerance * Swift.max(Swift.abs(a[j]), Swift.abs(b[j]))
              let scale =
                toleranceScale == .sum ? absoluteTolerance + relative : Swift.max(absoluteTolerance, relative)
              let r = e[j] / scale
              sum += r * r
            }
            total += sum
            let rms = (sum / Scalar(d)).squareRoot()
            if !(rms <= worst) { worst = rms }  // propagates NaN
          }
        }
      }
    }
    switch norm {
    case .rootMeanSquare: return (total / Scalar(error.rows * d)).squareRoot()
    case .worstRow: return worst
    }
  }

  /// How ``errorNorm(_:start:end:)`` reduces the scaled errors of a batch to one number.
  public enum ErrorNorm: Sendable, Hashable {
    /// The root mean square over every entry of the batch: the batch is one system of `n·d`
    /// unknowns (Hairer, Nørsett & Wanner, (II.4.11)).
    case rootMeanSquare
    /// The largest per-row root mean square: every row meets the tolerance.
    case worstRow
  }

  /// How ``errorNorm(_:start:end:)`` forms an entry's allowed error `δ` from the tolerances and
  /// the state's magnitude `m = max(|x₀|, |x₁|)`.
  public enum ToleranceScale: Sendable, Hashable {
    /// `δ = atol + rtol·m` (Hairer, Nørsett & Wanner, (II.4.10)).
    case sum
    /// `δ = max(atol, rtol·m)` (Jolicoeur-Martineau et al. 2021, Algorithm 1).
    case maximum
  }
}

/// What an adaptive integration did: now the one statistics type, ``SamplingStatistics``.
@available(*, deprecated, renamed: "SamplingStatistics")
public typealias AdaptiveStatistics = SamplingStatistics
