public import LinearAlgebra
public import ScoreNetworks

/// Scratch memory of a ``NetworkScoreModel``: the network's activations, its input-Jacobian
/// buffers (made on the first divergence or vector–Jacobian product), and the encoded conditions.
///
/// Made once by ``NetworkScoreModel/makeWorkspace(rows:)`` and reused, repeated evaluations of
/// the same batch size allocate nothing. A workspace belongs to one model and one thread at a
/// time.
public struct NetworkScoreWorkspace<Network: ScoreNetwork>: Sendable {
  /// The precision.
  public typealias Scalar = Network.Scalar
  /// The network's forward-pass buffers.
  @usableFromInline var network: Network.Workspace
  /// Buffers for the exact divergence (`d` unit probes per row), made on first use.
  @usableFromInline var exactJacobian: Network.JacobianWorkspace?
  /// Buffers for one probe per row (Hutchinson), made on first use.
  @usableFromInline var probeJacobian: Network.JacobianWorkspace?
  /// The encoded conditions, `rows × networkColumns`.
  @usableFromInline var conditions: Matrix<Scalar>
  /// The rows the buffers were made for.
  @usableFromInline var rows: Int
  /// The conditioned input `c·x + offset` of a preconditioned parameterisation (EDM); empty
  /// otherwise.
  @usableFromInline var conditionedInput = Matrix<Scalar>(rows: 0, columns: 0)
  /// A matrix kernel's buffers: the network output before `K(t)`, the probes and the products.
  @usableFromInline var networkOutput = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var kernelProbes = Matrix<Scalar>(rows: 0, columns: 0)
  @usableFromInline var kernelProducts = Matrix<Scalar>(rows: 0, columns: 0)

  @usableFromInline
  init(network: Network.Workspace, rows: Int, conditionColumns: Int) {
    self.network = network
    self.exactJacobian = nil
    self.probeJacobian = nil
    self.conditions = Matrix(rows: rows, columns: conditionColumns)
    self.rows = rows
  }

  /// The encoded conditions of the last evaluation, `rows × networkColumns`.
  public var lastEncodedConditions: Matrix<Scalar> { conditions }
}

extension NetworkScoreWorkspace where Network.Workspace == MLPWorkspace<Network.Scalar> {
  /// The network input `[x ‖ γ(t) ‖ c]` of the last plain score evaluation of an ``MLP`` (for
  /// inspection).
  public var lastNetworkInput: Matrix<Scalar> { network.networkInput }
}
