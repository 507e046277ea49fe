public import DiffusionProcesses
public import LinearAlgebra

/// Langevin MCMC with a step size set by a target signal-to-noise ratio `r` (Song et al. 2021,
/// Algorithms 4 and 5): at a fixed time `t`, each of `iterations` moves is
///
///     z ~ N(0, I),   s = s(x, t),   x ← x + ε·s + √(2ε)·z,
///
/// which leaves `p_t` invariant as `ε → 0`. Song et al. choose `ε` so that the drift is `r` times
/// the noise, `‖ε·s‖ = r·‖√(2ε)·z‖`, i.e. `ε = 2α(r‖z‖/‖s‖)²`, where `α = scale_{t|next}²` is the
/// squared scale of the forward transition over the predictor step that follows (DDPM's
/// `αᵢ = 1 − βᵢ` for VP in Algorithm 5; `1` for VE in Algorithm 4). Two rules for the norms
/// (``LangevinStepSize``):
///
/// - `.noiseLevel` (default): the expected norms, `E‖z‖² = d` and the bound `E‖s‖² ≤ d/std(t)²`
///   (the Fisher information of data blurred by `N(0, std²I)`; equality once the noise
///   dominates), so `ε = 2α·r²·std(t)²`. This is Song & Ermon (2019)'s annealed Langevin schedule
///   `ε ∝ σ²` with `r` as its constant. It depends on `t` only, so every sample moves the same
///   way whatever batch it is in, and the realised ratio is at most `r`.
/// - `.batchNorms`: score_sde's rule, `‖s‖` and `‖z‖` averaged over the batch. The step then
///   depends on the other samples in the batch, so results change with the batch size.
///
/// A per-sample rule (each sample's own `‖s‖`) would be batch-independent too but is wrong: near
/// a mode `‖s‖ → 0` and the step explodes, inflating the sampled variance several-fold.
///
/// ```swift
/// let corrector = LangevinCorrector(process: VESDE<Double>(), score: model,
///                                   signalToNoiseRatio: 0.16, iterations: 1)
/// ```
public struct LangevinCorrector<Process: GaussianSDE, Model: ScoreModel>: Corrector, ScoreStepping
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model
  /// The target signal-to-noise ratio `r` (Song et al. use 0.16 for VE on CIFAR-10, 0.01–0.17
  /// elsewhere).
  public let signalToNoiseRatio: Scalar
  /// The number of Langevin moves per call (`M` in Algorithms 4–5).
  public let iterations: Int
  /// How the step size is derived from `r`.
  public let stepSize: LangevinStepSize

  /// A Langevin corrector.
  /// - Parameters:
  ///   - process: the forward process (for `α`).
  ///   - model: the score model.
  ///   - signalToNoiseRatio: `r > 0`.
  ///   - iterations: `M ≥ 1` moves per call.
  ///   - stepSize: `.noiseLevel` (default) or `.batchNorms`.
  @inlinable
  public init(
    process: Process, score model: Model, signalToNoiseRatio: Scalar = 0.16, iterations: Int = 1,
    stepSize: LangevinStepSize = .noiseLevel
  ) {
    precondition(
      signalToNoiseRatio > 0 && signalToNoiseRatio.isFinite,
      "LangevinCorrector needs a positive signal-to-noise ratio, got \(signalToNoiseRatio)")
    precondition(iterations >= 1, "LangevinCorrector needs at least one iteration, got \(iterations)")
    self.process = process
    self.model = model
    self.signalToNoiseRatio = signalToNoiseRatio
    self.iterations = iterations
    self.stepSize = stepSize
  }

  /// A Langevin corrector for `forward`.
  @available(*, deprecated, renamed: "init(process:score:signalToNoiseRatio:iterations:stepSize:)")
  @inlinable
  public init(
    forward: Process, score model: Model, signalToNoiseRatio: Scalar = 0.16, iterations: Int = 1,
    stepSize: LangevinStepSize = .noiseLevel
  ) {
    self.init(
      process: forward, score: model, signalToNoiseRatio: signalToNoiseRatio, iterations: iterations,
      stepSize: stepSize)
  }

  /// A corrector with Song et al.'s defaults, `LangevinOptions()`: `r = 0.16`, one move per
  /// step, the noise-level step size.
  @inlinable
  public init(process: Process, score model: Model) {
    self.init(process: process, score: model, options: LangevinOptions())
  }

  /// A corrector with the settings of `options`.
  @inlinable
  public init(process: Process, score model: Model, options: LangevinOptions<Scalar>) {
    self.init(
      process: process, score: model, signalToNoiseRatio: options.signalToNoiseRatio,
      iterations: options.iterations, stepSize: options.stepSize)
  }

  /// `iterations`.
  @inlinable public var evaluationsPerCorrection: Int { iterations }

  /// `iterations` Langevin moves at time `t`.
  @inlinable
  public func correct(
    _ x: inout Matrix<Scalar>, at t: Scalar, stepTo next: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    let transitionScale =
      next < t ? process.transition(from: next, to: t).scale : process.transition(from: t, to: next).scale
    let alpha = transitionScale * transitionScale
    let r2 = signalToNoiseRatio * signalToNoiseRatio
    let d = x.columns
    let n = x.rows
    if n == 0 || d == 0 { return }
    for _ in 0..<iterations {
      workspace.evaluate(model, at: x, time: t)
      workspace.drawNoise(like: x, from: &noise)
      let epsilon: Scalar
      switch stepSize {
      case .noiseLevel:
        let std = process.marginal(at: t).standardDeviation
        epsilon = 2 * alpha * r2 * std * std
      case .batchNorms:
        let scoreNorm = Self.meanRowNorm(workspace.score)
        let noiseNorm = Self.meanRowNorm(workspace.noise)
        guard scoreNorm > 0 else { continue }
        let ratio = signalToNoiseRatio * noiseNorm / scoreNorm
        epsilon = 2 * alpha * ratio * ratio
      }
      x.scale(
        by: 1, adding: workspace.score, scaledBy: epsilon, workspace.noise,
        scaledBy: (2 * epsilon).squareRoot())
    }
  }

  /// `(1/n) Σᵢ ‖rowᵢ‖` without allocating.
  @inlinable
  static func meanRowNorm(_ m: Matrix<Scalar>) -> Scalar {
    let d = m.columns
    return m.withUnsafeBufferPointer { e in
      var total: Scalar = 0
      for i in 0..<m.rows {
        var sum: Scalar = 0
        for j in (i * d)..<((i + 1) * d) { sum += e[j] * e[j] }
        total += sum.squareRoot()
      }
      return total / Scalar(m.rows)
    }
  }
}

/// How ``LangevinCorrector`` turns its target signal-to-noise ratio `r` into a step size `ε`.
public enum LangevinStepSize: Sendable, Hashable, CaseIterable {
  /// `ε = 2α·r²·std(t)²`: expected norms, the same for every sample (batch-independent).
  case noiseLevel
  /// `ε = 2α(r·mean‖z‖/mean‖s‖)²` over the batch (score_sde; depends on the batch).
  case batchNorms
}

/// The settings of a ``LangevinCorrector`` (the corrector of ``SamplerKind/predictorCorrector(steps:spacing:corrector:)``).
///
/// ```swift
/// let kind = SamplerKind<Double>.predictorCorrector(
///   steps: 500, corrector: LangevinOptions(signalToNoiseRatio: 0.1, iterations: 2))
/// ```
public struct LangevinOptions<Scalar: BLASScalar>: Sendable, Hashable {
  /// The target signal-to-noise ratio `r > 0`.
  public var signalToNoiseRatio: Scalar
  /// Langevin moves per step, at least 1.
  public var iterations: Int
  /// How the step size follows from `r`.
  public var stepSize: LangevinStepSize

  /// Song et al.'s defaults: `r = 0.16`, one move per step, the noise-level step size.
  @inlinable
  public init(
    signalToNoiseRatio: Scalar = 0.16, iterations: Int = 1, stepSize: LangevinStepSize = .noiseLevel
  ) {
    self.signalToNoiseRatio = signalToNoiseRatio
    self.iterations = iterations
    self.stepSize = stepSize
  }
}
