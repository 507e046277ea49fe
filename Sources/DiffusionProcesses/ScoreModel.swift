public import LinearAlgebra

/// Anything that gives the score `s(x, t) ≈ ∇ₓ log p_t(x)` of the time-`t` marginal for a batch
/// of points (rows are samples): an exact oracle such as ``GaussianScore``, or a trained
/// network wrapped by ScoreMatching.
///
/// Samplers see a model only through this protocol. Per-step callers use
/// ``score(_:at:into:workspace:)`` with a workspace made once by
/// ``makeWorkspace(rows:)``, so that a sampling step allocates nothing; models that need no
/// scratch memory leave `Workspace` as `Void` and implement only ``score(_:at:into:)``.
public protocol ScoreModel<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Scratch memory reused across calls (activations of a network); `Void` for closed forms.
  associatedtype Workspace = Void

  /// Writes `s(xᵢ, t)` into row `i` of `out`, which has the shape of `x`.
  func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>)

  /// Scratch memory for batches of up to `rows` points.
  func makeWorkspace(rows: Int) -> Workspace

  /// ``score(_:at:into:)`` using preallocated scratch memory.
  func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Workspace)

  /// This model for rows `range` of a batch: a model that holds something per row (one
  /// condition per point, say) keeps only those rows, so that a batch cut into row blocks (the
  /// likelihood's threads, the sampler's batches) pairs each block with its own rows. Models with
  /// nothing per row return themselves (the default).
  func restricted(toRows range: Range<Int>) -> Self
}

extension ScoreModel where Workspace == Void {
  /// No scratch memory.
  @inlinable
  public func makeWorkspace(rows: Int) {}

  /// Calls ``score(_:at:into:)``.
  @inlinable
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>, workspace: inout Void)
  {
    score(x, at: t, into: &out)
  }
}

extension ScoreModel {
  /// The model itself: nothing is held per row.
  @inlinable
  public func restricted(toRows range: Range<Int>) -> Self { self }

  /// The score of a batch as a new matrix (convenient, allocates).
  @inlinable
  public func score(_ x: Matrix<Scalar>, at t: Scalar) -> Matrix<Scalar> {
    var out = Matrix<Scalar>(rows: x.rows, columns: x.columns)
    score(x, at: t, into: &out)
    return out
  }
}
