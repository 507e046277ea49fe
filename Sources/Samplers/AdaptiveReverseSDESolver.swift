public import DiffusionProcesses
public import LinearAlgebra
public import RealModule

extension PIController {
  /// The step-size rule of ``AdaptiveReverseSDESolver``: Jolicoeur-Martineau et al. (2021),
  /// Algorithm 1 and §3, with their defaults (`ε_rel = 0.05`, `ε_abs = 0.0078`, `θ = 0.9`,
  /// `r = 0.9`, `h_init = 0.01`; `ε_abs` is their value for data in `[−1, 1]`, two 8-bit levels).
  ///
  /// Their rule `h_new = θ·h·E₂^{−r}` is this controller's with ``integralExponent`` `α = r`,
  /// ``proportionalExponent`` `β = 0` (no memory of the previous error) and the tolerance
  /// ``ToleranceScale/maximum``, `δ = max(ε_abs, ε_rel·max(|x'|, |x'_prev|))`. The ratio `h_new/h`
  /// is clamped to `[0.2, 10]`, which the paper leaves unbounded: a zero error estimate would
  /// otherwise give an infinite step, and one absurd estimate (a score that blows up) would shrink
  /// the step to nothing.
  ///
  /// ```swift
  /// let kind: SamplerKind<Double> = .adaptiveSDE(.jolicoeurMartineau(relativeTolerance: 0.02,
  ///                                                                  absoluteTolerance: 0.005))
  /// ```
  ///
  /// - Parameters:
  ///   - relativeTolerance: `ε_rel > 0`.
  ///   - absoluteTolerance: `ε_abs > 0`.
  ///   - maximumSteps: the step budget, accepted and rejected steps together.
  /// - Returns: the controller, with `initialStepSize` 0.01.
  @inlinable
  public static func jolicoeurMartineau(
    relativeTolerance: Scalar = 0.05, absoluteTolerance: Scalar = 0.0078, maximumSteps: Int = 100_000
  ) -> PIController {
    var controller = PIController(
      relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance, initialStepSize: 0.01,
      maximumSteps: maximumSteps)
    controller.integralExponent = 0.9
    controller.proportionalExponent = 0
    controller.toleranceScale = .maximum
    return controller
  }
}

/// The adaptive-step reverse-SDE solver of Jolicoeur-Martineau et al. (2021), "Gotta Go Fast When
/// Generating Data with Score-Based Models", Algorithm 1 ("dynamic step size extrapolation"):
/// a lower-order Euler–Maruyama proposal and a higher-order improved-Euler solution that share
/// the step's noise; their difference is the error estimate, and the better one is kept
/// (extrapolation).
///
/// With `F = f − g²s` the reverse drift, a step from `t` to `t' = t − |h|` (`h = t' − t < 0`) and
/// the Brownian increment `ΔB` of the row's path over it:
///
///     x'  = x + h·F(x, t) + g(t)·ΔB                      (Euler–Maruyama)
///     x̃   = x' + h·F(x', t') + g(t')·ΔB
///     x'' = (x + x̃)/2                                     (improved Euler; Roberts 2012)
///     δ   = max(ε_abs, ε_rel·max(|x'|, |x'_prev|))        (entry by entry)
///     E₂  = ‖(x' − x'')/δ‖₂/√d                            (per row, reduced over the batch)
///
/// The step is accepted when `E₂ ≤ 1` (`x ← x''`, `t ← t'`, `x'_prev ← x'`), and either way the
/// next step length is `min(t − ε, θ·|h|·E₂^{−r})`, the last step landing on `ε`.
///
/// **Step-size control.** A ``PIController`` measures and decides, as it does for the adaptive
/// probability flow: `E₂` is its ``PIController/errorNorm(_:start:end:)`` of `x' − x''`, and
/// ``PIController/jolicoeurMartineau(relativeTolerance:absoluteTolerance:maximumSteps:)`` sets it
/// to the paper's rule (the ratio `θ·E₂^{−r}` clamped to `[0.2, 10]`). Any other setting works
/// too: a PI rule with `β > 0`, or the tolerance ``PIController/ToleranceScale/sum``.
///
/// **Noise.** The increments come from a ``BrownianPaths`` on `[ε, T]`: a rejected step's retry
/// reads the Brownian bridge of the same path over the shorter interval rather than fresh noise,
/// so rejections do not bias the noise towards small increments (Rackauckas & Nie 2017,
/// "Adaptive methods for stochastic differential equations via natural embeddings and rejection
/// sampling with memory"); the paper redraws `z` after a rejection. Each proposed end time is
/// rounded to the nearest point of the path's dyadic grid about eight times finer than the step
/// (a change in `|h|` of at most 1/16), where the path is exact and cheap to read.
///
/// **Batches.** One step size serves the whole batch (as in the adaptive ODE solver): the rows'
/// errors are reduced by the controller's `norm` (root mean square by default;
/// ``PIController/ErrorNorm/worstRow`` makes every row meet the tolerance). Samples therefore
/// depend on how they are batched, and agree across batch sizes only to the tolerance; the paths
/// themselves are per row.
///
/// **Cost.** The drift at an accepted state is reused by every retry from it: an attempt costs
/// one score evaluation plus one per newly accepted starting point, so
/// NFE = 2·accepted + rejected (the paper's Algorithm 1 re-evaluates `s(x, t)` after a
/// rejection; its NFE counts would be 2·(accepted + rejected)).
///
/// ```swift
/// let solver = AdaptiveReverseSDESolver(process: sde, score: model, controller: .jolicoeurMartineau())
/// var paths = BrownianPaths(streams: &noise, dimension: d, over: 1e-3...1)
/// var workspace = solver.makeWorkspace(rows: n, columns: d)
/// let stats = try solver.integrate(&x, from: 1, to: 1e-3, along: &paths, workspace: &workspace)
/// ```
public struct AdaptiveReverseSDESolver<Process: SDE, Model: ScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The reverse-time SDE being integrated.
  public let reverse: ReverseSDE<Process, Model>
  /// The tolerances, the error norm and the step-size rule; its `initialStepSize` is the first
  /// step's length (its magnitude; 0.01 when `nil`).
  public var controller: PIController<Scalar>

  /// Scratch memory: drifts, the proposal, the candidate, their difference and the noise.
  public struct Workspace {
    /// `F(x, t)` at the accepted state, the Euler–Maruyama proposal `x'` (the stage),
    /// `F(x', t')`, `ΔB` and the reverse SDE's scratch.
    @usableFromInline var base: ReverseSDEStepWorkspace<Process, Model>
    /// The proposal of the last accepted step, `x'_prev`.
    @usableFromInline var previousProposal: Matrix<Scalar>
    /// The improved-Euler candidate `x''`.
    @usableFromInline var candidate: Matrix<Scalar>
    /// The error estimate `x' − x''`.
    @usableFromInline var error: Matrix<Scalar>

    @inlinable
    init(for sde: ReverseSDE<Process, Model>, rows: Int, columns: Int) {
      base = ReverseSDEStepWorkspace(for: sde, rows: rows, columns: columns, stages: true)
      (previousProposal, candidate, error) = (base.drift, base.drift, base.drift)
    }
  }

  /// The solver for the reverse of `process` with the score `model`.
  @inlinable
  public init(
    process: Process, score model: Model, controller: PIController<Scalar> = .jolicoeurMartineau()
  ) {
    reverse = ReverseSDE(process: process, score: model)
    self.controller = controller
  }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(for: reverse, rows: rows, columns: columns)
  }

  /// Integrates every row of `x` from `t0` down to `t1 < t0` with adaptive steps.
  ///
  /// - Parameters:
  ///   - x: the particles at `t0`, replaced by the particles at `t1`.
  ///   - t0: the start time (`T`).
  ///   - t1: the end time (`ε`).
  ///   - paths: one Brownian path per row, on an interval containing `[t1, t0]`.
  ///   - workspace: from ``makeWorkspace(rows:columns:)``.
  ///   - observer: called after every accepted step with its index, its end time and the state.
  /// - Returns: score evaluations (NFE), accepted and rejected steps, one batch.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` when the drift at an accepted state is not
  ///   finite or no step size gives a finite candidate, ``SamplingError/stepSizeUnderflow(time:stepSize:)``,
  ///   ``SamplingError/tooManySteps(maximumSteps:time:)``.
  @inlinable
  public func integrate(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, along paths: inout BrownianPaths,
    workspace w: inout Workspace, observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> SamplingStatistics {
    precondition(t1 < t0, "AdaptiveReverseSDESolver integrates backwards in time, got \(t0) → \(t1)")
    precondition(
      paths.count == x.rows && paths.dimension == x.columns,
      "integrate: \(paths.count) paths of dimension \(paths.dimension) for a batch of \(x.shapeDescription)")
    precondition(
      paths.lower <= Double(t1) && Double(t0) <= paths.upper,
      "integrate: paths on [\(paths.lower), \(paths.upper)] do not cover [\(t1), \(t0)]")
    for m in [\Workspace.base.drift, \.base.stageDrift, \.base.stage, \.candidate, \.error, \.base.noise] {
      w[keyPath: m].ensureShape(of: x)
    }
    w.previousProposal.ensureShape(of: x)
    w.previousProposal.assign(x)
    var stats = SamplingStatistics(batches: 1)
    let end = Double(t1)
    var t = Double(t0)
    var h = Swift.min(Double(controller.firstStep ?? 0.01), t - end)
    var previousError: Scalar = 1e-4
    var driftIsCurrent = false
    var nonFiniteLast = false
    while t > end {
      if stats.acceptedSteps + stats.rejectedSteps >= controller.maximumSteps {
        throw .tooManySteps(maximumSteps: controller.maximumSteps, time: t)
      }
      if h <= 16 * t.ulp {
        // Retries that kept giving non-finite candidates are a failing score, not a stiff one.
        if nonFiniteLast { throw .nonFinite(step: stats.acceptedSteps, time: t) }
        throw .stepSizeUnderflow(time: t, stepSize: -h)
      }
      let next = endOfStep(from: t, length: h, end: end, paths: paths)
      let (start, stop) = (Scalar(t), Scalar(next))
      let step = stop - start
      if !driftIsCurrent {
        w.base.evaluateDrift(reverse, at: x, time: start)
        stats.scoreEvaluations += 1
        guard w.base.drift.isFinite else { throw .nonFinite(step: stats.acceptedSteps, time: t) }
        driftIsCurrent = true
      }
      paths.increment(from: t, to: next, into: &w.base.noise)
      // x' = x + h·F(x, t) + g(t)·ΔB
      w.base.stage.assign(x, adding: w.base.drift, scaledBy: step)
      w.base.stage.add(w.base.noise, scaledBy: reverse.diffusion(at: start))
      // x̃ = x' + h·F(x', t') + g(t')·ΔB;  x'' = (x + x̃)/2
      w.base.evaluateStageDrift(reverse, time: stop)
      stats.scoreEvaluations += 1
      w.candidate.assign(w.base.stage, adding: w.base.stageDrift, scaledBy: step)
      w.candidate.scale(
        by: 1 / 2, adding: w.base.noise, scaledBy: reverse.diffusion(at: stop) / 2, x, scaledBy: 1 / 2)
      w.error.assign(w.base.stage, adding: w.candidate, scaledBy: -1)
      let error = controller.errorNorm(w.error, start: w.base.stage, end: w.previousProposal)
      let taken = t - next
      nonFiniteLast = !(error.isFinite && w.candidate.isFinite)
      let factor: Scalar
      if !nonFiniteLast && error <= 1 {
        stats.acceptedSteps += 1
        x.assign(w.candidate)
        swap(&w.previousProposal, &w.base.stage)
        t = next
        driftIsCurrent = false
        observer(stats.acceptedSteps - 1, stop, x)
        factor = controller.acceptedFactor(error: error, previousError: previousError)
        previousError = Swift.max(error, 1e-4)
      } else {
        stats.rejectedSteps += 1
        factor = controller.rejectedFactor(error: nonFiniteLast ? .nan : error)
      }
      h = Swift.min(t - end, taken * Double(factor))
    }
    return stats
  }

  /// The end of a step of length `h` from `t`: `ε` when within 1 % of it, else `t − h` rounded to
  /// the dyadic grid of `paths` of spacing ≤ `h/8` (unrounded when that grid would be finer than
  /// the paths' resolution).
  @inlinable
  func endOfStep(from t: Double, length h: Double, end: Double, paths: BrownianPaths) -> Double {
    if t - h * (1 + 1 / 100) <= end { return end }
    let span = paths.upper - paths.lower
    let level = Int(Double.log2(span / h).rounded(.up)) + 3
    guard level <= paths.maximumDepth else { return t - h }
    let spacing = span / Double(UInt64(1) << UInt64(Swift.max(0, level)))
    var next = paths.lower + ((t - h - paths.lower) / spacing).rounded() * spacing
    if next >= t { next = t - spacing }
    return Swift.max(next, end)
  }
}

extension AdaptiveReverseSDESolver.Workspace: Sendable where Model.Workspace: Sendable {}
