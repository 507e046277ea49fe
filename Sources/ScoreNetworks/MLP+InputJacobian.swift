public import LinearAlgebra

/// Buffers for input-Jacobian products of an ``MLP`` (likelihoods through the probability-flow
/// ODE): the forward activations of `rows` points and the pullbacks of `probesPerRow` probe
/// vectors per point, stacked so that each layer is a single `gemm` of `(rows·probes) × H`.
///
/// Separate from ``MLPWorkspace``, so that likelihood evaluation never disturbs a training
/// workspace of the same model. Made by ``MLP/makeJacobianWorkspace(rows:probesPerRow:)``.
public struct InputJacobianWorkspace<Scalar: BLASScalar>: Sendable {
  @usableFromInline var forward: MLPWorkspace<Scalar>
  @usableFromInline var probeGradient: Matrix<Scalar>
  @usableFromInline var probeScratch: Matrix<Scalar>
  @usableFromInline var products: Matrix<Scalar>

  init(configuration: MLPConfiguration, rows: Int, probesPerRow: Int) {
    precondition(probesPerRow >= 1, "InputJacobianWorkspace: probesPerRow must be ≥ 1, got \(probesPerRow)")
    forward = MLPWorkspace(configuration: configuration, rows: rows)
    probeGradient = Matrix(rows: rows * probesPerRow, columns: configuration.width)
    probeScratch = Matrix(rows: rows * probesPerRow, columns: configuration.width)
    products = Matrix(rows: rows * probesPerRow, columns: configuration.inputDimension)
  }

  /// Resizes the probe buffers to `stackedRows` rows (no allocation unless larger than ever).
  @usableFromInline
  mutating func prepareProbes(stackedRows: Int) {
    if probeGradient.rows == stackedRows { return }
    probeGradient.resize(rows: stackedRows, columns: probeGradient.columns)
    probeScratch.resize(rows: stackedRows, columns: probeScratch.columns)
    products.resize(rows: stackedRows, columns: products.columns)
  }
}

extension MLP {
  /// Buffers for ``vectorJacobianProducts(_:times:condition:probes:into:output:workspace:)`` with
  /// `probesPerRow` probes per point, and for ``divergence(_:times:condition:output:into:workspace:)``
  /// with `probesPerRow = d`.
  public func makeJacobianWorkspace(rows: Int, probesPerRow: Int) -> InputJacobianWorkspace<Scalar> {
    InputJacobianWorkspace(configuration: configuration, rows: rows, probesPerRow: probesPerRow)
  }

  /// Vector–Jacobian products with respect to the input x: for point `i` and probe `k`,
  /// `products[i·P + k] = vᵢₖᵀ ∂f(xᵢ, tᵢ, cᵢ)/∂x` (a row of `d` entries), where `vᵢₖ = probes[i·P + k]`.
  ///
  /// One forward pass of the `n` points, then one pullback of all `n·P` probes together: the
  /// probes of a point share its activation derivatives, so each layer is one `gemm` of
  /// `(n·P) × H`. With `P = 1` and Gaussian or Rademacher probes ε, `Σⱼ productsᵢⱼ εᵢⱼ` is
  /// Hutchinson's unbiased estimate of the divergence (see
  /// ``divergenceEstimate(_:times:condition:probes:output:into:workspace:)``).
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - times, condition: as for ``forward(_:times:condition:into:workspace:)``.
  ///   - probes: `(n·P) × d`, the `P` probes of point `i` in rows `i·P ..< (i+1)·P`.
  ///   - products: receives the `(n·P) × d` products.
  ///   - output: receives `f(x)`, `n × d`.
  ///   - workspace: from ``makeJacobianWorkspace(rows:probesPerRow:)``.
  @inlinable
  public func vectorJacobianProducts(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil, probes: Matrix<Scalar>,
    into products: inout Matrix<Scalar>, output: inout Matrix<Scalar>,
    workspace: inout InputJacobianWorkspace<Scalar>
  ) {
    let (n, d) = (x.rows, configuration.inputDimension)
    precondition(
      n > 0 && probes.rows % n == 0 && probes.columns == d,
      "MLP.vectorJacobianProducts: probes \(probes.shapeDescription) for x \(x.shapeDescription); "
        + "need (n·P)×\(d)")
    precondition(
      products.rows == probes.rows && products.columns == d,
      "MLP.vectorJacobianProducts: products \(products.shapeDescription) for probes \(probes.shapeDescription)"
    )
    forward(x, times: times, condition: condition, into: &output, workspace: &workspace.forward)
    let p = probes.rows / n
    workspace.prepareProbes(stackedRows: n * p)
    workspace.probeGradient.formProduct(probes, parameters.layers[configuration.depth].weight)
    pullbackProbes(&workspace, probesPerRow: p)
    products.formProduct(workspace.probeScratch, workspace.forward.inputWeights, transposingB: true)
  }

  /// The exact divergence `∇ₓ · f(xᵢ) = tr ∂f(xᵢ)/∂x` of every point, with the `d` unit probes
  /// e₁ … e_d (so `n·d` stacked rows: choose `probesPerRow = d` for the workspace).
  ///
  /// The probe `e_k` enters the output layer as row `k` of its weight, and only the diagonal
  /// entries `e_kᵀ J e_k` are formed at the first layer (a dot product, not a `gemm`).
  ///
  /// ```swift
  /// var ws = model.makeJacobianWorkspace(rows: n, probesPerRow: d)
  /// model.divergence(x, times: .shared(t), output: &drift, into: &div, workspace: &ws)
  /// ```
  /// - Parameters:
  ///   - output: receives `f(x)`, `n × d`.
  ///   - divergence: receives `n` traces (its count must be `n`).
  @inlinable
  public func divergence(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil, output: inout Matrix<Scalar>,
    into divergence: inout [Scalar], workspace: inout InputJacobianWorkspace<Scalar>
  ) {
    let (n, d, h) = (x.rows, configuration.inputDimension, configuration.width)
    precondition(divergence.count == n, "MLP.divergence: \(divergence.count) entries for \(n) rows")
    forward(x, times: times, condition: condition, into: &output, workspace: &workspace.forward)
    workspace.prepareProbes(stackedRows: n * d)
    // Row i·d + k of the output gradient is e_k, so δh_L's row is row k of W_out.
    parameters.layers[configuration.depth].weight.withUnsafeBufferPointer { w in
      workspace.probeGradient.withUnsafeMutableBufferPointer { g in
        for i in 0..<n {
          for k in 0..<d {
            let row = g.baseAddress! + (i * d + k) * h
            for j in 0..<h { row[j] = w[k * h + j] }
          }
        }
      }
    }
    pullbackProbes(&workspace, probesPerRow: d)
    workspace.probeScratch.withUnsafeBufferPointer { s in
      workspace.forward.inputWeights.withUnsafeBufferPointer { w in
        divergence.withUnsafeMutableBufferPointer { div in
          for i in 0..<n {
            var trace: Scalar = 0
            for k in 0..<d {
              let row = s.baseAddress! + (i * d + k) * h
              let column = w.baseAddress! + k * h
              var dot: Scalar = 0
              for j in 0..<h { dot += row[j] * column[j] }
              trace += dot
            }
            div[i] = trace
          }
        }
      }
    }
  }

  /// Hutchinson's estimate of the divergence, `εᵢᵀ (∂f(xᵢ)/∂x) εᵢ` for one probe εᵢ per point
  /// (Hutchinson 1989; Grathwohl et al. 2019, FFJORD): unbiased when `E[εεᵀ] = I` (Gaussian or
  /// Rademacher probes). Uses a workspace with `probesPerRow = 1`.
  ///
  /// - Parameters:
  ///   - probes: `n × d`, one probe per point.
  ///   - output: receives `f(x)`.
  ///   - estimate: receives `n` estimates.
  @inlinable
  public func divergenceEstimate(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil, probes: Matrix<Scalar>,
    output: inout Matrix<Scalar>, into estimate: inout [Scalar],
    workspace: inout InputJacobianWorkspace<Scalar>
  ) {
    let (n, d) = (x.rows, configuration.inputDimension)
    precondition(
      probes.rows == n && probes.columns == d && estimate.count == n,
      "MLP.divergenceEstimate: probes \(probes.shapeDescription), \(estimate.count) estimates for x "
        + "\(x.shapeDescription)")
    workspace.prepareProbes(stackedRows: n)
    var products = workspace.products
    workspace.products = Matrix(rows: 0, columns: 0)
    vectorJacobianProducts(
      x, times: times, condition: condition, probes: probes, into: &products, output: &output,
      workspace: &workspace)
    products.withUnsafeBufferPointer { v in
      probes.withUnsafeBufferPointer { e in
        estimate.withUnsafeMutableBufferPointer { out in
          for i in 0..<n {
            var s: Scalar = 0
            for j in 0..<d { s += v[i * d + j] * e[i * d + j] }
            out[i] = s
          }
        }
      }
    }
    workspace.products = products
  }

  /// Pulls the stacked probe gradients in `probeGradient` (`(n·P) × H`, at the last hidden
  /// layer's output) back to the first layer's pre-activation, leaving `δz₀` in `probeScratch`,
  /// and refreshes the transposed x-columns of W₀.
  @inlinable
  func pullbackProbes(_ ws: inout InputJacobianWorkspace<Scalar>, probesPerRow p: Int) {
    let c = configuration
    let (n, h) = (ws.forward.rows, c.width)
    for l in stride(from: c.depth - 1, through: 0, by: -1) {
      ws.probeScratch.withUnsafeMutableBufferPointer { s in
        ws.probeGradient.withUnsafeBufferPointer { g in
          ws.forward.derivatives[l].withUnsafeBufferPointer { d in
            multiplyByDerivative(
              g.baseAddress!, derivative: d.baseAddress!, into: s.baseAddress!, rows: n, probes: p,
              columns: h,
              biasGradient: nil)
          }
        }
        if c.layerNorm {
          ws.forward.normalized[l].withUnsafeBufferPointer { xh in
            ws.forward.inverseStandardDeviations[l].withUnsafeBufferPointer { rho in
              parameters.norms[l].weight.withUnsafeBufferPointer { gamma in
                layerNormPullback(
                  s.baseAddress!, normalized: xh.baseAddress!, inverseStd: rho.baseAddress!,
                  scale: gamma.baseAddress!,
                  rows: n, probes: p, columns: h, scaleGradient: nil, offsetGradient: nil, biasGradient: nil)
              }
            }
          }
        }
      }
      if l > 0 {
        ws.probeGradient.formProduct(ws.probeScratch, parameters.layers[l].weight, beta: c.residual ? 1 : 0)
      }
    }
    refreshInputWeights(&ws.forward.inputWeights)
  }
}
