public import LinearAlgebra
import RealModule

/// The standard score network: a multilayer perceptron on `[x ‖ γ(t) ‖ c]` with hand-written
/// backpropagation and input-Jacobian products (see ``MLPConfiguration`` for the architecture).
///
/// With the default configuration this is exactly the reference `Net` of
/// `shared/bench/torch_ref.py` (x ‖ sin ‖ cos of 16 Fourier features at scale 16 → L × (Linear
/// H + SiLU) → Linear d), the network of the W1–W3 benchmarks. The network knows nothing of SDEs:
/// whether its output is a score, a noise prediction ε or a velocity is the caller's convention.
///
/// A training step allocates nothing once its buffers exist:
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// var model = MLP<Float>(configuration: .init(inputDimension: 2), using: &rng)
/// var workspace = model.makeWorkspace(rows: 512)
/// var gradients = model.makeGradients()
/// var out = Matrix<Float>(rows: 512, columns: 2)
/// var adam = Adam<Float>(learningRate: 1e-3)
/// model.forward(x, times: .perRow(t), into: &out, workspace: &workspace)
/// // … out − target → ∂L/∂out in `outGradient` …
/// model.backward(outputGradient: outGradient, workspace: &workspace, into: &gradients)
/// adam.update(&model.parameters, along: gradients)
/// ```
public struct MLP<Scalar: BLASScalar>: Sendable {
  /// The architecture.
  public let configuration: MLPConfiguration
  /// The trainable tensors (what optimizers update and the EMA averages).
  public var parameters: MLPParameters<Scalar>
  /// γ, the time embedding (its Fourier frequencies are fixed, not trained).
  public var embedding: TimeEmbedding<Scalar>

  /// A network with PyTorch's default initialisation, reproducible from the generator's seed.
  ///
  /// Draws, in order: the Fourier frequencies `W_k ~ N(0, scale²)` (if any), then for each
  /// linear layer from the first to the output layer its weight (row-major) and its bias, all
  /// `U(−1/√fan_in, 1/√fan_in)` as `nn.Linear`'s default. Layer-normalisation weights start at
  /// 1 and biases at 0.
  public init<G: RandomNumberGenerator>(configuration: MLPConfiguration, using rng: inout G) {
    configuration.validate()
    self.configuration = configuration
    self.embedding = TimeEmbedding(configuration.timeEmbedding, using: &rng)
    let (h, l) = (configuration.width, configuration.depth)
    let hiddenActivation: Activation = configuration.layerNorm ? .identity : configuration.activation
    var layers: [Dense<Scalar>] = []
    var fanIn = configuration.networkInputDimension
    for _ in 0..<l {
      layers.append(
        Dense(inputDimension: fanIn, outputDimension: h, activation: hiddenActivation, using: &rng))
      fanIn = h
    }
    layers.append(Dense(inputDimension: h, outputDimension: configuration.inputDimension, using: &rng))
    let norms = configuration.layerNorm ? (0..<l).map { _ in LayerNorm<Scalar>(dimension: h) } : []
    self.parameters = MLPParameters(layers: layers, norms: norms)
  }

  /// Activation and pullback buffers for batches of `rows` rows.
  public func makeWorkspace(rows: Int) -> MLPWorkspace<Scalar> {
    MLPWorkspace(configuration: configuration, rows: rows)
  }

  /// The network applied to each row: `out[i] = f(x[i], tᵢ, c[i])`, keeping the activations in
  /// `workspace` for a following ``backward(outputGradient:workspace:into:accumulate:)``.
  ///
  /// One `gemm` per layer plus one fused pass (bias, normalisation, activation and its
  /// derivative, skip connection); no allocation once `workspace` has seen this many rows.
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × c` conditions; required when `conditionDimension > 0`, else `nil`.
  ///   - out: receives the `n × d` output.
  ///   - workspace: from ``makeWorkspace(rows:)``.
  @inlinable
  public func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil,
    into out: inout Matrix<Scalar>,
    workspace: inout MLPWorkspace<Scalar>
  ) {
    forward(x, times: times, condition: condition, into: &out, workspace: &workspace, dropout: .none)
  }

  /// ``forward(_:times:condition:into:workspace:)`` with ``Dropout`` after each hidden layer's
  /// activation (before its skip connection, when residual): `h_l = σ(z_l) ⊙ m_l/(1 − p)`
  /// (`+ h_{l−1}`), the same factor multiplying the stored σ′ so that
  /// ``backward(outputGradient:workspace:into:accumulate:)`` differentiates the dropped-out
  /// network. `Dropout.none` gives the plain forward pass, bit for bit.
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × c` conditions; required when `conditionDimension > 0`, else `nil`.
  ///   - out: receives the `n × d` output.
  ///   - workspace: from ``makeWorkspace(rows:)``.
  ///   - dropout: the rate and the masks' seed.
  @inlinable
  public func forward(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil,
    into out: inout Matrix<Scalar>,
    workspace: inout MLPWorkspace<Scalar>, dropout: Dropout
  ) {
    forwardPass(
      x, times: times, condition: condition, into: &out, workspace: &workspace, keepingPullback: true,
      dropout: dropout)
  }

  /// The network applied to each row, `out[i] = f(x[i], tᵢ, c[i])`, for inference only: the
  /// same output as ``forward(_:times:condition:into:workspace:)``, without the
  /// activation derivatives that a backward pass needs, so each hidden layer costs one `gemm`
  /// and one pass computing σ alone. A following `backward` on `workspace` is a precondition
  /// failure.
  ///
  /// - Parameters:
  ///   - x: `n × d` points.
  ///   - times: one time per row, or one for all.
  ///   - condition: `n × c` conditions; required when `conditionDimension > 0`, else `nil`.
  ///   - out: receives the `n × d` output.
  ///   - workspace: from ``makeWorkspace(rows:)``.
  @inlinable
  public func evaluate(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>? = nil,
    into out: inout Matrix<Scalar>,
    workspace: inout MLPWorkspace<Scalar>
  ) {
    forwardPass(
      x, times: times, condition: condition, into: &out, workspace: &workspace, keepingPullback: false)
  }

  /// The forward pass; `keepingPullback` also stores σ′ for `backward` (layer-normalised
  /// networks always store it).
  @inlinable
  func forwardPass(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout MLPWorkspace<Scalar>, keepingPullback: Bool, dropout: Dropout = .none
  ) {
    let c = configuration
    let n = x.rows
    checkBatch(
      x, times: times, condition: condition, output: out, inputDimension: c.inputDimension,
      conditionDimension: c.conditionDimension, network: "MLP")
    workspace.prepare(rows: n)
    workspace.hasForwardPass = false
    fillInput(x, times: times, condition: condition, into: &workspace.input)
    let residual = c.residual
    let activation = c.activation
    // With one time for all rows and no condition, the time features are the same on every row.
    let sharedFeatures = times.isShared && c.conditionDimension == 0 && n > 0
    for l in 0..<c.depth {
      var layer = parameters.layers[l]
      let source = l == 0 ? workspace.input : workspace.hidden[l - 1]
      if l == 0 && sharedFeatures {
        firstLayerWithSharedFeatures(rows: n, workspace: &workspace)
        layer.bias = workspace.timeBias
      } else {
        workspace.hidden[l].formProduct(source, layer.weight, transposingB: true)
      }
      let skip = residual && l > 0
      // With dropout the skip connection is added after the mask, below.
      let fusedSkip = skip && !dropout.isActive
      let columns = c.width
      workspace.hidden[l].withUnsafeMutableBufferPointer { v in
        workspace.derivatives[l].withUnsafeMutableBufferPointer { d in
          layer.bias.withUnsafeBufferPointer { b in
            withOptionalPointer(fusedSkip ? source : nil) { r in
              if c.layerNorm {
                let norm = parameters.norms[l]
                workspace.normalized[l].withUnsafeMutableBufferPointer { xh in
                  workspace.inverseStandardDeviations[l].withUnsafeMutableBufferPointer { rho in
                    norm.weight.withUnsafeBufferPointer { g in
                      norm.bias.withUnsafeBufferPointer { beta in
                        applyLayerNormAndActivation(
                          v.baseAddress!, derivative: d.baseAddress!, normalized: xh.baseAddress!,
                          inverseStd: rho.baseAddress!, bias: b.baseAddress!, scale: g.baseAddress!,
                          offset: beta.baseAddress!, epsilon: norm.epsilon, residual: r, rows: n,
                          columns: columns,
                          activation: activation)
                      }
                    }
                  }
                }
              } else {
                applyBiasAndActivation(
                  v.baseAddress!, derivative: keepingPullback ? d.baseAddress! : nil, bias: b.baseAddress!,
                  residual: r, rows: n, columns: columns, activation: activation)
              }
            }
          }
        }
      }
      if dropout.isActive {
        dropout.apply(to: &workspace.hidden[l], derivatives: &workspace.derivatives[l], layer: l)
        if skip { workspace.hidden[l].add(source) }
      }
    }
    let output = parameters.layers[c.depth]
    out.formProduct(workspace.hidden[c.depth - 1], output.weight, transposingB: true)
    out.addToEachRow(output.bias.elements)
    workspace.hasForwardPass = keepingPullback || c.layerNorm
  }

  /// The first layer's product when every row has the same time features `γ`: with
  /// `W₀ = [Wₓ | W_γ]`, `z = x·Wₓᵀ + (b₀ + W_γ·γ)`, so the features cost one matrix–vector
  /// product per call instead of `e` of the `d + e` columns of a `gemm` on every row. Leaves
  /// `x·Wₓᵀ` in `hidden[0]` and the folded bias in `timeBias`.
  @inlinable
  func firstLayerWithSharedFeatures(rows n: Int, workspace: inout MLPWorkspace<Scalar>) {
    let first = parameters.layers[0]
    let (d, h) = (configuration.inputDimension, configuration.width)
    let width = workspace.input.columns
    if workspace.timeBias.columns != h { workspace.timeBias = Matrix(rows: 1, columns: h) }
    workspace.input.withUnsafeBufferPointer { input in
      first.weight.withUnsafeBufferPointer { w in
        first.bias.withUnsafeBufferPointer { b in
          workspace.timeBias.withUnsafeMutableBufferPointer { folded in
            for j in 0..<h {
              var sum = b[j]
              for f in d..<width { sum += w[j * width + f] * input[f] }
              folded[j] = sum
            }
          }
        }
        workspace.hidden[0].withUnsafeMutableBufferPointer { z in
          Scalar._gemm(
            transposeA: false, transposeB: true, m: n, n: h, k: d, alpha: 1, a: input.baseAddress!,
            lda: width,
            b: w.baseAddress!, ldb: width, beta: 0, c: z.baseAddress!, ldc: h)
        }
      }
    }
  }

  /// Writes `[x ‖ γ(t) ‖ c]` into `input`, row by row (the batch checked by ``checkBatch``).
  @inlinable
  func fillInput(
    _ x: Matrix<Scalar>, times: Times<Scalar>, condition: Matrix<Scalar>?, into input: inout Matrix<Scalar>
  ) {
    let n = x.rows
    let d = configuration.inputDimension
    let width = configuration.networkInputDimension
    input.withUnsafeMutableBufferPointer { h in
      let h = h.baseAddress!
      x.withUnsafeBufferPointer { px in
        for i in 0..<n {
          for j in 0..<d { h[i * width + j] = px[i * d + j] }
        }
      }
      embedding.writeFeatures(rows: n, times: times, condition: condition, into: h + d, rowLength: width)
    }
  }
}
