public import LinearAlgebra
public import ScoreNetworks

/// The buffers of one network evaluation of the denoising loss: the network's activations, its
/// output `f` and `∂L/∂f`. Reused across steps, so a step allocates nothing.
public struct NetworkLossWorkspace<Network: ScoreNetwork>: Sendable {
  /// The precision.
  public typealias Scalar = Network.Scalar
  /// The network's activations.
  @usableFromInline var network: Network.Workspace
  /// `f`, the network's output on the perturbed batch.
  @usableFromInline var output: Matrix<Scalar>
  /// `∂L/∂f`.
  @usableFromInline var outputGradient: Matrix<Scalar>

  /// Buffers for `rows` rows of `network`.
  ///
  /// - Parameters:
  ///   - network: the network.
  ///   - rows: the batch size.
  public init(network: Network, rows: Int) {
    self.network = network.makeWorkspace(rows: rows)
    let d = network.inputDimension
    output = Matrix(rows: rows, columns: d)
    outputGradient = Matrix(rows: rows, columns: d)
  }

  /// The network's output in the last evaluation.
  public var lastOutput: Matrix<Scalar> { output }
  /// `∂L/∂f` of the last evaluation with a gradient.
  public var lastOutputGradient: Matrix<Scalar> { outputGradient }

  @usableFromInline
  mutating func prepare(rows: Int, columns: Int) {
    if output.rows != rows || output.columns != columns {
      output.resize(rows: rows, columns: columns)
      outputGradient.resize(rows: rows, columns: columns)
    }
  }
}

extension DenoisingScoreMatching {
  /// The loss of `network` on `batch` and its gradient with respect to the network's parameters:
  /// a forward pass at the batch's per-row times, ``loss(output:batch:gradient:)``, and
  /// ``MLP/backward(outputGradient:workspace:into:accumulate:)``. Allocation-free.
  ///
  /// ```swift
  /// let loss = dsm.lossAndGradient(
  ///   network: mlp, batch: batch, condition: nil, workspace: &ws, gradients: &gradients)
  /// adam.update(&mlp.parameters, along: gradients)
  /// ```
  ///
  /// - Parameters:
  ///   - network: the network (its output is in ``DenoisingOptions/parameterization``).
  ///   - batch: from ``prepare(_:into:using:)``.
  ///   - condition: the encoded conditions, `n × networkColumns`, or `nil` for an unconditional
  ///     network.
  ///   - workspace: the buffers.
  ///   - gradients: receives `∂L/∂θ`.
  ///   - dropout: ``Dropout`` of the network's hidden units in this pass (none by default).
  /// - Returns: the loss `L`.
  @inlinable
  public func lossAndGradient<Network: ScoreNetwork>(
    network: Network, batch: DenoisingBatch<Scalar>, condition: Matrix<Scalar>?,
    workspace: inout NetworkLossWorkspace<Network>, gradients: inout Network.Parameters,
    dropout: Dropout = .none
  ) -> Scalar where Network.Scalar == Scalar {
    workspace.prepare(rows: batch.rows, columns: batch.perturbed.columns)
    network.forward(
      batch.networkInput, times: .perRow(batch.networkTimes), condition: condition, into: &workspace.output,
      workspace: &workspace.network, dropout: dropout)
    let value = loss(output: workspace.output, batch: batch, gradient: &workspace.outputGradient)
    network.backward(
      outputGradient: workspace.outputGradient, workspace: &workspace.network, into: &gradients)
    return value
  }

  /// The loss of `network` on `batch` (a forward pass, no gradient).
  ///
  /// - Parameters:
  ///   - network: the network.
  ///   - batch: from ``prepare(_:into:using:)``.
  ///   - condition: the encoded conditions or `nil`.
  ///   - workspace: the buffers.
  /// - Returns: the loss `L`.
  @inlinable
  public func loss<Network: ScoreNetwork>(
    network: Network, batch: DenoisingBatch<Scalar>, condition: Matrix<Scalar>?,
    workspace: inout NetworkLossWorkspace<Network>
  ) -> Scalar where Network.Scalar == Scalar {
    workspace.prepare(rows: batch.rows, columns: batch.perturbed.columns)
    network.evaluate(
      batch.networkInput, times: .perRow(batch.networkTimes), condition: condition, into: &workspace.output,
      workspace: &workspace.network)
    return loss(output: workspace.output, batch: batch, gradient: &workspace.outputGradient)
  }
}
