public import LinearAlgebra

/// The buffers of one forward pass of an ``EncodedConditionNetwork``: the base network's
/// workspace, the condition rows and their encoded features, and the features' gradient.
public struct EncodedConditionWorkspace<Base: ScoreNetwork>: Sendable {
  @usableFromInline var base: Base.Workspace
  @usableFromInline var condition = Matrix<Base.Scalar>(rows: 0, columns: 0)
  @usableFromInline var features = Matrix<Base.Scalar>(rows: 0, columns: 0)
  @usableFromInline var featureGradient = Matrix<Base.Scalar>(rows: 0, columns: 0)
  @usableFromInline var hasForwardPass = false

  @usableFromInline init(base: Base.Workspace) { self.base = base }

  /// The encoded condition `[φ(z) ‖ m]` of the last forward pass (what the base network saw).
  public var encodedCondition: Matrix<Base.Scalar> { features }
}

/// The buffers of an ``EncodedConditionNetwork``'s Jacobian products: the base network's and
/// the encoded condition.
public struct EncodedConditionJacobianWorkspace<Base: ScoreNetwork>: Sendable {
  @usableFromInline var base: Base.JacobianWorkspace
  @usableFromInline var features = Matrix<Base.Scalar>(rows: 0, columns: 0)

  @usableFromInline init(base: Base.JacobianWorkspace) { self.base = base }
}
