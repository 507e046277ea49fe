public import LinearAlgebra

extension ResidualMLP {
  /// The gradient of a loss with respect to every parameter, by backpropagation through the
  /// last forward pass in `workspace`.
  ///
  /// With `G = ∂L/∂out` and `δh` the gradient of the residual stream, from the output back:
  ///
  ///     ∂L/∂W_out = Gᵀ LN(h_B),  ∂L/∂b_out = Σ G,  δh_B = LN′ᵀ(G W_out)
  ///     block b = B−1 … 0 (a = σ(z), z the first linear layer's pre-activation, u = LN(h_b)):
  ///       ∂L/∂W_b,2 = δhᵀ a,  δz = (δh W_b,2) ⊙ σ′(z),  ∂L/∂W_b,1 = δzᵀ σ(v),
  ///       δv = (δz W_b,1) ⊙ σ′(v),  δs = δv ⊙ u,  δβ = δv,
  ///       ∂L/∂W_b,film = [δs ‖ δβ]ᵀ m,  δm += [δs ‖ δβ] W_b,film,
  ///       δh_b = δh_{b+1} + LN′ᵀ(δv ⊙ (1 + s))
  ///     ∂L/∂W_in = δh₀ᵀ x,  ∂L/∂W_emb = (δm ⊙ σ′)ᵀ e
  ///
  /// (each bias gradient is the column sum of its layer's δ), where the pullback of the
  /// normalisation is `LN′ᵀ(g) = ρ (g − mean g − u · mean(g ⊙ u))`. Nothing is allocated.
  ///
  /// - Parameters:
  ///   - outputGradient: `∂L/∂out`, `n × d` for the `n` rows of the forward pass.
  ///   - workspace: the workspace of that forward pass.
  ///   - gradients: receives `∂L/∂θ` (from ``makeGradients()``).
  ///   - accumulate: add to `gradients` (gradient accumulation over micro-batches) instead of
  ///     overwriting them.
  @_specialize(exported:true,where Scalar == Float)
  @_specialize(exported:true,where Scalar == Double)
  @inlinable
  public func backward(
    outputGradient: Matrix<Scalar>, workspace ws: inout ResidualMLPWorkspace<Scalar>,
    into gradients: inout ResidualMLPParameters<Scalar>, accumulate: Bool = false
  ) {
    let c = configuration
    let (n, blocks) = (ws.rows, c.blocks)
    checkBackward(outputGradient, rows: n, holdsForwardPass: ws.hasForwardPass, "backward")
    precondition(
      gradients.blocks.count == blocks && gradients.tensorCount == parameters.tensorCount,
      "ResidualMLP.backward: gradients of \(gradients.tensorCount) tensors for a network of "
        + "\(parameters.tensorCount)")
    let p = parameters
    let sharedConditioning = ws.conditioningRows != n
    // The identity layers' pullbacks read no derivative: any matrix will do.
    let unused = ws.ones
    ws.outputGradient.assign(outputGradient)
    gradients.output.accumulateGradient(
      of: p.output, &ws.outputGradient, input: ws.normalized[blocks], derivative: unused,
      accumulate: accumulate)
    pullBackThroughOutput(outputGradient, workspace: &ws)
    for b in stride(from: blocks - 1, through: 0, by: -1) {
      let block = p.blocks[b]
      gradients.blocks[b].linear2.accumulateGradient(
        of: block.linear2, &ws.hiddenGradient, input: ws.inner[b], derivative: unused, accumulate: accumulate)
      ws.scratch.formProduct(ws.hiddenGradient, block.linear2.weight)
      gradients.blocks[b].linear1.accumulateGradient(
        of: block.linear1, &ws.scratch, input: ws.modulated[b], derivative: ws.innerDerivative[b],
        accumulate: accumulate)
      ws.scratch2.formProduct(ws.scratch, block.linear1.weight)
      modulationPullback(
        &ws.scratch2, derivative: ws.modulatedDerivative[b], normalized: ws.normalized[b], film: ws.film[b],
        filmStride: ws.conditioningRows == ws.rows ? 2 * c.width : 0, filmGradient: &ws.filmGradient,
        wantsFilm: true)
      let beta: Scalar = b == blocks - 1 ? 0 : 1
      if sharedConditioning {
        // One m for all rows: ∂L/∂W_film = (Σ_rows δ[s ‖ β])ᵀ m, δm = (Σ_rows δ[s ‖ β]) W_film.
        ws.reducedFilmGradient.fill(with: 0)
        ws.reducedFilmGradient.withUnsafeMutableBufferPointer { reduced in
          ws.filmGradient.withUnsafeBufferPointer { g in
            accumulateColumnSums(g.baseAddress!, rows: n, columns: 2 * c.width, into: reduced.baseAddress!)
          }
        }
        gradients.blocks[b].film.accumulateGradient(
          of: block.film, &ws.reducedFilmGradient, input: ws.conditioning, derivative: unused,
          accumulate: accumulate)
        ws.conditioningGradient.formProduct(ws.reducedFilmGradient, block.film.weight, beta: beta)
      } else {
        gradients.blocks[b].film.accumulateGradient(
          of: block.film, &ws.filmGradient, input: ws.conditioning, derivative: unused, accumulate: accumulate
        )
        ws.conditioningGradient.formProduct(ws.filmGradient, block.film.weight, beta: beta)
      }
      normalizationPullback(
        &ws.scratch2, normalized: ws.normalized[b],
        inverseStandardDeviations: ws.inverseStandardDeviations[b],
        ones: ws.ones)
      ws.hiddenGradient.add(ws.scratch2)
    }
    gradients.input.accumulateGradient(
      of: p.input, &ws.hiddenGradient, input: ws.input, derivative: unused, accumulate: accumulate)
    gradients.embedding.accumulateGradient(
      of: p.embedding, &ws.conditioningGradient, input: ws.features, derivative: ws.conditioningDerivative,
      accumulate: accumulate)
  }

  /// `vᵢᵀ ∂f/∂x` for the last forward pass: the backward pass along the residual stream alone
  /// (the conditioning m does not depend on x), ending with `δx = δh₀ W_in`. Forms no parameter
  /// gradient and allocates nothing.
  ///
  /// - Parameters:
  ///   - outputGradient: `n × d`, the vectors `vᵢ`.
  ///   - workspace: the workspace of that forward pass.
  ///   - inputGradient: receives the `n × d` products.
  @_specialize(exported:true,where Scalar == Float)
  @_specialize(exported:true,where Scalar == Double)
  @inlinable
  public func inputGradient(
    outputGradient: Matrix<Scalar>, workspace ws: inout ResidualMLPWorkspace<Scalar>,
    into inputGradient: inout Matrix<Scalar>
  ) {
    let c = configuration
    checkBackward(outputGradient, rows: ws.rows, holdsForwardPass: ws.hasForwardPass, "inputGradient")
    precondition(
      inputGradient.rows == ws.rows && inputGradient.columns == c.inputDimension,
      "ResidualMLP.inputGradient: input gradient \(inputGradient.shapeDescription) for "
        + "\(ws.rows)×\(c.inputDimension)")
    let p = parameters
    let blocks = c.blocks
    pullBackThroughOutput(outputGradient, workspace: &ws)
    for b in stride(from: blocks - 1, through: 0, by: -1) {
      let block = p.blocks[b]
      ws.scratch.formProduct(ws.hiddenGradient, block.linear2.weight)
      if block.linear1.activation != .identity {
        let rows = ws.rows
        ws.scratch.withUnsafeMutableBufferPointer { s in
          ws.innerDerivative[b].withUnsafeBufferPointer { d in
            multiplyByDerivative(
              s.baseAddress!, derivative: d.baseAddress!, into: s.baseAddress!, rows: rows, probes: 1,
              columns: c.width, biasGradient: nil)
          }
        }
      }
      ws.scratch2.formProduct(ws.scratch, block.linear1.weight)
      modulationPullback(
        &ws.scratch2, derivative: ws.modulatedDerivative[b], normalized: ws.normalized[b], film: ws.film[b],
        filmStride: ws.conditioningRows == ws.rows ? 2 * c.width : 0, filmGradient: &ws.filmGradient,
        wantsFilm: false)
      normalizationPullback(
        &ws.scratch2, normalized: ws.normalized[b],
        inverseStandardDeviations: ws.inverseStandardDeviations[b],
        ones: ws.ones)
      ws.hiddenGradient.add(ws.scratch2)
    }
    inputGradient.formProduct(ws.hiddenGradient, p.input.weight)
  }

  /// Checks that `workspace` holds a forward pass of as many rows as `outputGradient`.
  @inlinable
  func checkBackward(
    _ outputGradient: Matrix<Scalar>, rows: Int, holdsForwardPass: Bool, _ name: String
  ) {
    precondition(holdsForwardPass, "ResidualMLP.\(name): the workspace holds no forward pass")
    precondition(
      outputGradient.rows == rows && outputGradient.columns == configuration.inputDimension,
      "ResidualMLP.\(name): output gradient \(outputGradient.shapeDescription) after a forward pass of "
        + "\(rows) rows")
  }

  /// In place, `g ← LN′ᵀ(g) = ρ (g − mean g − u · mean(g ⊙ u))` for the normalisation whose
  /// output `u` and inverse standard deviations ρ are given (`ones`: a row of H ones).
  @inlinable
  func normalizationPullback(
    _ g: inout Matrix<Scalar>, normalized: Matrix<Scalar>, inverseStandardDeviations: Matrix<Scalar>,
    ones: Matrix<Scalar>
  ) {
    let (rows, columns) = (g.rows, g.columns)
    g.withUnsafeMutableBufferPointer { g in
      normalized.withUnsafeBufferPointer { u in
        inverseStandardDeviations.withUnsafeBufferPointer { rho in
          ones.withUnsafeBufferPointer { one in
            layerNormPullback(
              g.baseAddress!, normalized: u.baseAddress!, inverseStd: rho.baseAddress!,
              scale: one.baseAddress!,
              rows: rows, probes: 1, columns: columns, scaleGradient: nil, offsetGradient: nil,
              biasGradient: nil)
          }
        }
      }
    }
  }

  /// In place, from `∂L/∂σ(v)` to `∂L/∂u = δv ⊙ (1 + s)` with `δv = ∂L/∂σ(v) ⊙ σ′(v)`
  /// (`derivative` holds σ′(v), `normalized` u, `film` [s ‖ β], row `i` at offset
  /// `i · filmStride`: 0 when one row serves all); with `wantsFilm`, also
  /// `filmGradient ← [δv ⊙ u ‖ δv]` (the gradient of `[s ‖ β]`, one row per row).
  @inlinable
  func modulationPullback(
    _ g: inout Matrix<Scalar>, derivative: Matrix<Scalar>, normalized: Matrix<Scalar>, film: Matrix<Scalar>,
    filmStride: Int, filmGradient: inout Matrix<Scalar>, wantsFilm: Bool
  ) {
    let (n, h) = (g.rows, g.columns)
    g.withUnsafeMutableBufferPointer { g in
      derivative.withUnsafeBufferPointer { d in
        normalized.withUnsafeBufferPointer { u in
          film.withUnsafeBufferPointer { sb in
            filmGradient.withUnsafeMutableBufferPointer { df in
              for i in 0..<n {
                let (row, gradientRow, modulation) = (i * h, 2 * i * h, i * filmStride)
                if wantsFilm {
                  for j in 0..<h {
                    let dv = g[row + j] * d[row + j]
                    df[gradientRow + j] = dv * u[row + j]
                    df[gradientRow + h + j] = dv
                    g[row + j] = dv * (1 + sb[modulation + j])
                  }
                } else {
                  for j in 0..<h { g[row + j] = g[row + j] * d[row + j] * (1 + sb[modulation + j]) }
                }
              }
            }
          }
        }
      }
    }
  }
}

extension ResidualMLP {
  /// `δh_B = LN′(h_B)ᵀ (G W_out)`: the output gradient pulled back through the output layer and
  /// the final normalisation, into `hiddenGradient`.
  @inlinable
  func pullBackThroughOutput(
    _ outputGradient: Matrix<Scalar>, workspace ws: inout ResidualMLPWorkspace<Scalar>
  ) {
    ws.hiddenGradient.formProduct(outputGradient, parameters.output.weight)
    normalizationPullback(
      &ws.hiddenGradient, normalized: ws.normalized[configuration.blocks],
      inverseStandardDeviations: ws.inverseStandardDeviations[configuration.blocks], ones: ws.ones)
  }
}
