public import LinearAlgebra
public import RealModule

/// Step-size control for an embedded Runge–Kutta pair: the proportional–integral (PI)
/// controller of Gustafsson (1991), as written in Hairer & Wanner's DOPRI5 code (Hairer, Nørsett
/// & Wanner, "Solving ODEs I", §II.4; Söderlind 2002, "Automatic control and adaptive time-
/// stepping").
///
/// A step is accepted when the scaled error norm
///
///     err = maxᵢ ( (1/d) Σⱼ (eᵢⱼ / (atol + rtol·max(|x₀ᵢⱼ|, |x₁ᵢⱼ|)))² )^{1/2}
///
/// is at most 1 — the root-mean-square over the coordinates of each sample (row) and the
/// **maximum over samples**, so every particle of the batch meets the tolerance, not just their
/// average. The next step size is then
///
///     h_new = h · clamp(safety · err^{−α} · err_prev^{β}, minimumFactor, maximumFactor),
///
/// with `α = 0.17`, `β = 0.04` (`α = 1/5 − 0.75β` for a fifth-order pair); after a rejection,
/// `h_new = h · max(minimumFactor, safety · err^{−α})` and the next accepted step may not grow.
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
  /// The integral exponent `α` (0.17).
  public var integralExponent: Scalar
  /// The proportional exponent `β` (0.04; 0 gives the classical I controller `err^{−1/5}`).
  public var proportionalExponent: Scalar
  /// The smallest ratio `h_new/h` (0.2).
  public var minimumFactor: Scalar
  /// The largest ratio `h_new/h` (10).
  public var maximumFactor: Scalar
  /// The first step's size; `nil` picks it by Hairer's algorithm (one extra field evaluation).
  public var initialStepSize: Scalar?
  /// The most steps (accepted and rejected) before ``SamplingError/tooManySteps(maximumSteps:time:)``.
  public var maximumSteps: Int

  /// A PI controller for the given tolerances, with Hairer's defaults for the rest.
  /// - Parameters:
  ///   - relativeTolerance: `rtol > 0`.
  ///   - absoluteTolerance: `atol > 0`.
  ///   - initialStepSize: the first step's size (`nil` chooses it).
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
    self.integralExponent = 0.17
    self.proportionalExponent = 0.04
    self.minimumFactor = 0.2
    self.maximumFactor = 10
    self.initialStepSize = initialStepSize
    self.maximumSteps = maximumSteps
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

  /// The scaled error norm above: per-row RMS of `error / (atol + rtol·max(|x0|, |x1|))`,
  /// maximised over rows. Not finite when any input is not.
  @inlinable
  public func errorNorm(_ error: Matrix<Scalar>, start x0: Matrix<Scalar>, end x1: Matrix<Scalar>) -> Scalar {
    let d = error.columns
    if d == 0 || error.rows == 0 { return 0 }
    var worst: Scalar = 0
    error.withUnsafeBufferPointer { e in
      x0.withUnsafeBufferPointer { a in
        x1.withUnsafeBufferPointer { b in
          for i in 0..<error.rows {
            var sum: Scalar = 0
            for j in (i * d)..<((i + 1) * d) {
              let scale = absoluteTolerance + relativeTolerance * Swift.max(Swift.abs(a[j]), Swift.abs(b[j]))
              let r = e[j] / scale
              sum += r * r
            }
            let rms = (sum / Scalar(d)).squareRoot()
            if !(rms <= worst) { worst = rms }  // propagates NaN
          }
        }
      }
    }
    return worst
  }
}

/// What an adaptive integration did: now the one statistics type, ``SamplingStatistics``.
@available(*, deprecated, renamed: "SamplingStatistics")
public typealias AdaptiveStatistics = SamplingStatistics
