public import LinearAlgebra

/// What a sampling, likelihood or ODE run cost: score (or field) evaluations (NFE), steps and
/// wall time. The one statistics type of ``Sampler``, ``ODEIntegration``,
/// ``ProbabilityFlowLikelihood``, ``LatentMap`` and the adaptive
/// ``ExplicitRungeKutta/integrate(_:from:to:controller:workspace:observer:)``.
///
/// For a run split into batches, the counts are those of the most expensive batch (the NFE every
/// sample paid, which differs between batches only for adaptive solvers) and the wall time is
/// the total.
///
/// ```swift
/// let result = try sampler.sample(count: 1000, dimension: 2)
/// print(result.statistics.scoreEvaluations, result.statistics.wallTime)
/// ```
public struct SamplingStatistics: Sendable, Hashable {
  /// Batched score-model evaluations per sample, the NFE of the literature. A guided model
  /// (``ClassifierFreeGuidance``) counts one per evaluation even though it calls its conditional
  /// model twice.
  public var scoreEvaluations: Int
  /// Steps taken (accepted steps for adaptive solvers).
  public var acceptedSteps: Int
  /// Steps rejected by an adaptive solver's controller (0 for fixed steps).
  public var rejectedSteps: Int
  /// The number of batches the samples were computed in.
  public var batches: Int
  /// Wall-clock time of the whole run.
  public var wallTime: Duration

  /// Statistics with the given counts.
  @inlinable
  public init(
    scoreEvaluations: Int = 0, acceptedSteps: Int = 0, rejectedSteps: Int = 0, batches: Int = 0,
    wallTime: Duration = .zero
  ) {
    self.scoreEvaluations = scoreEvaluations
    self.acceptedSteps = acceptedSteps
    self.rejectedSteps = rejectedSteps
    self.batches = batches
    self.wallTime = wallTime
  }

  /// Folds in another batch: counts take the maximum, batches and wall time add up.
  @inlinable
  public mutating func merge(_ other: SamplingStatistics) {
    scoreEvaluations = Swift.max(scoreEvaluations, other.scoreEvaluations)
    acceptedSteps = Swift.max(acceptedSteps, other.acceptedSteps)
    rejectedSteps = Swift.max(rejectedSteps, other.rejectedSteps)
    batches += other.batches
    wallTime += other.wallTime
  }
}

extension SamplingStatistics {
  /// The field evaluations of an adaptive solve (the old `AdaptiveStatistics.evaluations`).
  @available(*, deprecated, renamed: "scoreEvaluations")
  @inlinable public var evaluations: Int {
    get { scoreEvaluations }
    set { scoreEvaluations = newValue }
  }
}

/// What every integration loop calls after each step: the step's index (from 0), its end time
/// and the state. One signature for ``ODESolver``, ``ReverseSDESolver``, ``ODEIntegration``,
/// the adaptive solver and ``ProbabilityFlowLikelihood``.
///
/// ```swift
/// let observer: StepObserver<Double> = { step, t, x in print(step, t, x.columnMeans()) }
/// ```
public typealias StepObserver<Scalar: BLASScalar> = (Int, Scalar, Matrix<Scalar>) -> Void
