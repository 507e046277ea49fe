public import LinearAlgebra

/// One step of a sampler for the reverse-time SDE `dx = [f − g²s] dt + g dW̄` (Song et al.
/// 2021, eq. 6), from `t0` down to `t1 < t0`, for a batch of particles (rows are samples).
///
/// Every sampler has the same calling shape, after diffrax: the state goes in and out
/// explicitly, scratch memory lives in a ``Workspace`` made once, and the noise comes from
/// ``RowStreams`` that draw row `i`'s variates from the stream of its **global** sample index —
/// so a seed gives the same samples whatever the batch size or thread count.
///
/// ```swift
/// let sampler = EulerMaruyama(process: sde, score: model)
/// var noise = RowStreams(seed: 7, rows: 0..<n)
/// var workspace = sampler.makeWorkspace(rows: n, columns: d)
/// var x = samplePrior(of: sde, dimension: d, streams: &noise)
/// try sampler.integrate(&x, over: TimeGrid(spacing: .uniform, steps: 1000, process: sde),
///                       noise: &noise, workspace: &workspace)
/// ```
///
/// Samplers here: ``EulerMaruyama``, ``RosslerSRA1`` (strong order 1.5 for additive noise),
/// ``ReverseDiffusionPredictor``, ``AncestralSampler``, ``PredictorCorrector`` (any of them
/// followed by a ``Corrector`` such as ``LangevinCorrector``), and the EDM family ``EDMHeun``,
/// ``EulerAncestral``, ``DDIM`` and ``DPMSolverSDE``; ``ObservationReplacement`` wraps any of
/// them for inpainting. Solvers that also take given Brownian increments conform to
/// ``PathwiseReverseSDESolver``; the adaptive-step ``AdaptiveReverseSDESolver`` chooses its own grid.
public protocol ReverseSDESolver<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Scratch memory: the model's workspace, noise and stage buffers.
  associatedtype Workspace

  /// Score evaluations per step (the NFE of a step).
  var evaluationsPerStep: Int { get }

  /// Scratch memory for batches of `rows × columns`.
  func makeWorkspace(rows: Int, columns: Int) -> Workspace

  /// Advances every row of `x` from `t0` to `t1 < t0`, drawing row `i`'s noise from
  /// `noise.generators[i]`. Allocates nothing once the workspace has the batch's shape.
  func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace)
}

extension ReverseSDESolver {
  /// Runs the sampler over every step of `grid` and returns the number of score evaluations
  /// (per row, the NFE).
  ///
  /// - Parameters:
  ///   - x: the particles at `grid.start`, replaced by the particles at `grid.end`.
  ///   - grid: decreasing step times.
  ///   - noise: one stream per row of `x`.
  ///   - workspace: from ``makeWorkspace(rows:columns:)``.
  ///   - observer: called after every step with its index, its end time and the state.
  /// - Throws: ``SamplingError/nonFinite(step:time:)`` as soon as a state holds NaN or infinity.
  @inlinable
  public func integrate(
    _ x: inout Matrix<Scalar>, over grid: TimeGrid<Scalar>, noise: inout RowStreams,
    workspace: inout Workspace, observer: StepObserver<Scalar> = { _, _, _ in }
  ) throws(SamplingError) -> Int {
    precondition(
      noise.count == x.rows, "integrate: \(noise.count) noise streams for a batch of \(x.shapeDescription)")
    precondition(grid.end < grid.start, "A reverse-time sampler needs a decreasing grid, got \(grid.times)")
    for i in 0..<grid.steps {
      step(&x, from: grid.times[i], to: grid.times[i + 1], noise: &noise, workspace: &workspace)
      guard x.isFinite else { throw .nonFinite(step: i, time: Double(grid.times[i + 1])) }
      observer(i, grid.times[i + 1], x)
    }
    return grid.steps * evaluationsPerStep
  }
}

/// A Markov-chain Monte Carlo move that leaves `p_t` (approximately) invariant, applied at a fixed
/// time between predictor steps (Song et al. 2021, §4.2, "predictor–corrector samplers").
///
/// ```swift
/// let corrector = LangevinCorrector(process: sde, score: model, signalToNoiseRatio: 0.16)
/// corrector.correct(&x, at: t0, stepTo: t1, noise: &noise, workspace: &workspace)
/// ```
public protocol Corrector<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Scratch memory.
  associatedtype Workspace

  /// Score evaluations per call of ``correct(_:at:stepTo:noise:workspace:)``.
  var evaluationsPerCorrection: Int { get }

  /// Scratch memory for batches of `rows × columns`.
  func makeWorkspace(rows: Int, columns: Int) -> Workspace

  /// Moves every row of `x` at time `t`; `next` is the time of the predictor step that follows,
  /// which sets the step size of samplers whose move depends on it.
  func correct(
    _ x: inout Matrix<Scalar>, at t: Scalar, stepTo next: Scalar, noise: inout RowStreams,
    workspace: inout Workspace)
}
