public import LinearAlgebra

/// A ``ScoreNetwork`` whose backward pass also gives the gradient with respect to its condition
/// input, `∂L/∂c`, so that something learnable in front of the condition (a parameter encoding,
/// ``EncodedConditionNetwork``) can be trained through it.
public protocol ConditionGradientNetwork<Scalar>: ScoreNetwork {
  /// The number of condition columns `configuration` takes, known without building the network.
  static func conditionDimension(of configuration: Configuration) -> Int

  /// ``ScoreNetwork/backward(outputGradient:workspace:into:accumulate:)`` that also writes
  /// `∂L/∂c = (∂L/∂out)ᵀ ∂f/∂c`, row by row, into `conditionGradient` (`n × k`).
  ///
  /// - Parameters:
  ///   - outputGradient: `n × d`.
  ///   - workspace: the workspace of the last forward pass.
  ///   - gradients: receives (or, with `accumulate`, adds) `∂L/∂θ`.
  ///   - conditionGradient: receives `∂L/∂c`, `n × k` (always overwritten).
  ///   - accumulate: add the parameter gradient instead of overwriting it.
  func backward(
    outputGradient: Matrix<Scalar>, workspace: inout Workspace, into gradients: inout Parameters,
    conditionGradient: inout Matrix<Scalar>, accumulate: Bool)
}

/// The MLP's condition enters its first layer as the last `k` columns of `[x ‖ γ(t) ‖ c]`, so
/// `∂L/∂c = δz₀ W₀[:, d+e ..< d+e+k]`, with `δz₀` the gradient of the first pre-activation.
extension MLP: ConditionGradientNetwork {
  /// `configuration.conditionDimension`.
  public static func conditionDimension(of configuration: MLPConfiguration) -> Int {
    configuration.conditionDimension
  }

  /// The parameter gradient (as ``backward(outputGradient:workspace:into:accumulate:)``) and
  /// `∂L/∂c = δz₀ W_c` by one `gemm` against the condition columns of the first weight.
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout MLPWorkspace<Scalar>,
    into gradients: inout MLPGradients<Scalar>,
    conditionGradient: inout Matrix<Scalar>, accumulate: Bool
  ) {
    let c = configuration
    let (n, k, h) = (outputGradient.rows, c.conditionDimension, c.width)
    precondition(
      conditionGradient.rows == n && conditionGradient.columns == k,
      "MLP.backward: condition gradient \(conditionGradient.shapeDescription) for \(n) rows and \(k) condition columns"
    )
    backward(outputGradient: outputGradient, workspace: &workspace, into: &gradients, accumulate: accumulate)
    guard k > 0 && n > 0 else { return }
    // After the backward pass the scratch buffer holds δz₀ (n × H).
    let width = c.networkInputDimension
    workspace.scratch.withUnsafeBufferPointer { s in
      parameters.layers[0].weight.withUnsafeBufferPointer { w in
        conditionGradient.withUnsafeMutableBufferPointer { g in
          Scalar._gemm(
            transposeA: false, transposeB: false, m: n, n: k, k: h, alpha: 1, a: s.baseAddress!, lda: h,
            b: w.baseAddress! + (width - k), ldb: width, beta: 0, c: g.baseAddress!, ldc: k)
        }
      }
    }
  }
}
