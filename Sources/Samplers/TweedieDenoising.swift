public import LinearAlgebra

/// Tweedie's final denoising step on a batch: every row of `x` at time `t > 0` replaced by its
/// estimate of the clean point `E[x₀ | x_t = x]`, one score evaluation. ``TweedieDenoiser``
/// writes it in a scalar kernel, ``LinearTweedieDenoiser`` in a matrix one; ``Sampler`` ends with
/// either the same way.
///
/// ```swift
/// let denoiser = TweedieDenoiser(process: sde, score: model)   // any TweedieDenoising
/// var workspace = denoiser.makeWorkspace(rows: n, columns: d)
/// denoiser.denoise(&x, at: 1e-3, workspace: &workspace)
/// ```
public protocol TweedieDenoising<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// The score buffer and the model's scratch memory.
  associatedtype Workspace

  /// Scratch memory for batches of `rows × columns`.
  func makeWorkspace(rows: Int, columns: Int) -> Workspace
  /// Replaces every row of `x` by its Tweedie estimate of `x₀` at time `t > 0`.
  func denoise(_ x: inout Matrix<Scalar>, at t: Scalar, workspace: inout Workspace)
}

extension GaussianReverseStep: TweedieDenoising where Rule == TweedieRule {}

extension LinearTweedieDenoiser: TweedieDenoising {}
