public import LinearAlgebra

extension MLP {
  /// The gradient of a loss with respect to the parameters, by backpropagation through the last
  /// forward pass in `workspace`.
  ///
  /// For each layer, from the output back: one fused pass `δz = δh ⊙ σ′` (through the layer
  /// normalisation's pullback when present) that also accumulates `∂L/∂b = Σ_rows δz`, one
  /// `gemm` `∂L/∂W = δzᵀ h_{l−1}`, and one `gemm` `δh_{l−1} = δz W (+ δh_l` across a skip
  /// connection). Nothing is allocated.
  ///
  /// ```swift
  /// model.forward(x, times: .perRow(t), into: &out, workspace: &ws)
  /// model.backward(outputGradient: dLdOut, workspace: &ws, into: &gradients)
  /// ```
  /// - Parameters:
  ///   - outputGradient: `∂L/∂out`, `n × d` for the `n` rows of the forward pass.
  ///   - workspace: the workspace of that forward pass.
  ///   - gradients: receives `∂L/∂θ` (from ``makeGradients()``).
  ///   - accumulate: add to `gradients` (gradient accumulation over micro-batches) instead of
  ///     overwriting them.
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout MLPWorkspace<Scalar>,
    into gradients: inout MLPGradients<Scalar>,
    accumulate: Bool = false
  ) {
    var none = Matrix<Scalar>(rows: 0, columns: 0)
    backpropagate(
      outputGradient, workspace: &workspace, gradients: &gradients, accumulate: accumulate,
      inputGradient: &none, wantsInputGradient: false)
  }

  /// ``backward(outputGradient:workspace:into:accumulate:)`` that also writes `∂L/∂x` (`n × d`)
  /// into `inputGradient`.
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace: inout MLPWorkspace<Scalar>,
    into gradients: inout MLPGradients<Scalar>,
    inputGradient: inout Matrix<Scalar>, accumulate: Bool = false
  ) {
    precondition(
      inputGradient.rows == outputGradient.rows && inputGradient.columns == configuration.inputDimension,
      "MLP.backward: input gradient \(inputGradient.shapeDescription) for output gradient "
        + "\(outputGradient.shapeDescription)")
    backpropagate(
      outputGradient, workspace: &workspace, gradients: &gradients, accumulate: accumulate,
      inputGradient: &inputGradient, wantsInputGradient: true)
  }

  @inlinable
  func backpropagate(
    _ outputGradient: Matrix<Scalar>, workspace ws: inout MLPWorkspace<Scalar>,
    gradients: inout MLPGradients<Scalar>, accumulate: Bool, inputGradient: inout Matrix<Scalar>,
    wantsInputGradient: Bool
  ) {
    let c = configuration
    let (n, h, depth) = (ws.rows, c.width, c.depth)
    precondition(ws.hasForwardPass, "MLP.backward: the workspace holds no forward pass")
    precondition(
      outputGradient.rows == n && outputGradient.columns == c.inputDimension,
      "MLP.backward: output gradient \(outputGradient.shapeDescription) after a forward pass of \(n) rows")
    precondition(
      gradients.tensorCount == parameters.tensorCount && gradients.layers.count == depth + 1,
      "MLP.backward: gradients of \(gradients.tensorCount) tensors for a model of \(parameters.tensorCount)")
    let beta: Scalar = accumulate ? 1 : 0
    if !accumulate {
      for l in 0...depth { gradients.layers[l].bias.fill(with: 0) }
      for l in gradients.norms.indices { gradients.norms[l].setToZero() }
    }

    // Output layer: ∂L/∂W = Gᵀ h_L, ∂L/∂b = Σ G, δh_L = G W.
    let output = parameters.layers[depth]
    gradients.layers[depth].weight.formProduct(
      outputGradient, ws.hidden[depth - 1], transposingA: true, beta: beta)
    gradients.layers[depth].bias.withUnsafeMutableBufferPointer { db in
      outputGradient.withUnsafeBufferPointer { g in
        accumulateColumnSums(g.baseAddress!, rows: n, columns: c.inputDimension, into: db.baseAddress!)
      }
    }
    ws.gradient.formProduct(outputGradient, output.weight)

    for l in stride(from: depth - 1, through: 0, by: -1) {
      let layer = parameters.layers[l]
      // δz = δh ⊙ σ′ into scratch (and through the normalisation), accumulating ∂L/∂b.
      gradients.layers[l].bias.withUnsafeMutableBufferPointer { db in
        ws.scratch.withUnsafeMutableBufferPointer { s in
          ws.gradient.withUnsafeBufferPointer { g in
            ws.derivatives[l].withUnsafeBufferPointer { d in
              multiplyByDerivative(
                g.baseAddress!, derivative: d.baseAddress!, into: s.baseAddress!, rows: n, probes: 1,
                columns: h,
                biasGradient: c.layerNorm ? nil : db.baseAddress!)
            }
          }
          if c.layerNorm {
            let gamma = parameters.norms[l].weight
            ws.normalized[l].withUnsafeBufferPointer { xh in
              ws.inverseStandardDeviations[l].withUnsafeBufferPointer { rho in
                gamma.withUnsafeBufferPointer { g in
                  gradients.norms[l].withPointers { dg, dbeta in
                    layerNormPullback(
                      s.baseAddress!, normalized: xh.baseAddress!, inverseStd: rho.baseAddress!,
                      scale: g.baseAddress!,
                      rows: n, probes: 1, columns: h, scaleGradient: dg, offsetGradient: dbeta,
                      biasGradient: db.baseAddress!)
                  }
                }
              }
            }
          }
        }
      }
      let source = l == 0 ? ws.input : ws.hidden[l - 1]
      gradients.layers[l].weight.formProduct(ws.scratch, source, transposingA: true, beta: beta)
      if l > 0 {
        ws.gradient.formProduct(ws.scratch, layer.weight, beta: c.residual ? 1 : 0)
      } else if wantsInputGradient {
        refreshInputWeights(&ws.inputWeights)
        inputGradient.formProduct(ws.scratch, ws.inputWeights, transposingB: true)
      }
    }
  }

  /// Copies the x-columns of the first layer's weight, transposed: `t[k, j] = W₀[j, k]`.
  @inlinable
  func refreshInputWeights(_ t: inout Matrix<Scalar>) {
    let w = parameters.layers[0].weight
    let (h, d, columns) = (w.rows, configuration.inputDimension, w.columns)
    w.withUnsafeBufferPointer { pw in
      t.withUnsafeMutableBufferPointer { pt in
        for j in 0..<h {
          for k in 0..<d { pt[k * h + j] = pw[j * columns + k] }
        }
      }
    }
  }
}

extension LayerNorm {
  /// Calls `body` with mutable pointers to γ and β.
  @inlinable
  mutating func withPointers<R>(
    _ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>) throws -> R
  ) rethrows -> R {
    try weight.withUnsafeMutableBufferPointer { g in
      try bias.withUnsafeMutableBufferPointer { b in try body(g.baseAddress!, b.baseAddress!) }
    }
  }
}
