public import LinearAlgebra

extension ScoreNetwork {
  /// `false`: a network that does not implement ``forward(_:times:condition:into:workspace:dropout:)``
  /// trains without dropout.
  public static var supportsDropout: Bool { false }

  /// The plain forward pass; dropout must be off (`precondition`), since the network does not
  /// implement it.
  @inlinable
  public func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace, dropout: Dropout
  ) {
    precondition(
      !dropout.isActive, "\(Self.architectureName) does not implement dropout (rate \(dropout.rate))")
    forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  }
}
