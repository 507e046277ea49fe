public import LinearAlgebra

/// The MLP is the library's standard ``ScoreNetwork``; its Jacobian products are its own
/// (``InputJacobianWorkspace``: one forward pass, the probes pulled back together).
extension MLP: ScoreNetwork {
  /// `"mlp"`.
  public static var architectureName: String { "mlp" }

  /// `true`: see ``forward(_:times:condition:into:workspace:dropout:)``.
  public static var supportsDropout: Bool { true }

  /// `d`.
  @inlinable public var inputDimension: Int { configuration.inputDimension }

  /// `k`.
  @inlinable public var conditionDimension: Int { configuration.conditionDimension }

  /// `vᵢᵀ ∂f/∂x` for the last forward pass, by backpropagation (the parameter gradient it also
  /// forms goes to a scratch buffer of the workspace, made on the first call).
  @inlinable
  public func inputGradient(
    outputGradient: Matrix<Scalar>, workspace: inout MLPWorkspace<Scalar>,
    into inputGradient: inout Matrix<Scalar>
  ) {
    // Taken out of the workspace while in use, so that writing to it copies nothing.
    var scratch = workspace.scratchGradients ?? makeGradients()
    workspace.scratchGradients = nil
    backward(
      outputGradient: outputGradient, workspace: &workspace, into: &scratch, inputGradient: &inputGradient)
    workspace.scratchGradients = scratch
  }
}
