public import LinearAlgebra

/// A predictor–corrector sampler (Song et al. 2021, §4.2 and Algorithms 2–3): at each step, the
/// ``Corrector`` moves the particles at `t₀` (Langevin MCMC towards `p_{t₀}`), then the predictor
/// takes them to `t₁`, in the order of score_sde's `pc_sampler`.
///
/// Costs `predictor.evaluationsPerStep + corrector.evaluationsPerCorrection` score evaluations a
/// step. Song et al.'s "PC1000" for VE is ``ReverseDiffusionPredictor`` + ``LangevinCorrector``
/// (one iteration, `r = 0.16`) on 1000 uniform steps.
///
/// ```swift
/// let pc = PredictorCorrector(
///   predictor: ReverseDiffusionPredictor(process: sde, score: model),
///   corrector: LangevinCorrector(process: sde, score: model, signalToNoiseRatio: 0.16))
/// try pc.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
/// ```
public struct PredictorCorrector<Predictor: ReverseSDESolver, Correction: Corrector>: ReverseSDESolver
where Predictor.Scalar == Correction.Scalar {
  /// The precision.
  public typealias Scalar = Predictor.Scalar

  /// The predictor, which moves the particles in time.
  public let predictor: Predictor
  /// The corrector, applied before each predictor step.
  public let corrector: Correction

  /// The predictor's and the corrector's scratch memory.
  public struct Workspace {
    @usableFromInline var predictor: Predictor.Workspace
    @usableFromInline var corrector: Correction.Workspace

    @inlinable
    init(predictor: Predictor.Workspace, corrector: Correction.Workspace) {
      self.predictor = predictor
      self.corrector = corrector
    }
  }

  /// A predictor–corrector sampler.
  @inlinable
  public init(predictor: Predictor, corrector: Correction) {
    self.predictor = predictor
    self.corrector = corrector
  }

  /// Predictor plus corrector evaluations.
  @inlinable
  public var evaluationsPerStep: Int { predictor.evaluationsPerStep + corrector.evaluationsPerCorrection }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(
      predictor: predictor.makeWorkspace(rows: rows, columns: columns),
      corrector: corrector.makeWorkspace(rows: rows, columns: columns))
  }

  /// Corrects at `t0`, then predicts to `t1`.
  @inlinable
  public func step(
    _ x: inout Matrix<Scalar>, from t0: Scalar, to t1: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    corrector.correct(&x, at: t0, stepTo: t1, noise: &noise, workspace: &workspace.corrector)
    predictor.step(&x, from: t0, to: t1, noise: &noise, workspace: &workspace.predictor)
  }
}

extension PredictorCorrector.Workspace: Sendable
where Predictor.Workspace: Sendable, Correction.Workspace: Sendable {}
