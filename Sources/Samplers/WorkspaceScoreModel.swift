public import DiffusionProcesses
public import LinearAlgebra

/// A ``ScoreModel`` that evaluates only with scratch memory: its allocating
/// ``ScoreModel/score(_:at:into:)`` makes a workspace for the batch and calls
/// ``ScoreModel/score(_:at:into:workspace:)``, so a conforming type writes only the latter and
/// per-step callers pass a workspace made once. The model wrappers here are:
/// ``RowTiledScore``, ``ConditionedScore``, ``ClassifierFreeGuidance``, ``DenoisedClipping`` and
/// ``DiffusionPosteriorScore``.
///
/// ```swift
/// let tiled = RowTiledScore(base: network, tileRows: 256, firstRow: 0)   // a WorkspaceScoreModel
/// tiled.score(x, at: 0.5, into: &s)                                      // makes a workspace
/// ```
public protocol WorkspaceScoreModel: ScoreModel {}

extension WorkspaceScoreModel {
  /// ``ScoreModel/score(_:at:into:workspace:)`` with a workspace made for the call (allocates).
  @inlinable
  public func score(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    var workspace = makeWorkspace(rows: x.rows)
    score(x, at: t, into: &out, workspace: &workspace)
  }
}
