public import DiffusionProcesses
public import LinearAlgebra

/// A ``ScoreModel`` whose denoised estimate is kept inside a box: the base model's score is
/// turned into Tweedie's estimate of the clean point, clipped per column, and turned back.
///
/// For a kernel `p_t(x | x₀) = N(a(t)·x₀ + b(t), σ(t)² I)`, Tweedie's formula and its inverse are
///
///     x̂₀ = (x − b + σ²·s(x, t)) / a,          s = (a·x̂₀ + b − x) / σ²,
///
/// so clipping `x̂₀ⱼ` to `[lowerⱼ, upperⱼ]` (Ho et al. 2020's `clip_denoised`, for the data box
/// of each column) changes an entry of the score only where `x̂₀` left the box, and leaves it
/// bit for bit alone elsewhere. Because every sampler (SDE or ODE, DPM-Solver++, DDIM, EDM)
/// sees only a ``ScoreModel``, wrapping the model clips all of them.
///
/// Clipping is a sampling device: the clipped field is no longer the gradient of any density,
/// so it must not be used for likelihoods — `score-sde nll` and `density` never clip.
///
/// ```swift
/// let clipped = DenoisedClipping(base: model, process: sde, lower: [-3, -2], upper: [3, 2])
/// let result = try Sampler(process: sde, score: clipped, options: options).sample(count: n, dimension: 2)
/// ```
public struct DenoisedClipping<Process: GaussianSDE, Base: ScoreModel>: WorkspaceScoreModel
where Process.Scalar == Base.Scalar {
  /// The precision.
  public typealias Scalar = Base.Scalar
  /// The base model's workspace.
  public typealias Workspace = Base.Workspace

  /// The clipped model.
  public let base: Base
  /// The forward process whose kernel defines `x̂₀`.
  public let process: Process
  /// The lowest `x̂₀` of each column.
  public let lower: [Scalar]
  /// The highest `x̂₀` of each column.
  public let upper: [Scalar]

  /// Clips `base`'s denoised estimate to `[lower, upper]` per column.
  ///
  /// - Parameters:
  ///   - base: the score model.
  ///   - process: the forward process it was trained for.
  ///   - lower: one bound per column.
  ///   - upper: as many bounds, each at least its `lower`.
  @inlinable
  public init(base: Base, process: Process, lower: [Scalar], upper: [Scalar]) {
    precondition(
      lower.count == upper.count && zip(lower, upper).allSatisfy { $0 <= $1 },
      "DenoisedClipping: bounds \(lower) and \(upper) are not a box")
    self.base = base
    self.process = process
    self.lower = lower
    self.upper = upper
  }

  /// The base model's workspace.
  @inlinable
  public func makeWorkspace(rows: Int) -> Workspace { base.makeWorkspace(rows: rows) }

  /// The base score, with each entry whose `x̂₀` lies outside the box replaced by the score of the
  /// clipped `x̂₀`.
  @inlinable
  public func score(
    _ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace
  ) {
    precondition(
      x.columns == lower.count, "DenoisedClipping: \(x.shapeDescription) rows for a \(lower.count)-column box"
    )
    base.score(x, at: t, into: &out, workspace: &workspace)
    let (a, sigma) = process.marginal(at: t)
    let b = process.marginalShift(at: t)
    let variance = sigma * sigma
    let d = x.columns
    x.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { s in
        for i in 0..<x.rows {
          for j in 0..<d {
            let k = i * d + j
            let estimate = (xs[k] - b + variance * s[k]) / a
            let clipped = Swift.min(Swift.max(estimate, lower[j]), upper[j])
            if clipped != estimate { s[k] = (a * clipped + b - xs[k]) / variance }
          }
        }
      }
    }
  }

  /// The clipped model of the base model restricted to `range`.
  @inlinable
  public func restricted(toRows range: Range<Int>) -> Self {
    Self(base: base.restricted(toRows: range), process: process, lower: lower, upper: upper)
  }
}
