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
/// let corrector = LangevinCorrector(forward: VESDE<Double>(), score: model,
///                                   signalToNoiseRatio: 0.16, iterations: 1)
/// ```
public struct LangevinCorrector<Forward: GaussianSDE, Model: ScoreModel>: Corrector
where Forward.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Forward.Scalar

  /// The forward process.
  public let forward: Forward
  /// The score model.
  public let model: Model
  /// The target signal-to-noise ratio `r` (Song et al. use 0.16 for VE on CIFAR-10, 0.01–0.17
  /// elsewhere).
  public let signalToNoiseRatio: Scalar
  /// The number of Langevin moves per call (`M` in Algorithms 4–5).
  public let iterations: Int
  /// How the step size is derived from `r`.
  public let stepSize: LangevinStepSize

  /// The score, the noise and the model's scratch memory.
  public struct Workspace {
    @usableFromInline var model: Model.Workspace
    @usableFromInline var score: Matrix<Scalar>
    @usableFromInline var noise: Matrix<Scalar>

    @inlinable
    init(model: Model.Workspace, rows: Int, columns: Int) {
      self.model = model
      score = Matrix(rows: rows, columns: columns)
      noise = Matrix(rows: rows, columns: columns)
    }
  }

  /// A Langevin corrector.
  /// - Parameters:
  ///   - forward: the forward process (for `α`).
  ///   - model: the score model.
  ///   - signalToNoiseRatio: `r > 0`.
  ///   - iterations: `M ≥ 1` moves per call.
  ///   - stepSize: `.noiseLevel` (default) or `.batchNorms`.
  @inlinable
  public init(
    forward: Forward, score model: Model, signalToNoiseRatio: Scalar = 0.16, iterations: Int = 1,
    stepSize: LangevinStepSize = .noiseLevel
  ) {
    precondition(
      signalToNoiseRatio > 0 && signalToNoiseRatio.isFinite,
      "LangevinCorrector needs a positive signal-to-noise ratio, got \(signalToNoiseRatio)")
    precondition(iterations >= 1, "LangevinCorrector needs at least one iteration, got \(iterations)")
    self.forward = forward
    self.model = model
    self.signalToNoiseRatio = signalToNoiseRatio
    self.iterations = iterations
    self.stepSize = stepSize
  }

  /// `iterations`.
  @inlinable public var evaluationsPerCorrection: Int { iterations }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(model: model.makeWorkspace(rows: rows), rows: rows, columns: columns)
  }

  /// `iterations` Langevin moves at time `t`.
  @inlinable
  public func correct(
    _ x: inout Matrix<Scalar>, at t: Scalar, stepTo next: Scalar, noise: inout RowStreams,
    workspace: inout Workspace
  ) {
    workspace.score.ensureShape(of: x)
    workspace.noise.ensureShape(of: x)
    let transitionScale =
      next < t ? forward.transition(from: next, to: t).scale : forward.transition(from: t, to: next).scale
    let alpha = transitionScale * transitionScale
    let r2 = signalToNoiseRatio * signalToNoiseRatio
    let d = x.columns
    let n = x.rows
    if n == 0 || d == 0 { return }
    for _ in 0..<iterations {
      model.score(x, at: t, into: &workspace.score, workspace: &workspace.model)
      noise.fillNormal(&workspace.noise)
      let epsilon: Scalar
      switch stepSize {
      case .noiseLevel:
        let std = forward.marginal(at: t).standardDeviation
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

extension LangevinCorrector.Workspace: Sendable where Model.Workspace: Sendable {}

/// How ``LangevinCorrector`` turns its target signal-to-noise ratio `r` into a step size `ε`.
public enum LangevinStepSize: Sendable, Hashable, CaseIterable {
  /// `ε = 2α·r²·std(t)²`: expected norms, the same for every sample (batch-independent).
  case noiseLevel
  /// `ε = 2α(r·mean‖z‖/mean‖s‖)²` over the batch (score_sde; depends on the batch).
  case batchNorms
}
