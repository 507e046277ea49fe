public import DiffusionProcesses
public import LinearAlgebra

/// Tweedie's final denoising step under a linear kernel `p_t(x | x₀) = N(Φ x₀ + m, Σ)`
/// (``LinearGaussianSDE/marginalKernel(at:dimension:)``): since `∇ log p_t(x) = Σ⁻¹(Φ E[x₀ | x]
/// + m − x)` for any data distribution (Efron 2011, in matrix form),
///
///     E[x₀ | x_t = x] = Φ⁻¹ (x − m + Σ ∇ log p_t(x)),
///
/// which is ``TweedieDenoiser``'s `(x − shift + std²·s)/scale` when `Φ = scale·I` and
/// `Σ = std²·I`. `Φ = e^{B F}` is always invertible. It needs the score of every coordinate, so
/// ``Sampler`` does not take it for critically-damped Langevin diffusion, whose models learn only
/// the velocity score. One score evaluation and two `d × d` products per row block.
///
/// ```swift
/// let denoiser = LinearTweedieDenoiser(process: linear, score: oracle)
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)
/// denoiser.denoise(&x, at: 1e-3, workspace: &workspace)
/// ```
public struct LinearTweedieDenoiser<Process: LinearGaussianSDE, Model: ScoreModel>: ScoreComposition
where Process.Scalar == Model.Scalar {
  /// The forward process.
  public let process: Process
  /// The score model.
  public let model: Model

  /// The score, the shifted state and the model's scratch memory.
  public struct Workspace {
    @usableFromInline var model: Model.Workspace
    @usableFromInline var score: Matrix<Scalar>
    @usableFromInline var shifted: Matrix<Scalar>

    @inlinable
    init(model: Model.Workspace, score: Matrix<Scalar>, shifted: Matrix<Scalar>) {
      self.model = model
      self.score = score
      self.shifted = shifted
    }
  }

  /// A denoiser for `process` with the score `model`.
  @inlinable
  public init(process: Process, score model: Model) {
    self.process = process
    self.model = model
  }

  /// Scratch memory for batches of `rows × columns`.
  @inlinable
  public func makeWorkspace(rows: Int, columns: Int) -> Workspace {
    Workspace(
      model: model.makeWorkspace(rows: rows), score: Matrix(rows: rows, columns: columns),
      shifted: Matrix(rows: rows, columns: columns))
  }

  /// Replaces every row of `x` by its Tweedie estimate of `x₀` at time `t > 0`.
  @inlinable
  public func denoise(_ x: inout Matrix<Scalar>, at t: Scalar, workspace: inout Workspace) {
    precondition(t > 0, "LinearTweedieDenoiser needs t > 0, got \(t)")
    let kernel = process.marginalKernel(at: t, dimension: x.columns)
    let inverse: Matrix<Scalar>
    do { inverse = try kernel.transition.inverse() } catch {
      preconditionFailure("LinearTweedieDenoiser: the kernel's transition at t = \(t) is singular: \(error)")
    }
    workspace.score.ensureShape(of: x)
    workspace.shifted.ensureShape(of: x)
    model.score(x, at: t, into: &workspace.score, workspace: &workspace.model)
    // Rows: (x − m + Σ s)ᵀ, then times Φ⁻ᵀ (Σ is symmetric).
    workspace.shifted.assign(x)
    workspace.shifted.addToEachRow(kernel.shift.map { -$0 })
    workspace.shifted.formProduct(workspace.score, kernel.covariance, beta: 1)
    x.formProduct(workspace.shifted, inverse, transposingB: true)
  }
}

extension LinearTweedieDenoiser.Workspace: Sendable where Model.Workspace: Sendable {}
