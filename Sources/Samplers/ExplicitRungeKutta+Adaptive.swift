public import LinearAlgebra
public import RealModule

extension ExplicitRungeKutta where Tableau: EmbeddedButcherTableau {
  /// Integrates every row of `x` from `t0` to `t1` (either direction) with adaptive steps chosen
  /// by `controller`, one step size for the whole batch (so every row is evaluated in one batched
  /// call per stage).
  ///
  /// The first step size is `controller.initialStepSize` or Hairer's starting-step algorithm
  /// ("Solving ODEs I", §II.4): `h₀ = 0.01‖x₀‖/‖v₀‖`, then `h = min(100h₀, (0.01/max(‖v₀‖,
  /// ‖v(x₀ + h₀v₀) − v₀‖/h₀))^{1/p})`, norms scaled as in the controller. The last step lands
  /// exactly on `t1`.
  ///
  /// ```swift
  /// let stats = try dopri.integrate(&x, from: 1, to: 1e-5,
  ///     controller: PIController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5), workspace: &ws)
  /// ```
  ///
  /// - Parameters:
  ///   - x: the states at `t0`, replaced by the states at `t1`.
  ///   - t0: the start time.
  ///   - t1: the end time.
  ///   - controller: tolerances and step-size control.
  ///   - workspace: from ``makeWorkspace(rows:columns:)``.
  ///   - observer: called after every accepted step with its index (from 0), its end time and
  ///     the state, as in ``ODESolver/integrate(_:over:workspace:observer:)``.
  /// - Returns: field evaluations (``SamplingStatistics/scoreEvaluations``), accepted and
  ///   rejected steps, one batch.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` when the field is not finite at an
  ///   accepted state or no step size gives a finite candidate,
  ///   ``SamplingError/stepSizeUnderflow(time:stepSize:)``,
  ///   ``SamplingError/tooManySteps(maximumSteps:time:)``.
  @inlinable
  public func integrate(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, controller: PIController<Scalar>,
    workspace w: inout Workspace, observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> SamplingStatistics {
    var stats = SamplingStatistics(batches: 1)
    if t0 == t1 { return stats }
    let s = Tableau.weights.count
    precondition(
      Tableau.errorWeights.count == s + 1,
      "\(Tableau.self): \(Tableau.errorWeights.count) error weights for \(s) stages (need \(s + 1))")
    w.ensureShape(of: x, slopes: s + 1, adaptive: true)
    let direction: Scalar = t1 > t0 ? 1 : -1
    let span = Swift.abs(t1 - t0)
    field.velocity(x, at: t0, into: &w.k[0], workspace: &w.field)
    stats.scoreEvaluations += 1
    guard w.k[0].isFinite else { throw .nonFinite(step: 0, time: Double(t0)) }

    var h: Scalar
    if let given = controller.firstStep {
      h = Swift.min(given, span)
    } else {
      h = initialStepSize(x, at: t0, direction: direction, span: span, controller: controller, workspace: &w)
      stats.scoreEvaluations += 1
    }
    var t = t0
    var previousError: Scalar = 1e-4
    var rejectedLast = false
    var nonFiniteLast = false
    while t != t1 {
      if stats.acceptedSteps + stats.rejectedSteps >= controller.maximumSteps {
        throw .tooManySteps(maximumSteps: controller.maximumSteps, time: Double(t))
      }
      let resolution = 16 * Swift.max(Swift.abs(t), Swift.abs(t1)).ulp
      if h <= resolution {
        if nonFiniteLast { throw .nonFinite(step: stats.acceptedSteps, time: Double(t)) }
        throw .stepSizeUnderflow(time: Double(t), stepSize: Double(direction * h))
      }
      // Stretch the last step up to 1 % to land on t1 rather than leave a sliver.
      let remaining = Swift.abs(t1 - t)
      let last = h * (1 + 1 / 100) >= remaining
      if last { h = remaining }
      let end = last ? t1 : t + direction * h
      evaluateStages(1..<s, from: x, at: t, to: end, workspace: &w)
      Self.accumulate(w.k, into: &w.candidate, from: x, weights: Tableau.weights, step: end - t)
      field.velocity(w.candidate, at: end, into: &w.k[s], workspace: &w.field)
      w.error.fill(with: 0)
      Self.accumulate(w.k, into: &w.error, from: nil, weights: Tableau.errorWeights, step: end - t)
      stats.scoreEvaluations += s
      let error = controller.errorNorm(w.error, start: x, end: w.candidate)
      if error.isFinite && error <= 1 && w.k[s].isFinite {
        stats.acceptedSteps += 1
        t = end
        x.assign(w.candidate)
        w.k.swapAt(0, s)
        observer(stats.acceptedSteps - 1, t, x)
        var factor = controller.acceptedFactor(error: error, previousError: previousError)
        if rejectedLast { factor = Swift.min(factor, 1) }
        h *= factor
        previousError = Swift.max(error, 1e-4)
        rejectedLast = false
        nonFiniteLast = false
      } else {
        stats.rejectedSteps += 1
        nonFiniteLast = !(error.isFinite && w.k[s].isFinite)
        h *= controller.rejectedFactor(error: nonFiniteLast ? .nan : error)
        rejectedLast = true
      }
    }
    return stats
  }

  /// Hairer's starting step size (one field evaluation; `k[0]` holds `v(x₀, t₀)`).
  @inlinable
  func initialStepSize(
    _ x: Matrix<Scalar>, at t0: Scalar, direction: Scalar, span: Scalar, controller: PIController<Scalar>,
    workspace w: inout Workspace
  ) -> Scalar {
    w.stage.fill(with: 0)
    let d0 = controller.errorNorm(x, start: x, end: w.stage)
    let d1 = controller.errorNorm(w.k[0], start: x, end: w.stage)
    var h0: Scalar = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : d0 / d1 / 100
    h0 = Swift.min(h0, span)
    w.stage.assign(x, adding: w.k[0], scaledBy: direction * h0)
    field.velocity(w.stage, at: t0 + direction * h0, into: &w.k[1], workspace: &w.field)
    w.error.assign(w.k[1])
    w.error.add(w.k[0], scaledBy: -1)
    w.candidate.fill(with: 0)
    let d2 = controller.errorNorm(w.error, start: x, end: w.candidate) / h0
    let m = Swift.max(d1, d2)
    let exponent = 1 / Scalar(Tableau.order)
    let h1 = m.isFinite && m > 1e-15 ? Scalar.pow(Scalar(1) / 100 / m, exponent) : Swift.max(1e-6, h0 / 1000)
    return Swift.min(100 * h0, h1, span)
  }
}
