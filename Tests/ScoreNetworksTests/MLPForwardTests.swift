import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// d = 1, one Fourier frequency W = 1/4, H = 2, L = 1, SiLU:
/// h₀ = [x, sin(2πtW), cos(2πtW)], z = W₀h₀ + b₀ with W₀ = [[1, 0, 0], [0.5, 1, −1]], b₀ = [0, 0.5],
/// out = 2·silu(z₁) − silu(z₂) + 0.1.
func handMadeNetwork<S: BLASScalar>(_: S.Type) -> MLP<S> {
  var rng = Xoshiro256(seed: 0)
  var model = MLP<S>(
    configuration: MLPConfiguration(
      inputDimension: 1, timeEmbedding: .gaussianFourier(frequencies: 1, scale: 1), width: 2, depth: 1),
    using: &rng)
  model.embedding = .gaussianFourier(GaussianFourierEmbedding(frequencies: [0.25]))
  model.parameters.layers[0].weight = Matrix([[1, 0, 0], [0.5, 1, -1]])
  model.parameters.layers[0].bias = Matrix([[0, 0.5]])
  model.parameters.layers[1].weight = Matrix([[2, -1]])
  model.parameters.layers[1].bias = Matrix([[0.1]])
  return model
}

@Test func forwardMatchesHandComputation() {
  let model = handMadeNetwork(Double.self)
  let out = model(Matrix([[1], [-2]]), times: .perRow([0.5, 1]))
  // x = 1, t = 1/2: the angle is π/4, sin = cos, so z = (1, 1) and out = silu(1) + 0.1,
  // silu(1) = 1/(1 + e⁻¹) = 0.7310585786300049.
  #expect(abs(out[0, 0] - 0.831_058_578_630_004_9) < 1e-15)
  // x = −2, t = 1: the angle is π/2, sin = 1, cos = 0, so z = (−2, 0.5);
  // silu(−2) = −2/(1 + e²) = −0.2384058440442351, silu(0.5) = 0.5/(1 + e^−0.5) = 0.3112296656009273,
  // out = −0.4768116880884702 − 0.3112296656009273 + 0.1.
  #expect(abs(out[1, 0] - (-0.688_041_353_689_397_5)) < 1e-15)
  // Float agrees to its precision.
  let outFloat = handMadeNetwork(Float.self)(Matrix([[1], [-2]]), times: .perRow([0.5, 1]))
  #expect(abs(Double(outFloat[0, 0]) - 0.831_058_578_630_004_9) < 1e-6)
  #expect(abs(Double(outFloat[1, 0]) - (-0.688_041_353_689_397_5)) < 1e-6)
}

@Test func defaultArchitectureIsTheReferenceNet() {
  // torch_ref.Net(d=2, H=128, L=3): W (16,), mlp.0 Linear(34, 128), mlp.2 / mlp.4 Linear(128, 128),
  // mlp.6 Linear(128, 2); SiLU between. 37 762 trainable parameters.
  var rng = Xoshiro256(seed: 1)
  let model = MLP<Float>(configuration: MLPConfiguration(inputDimension: 2), using: &rng)
  #expect(model.configuration.networkInputDimension == 34)
  #expect(model.parameterCount == 34 * 128 + 128 + 2 * (128 * 128 + 128) + 128 * 2 + 2)
  let tensors = model.namedTensors()
  #expect(
    tensors.names == [
      "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight",
      "layers.2.bias",
      "layers.3.weight", "layers.3.bias", "embedding.frequencies",
    ])
  #expect(
    tensors.entries.map(\.shape) == [
      [128, 34], [128], [128, 128], [128], [128, 128], [128], [2, 128], [2], [16],
    ])
  #expect(model.parameters.layers[0..<3].allSatisfy { $0.activation == .silu })
  #expect(model.parameters.layers[3].activation == .identity)
  #expect(model.parameters.norms.isEmpty)
}

@Test func initialisationIsPyTorchsDefault() {
  var rng = Xoshiro256(seed: 2)
  let model = MLP<Double>(configuration: MLPConfiguration(inputDimension: 2), using: &rng)
  var again = Xoshiro256(seed: 2)
  let twin = MLP<Double>(configuration: MLPConfiguration(inputDimension: 2), using: &again)
  var other = Xoshiro256(seed: 3)
  let different = MLP<Double>(configuration: MLPConfiguration(inputDimension: 2), using: &other)
  for k in 0..<model.parameters.tensorCount {
    #expect(model.parameters.tensor(at: k) == twin.parameters.tensor(at: k))
    #expect(model.parameters.tensor(at: k) != different.parameters.tensor(at: k))
  }
  // U(−1/√fan_in, 1/√fan_in): inside the bound, mean 0, variance bound²/3 (within 5 standard errors).
  for layer in model.parameters.layers {
    let bound = 1 / Double(layer.inputDimension).squareRoot()
    let values = layer.weight.elements + layer.bias.elements
    #expect(values.allSatisfy { abs($0) <= bound })
    let moments = SampleMoments(values)
    let variance = bound * bound / 3
    #expect(abs(moments.mean) < 5 * (variance / Double(values.count)).squareRoot())
    // Var of the sample variance of U(−a, a) is (a⁴/5 − a⁴/9)/n = 4a⁴/(45n).
    #expect(
      abs(moments.variance - variance) < 5 * (4 * pow4(bound) / (45 * Double(values.count))).squareRoot())
  }
}

func pow4(_ x: Double) -> Double { x * x * x * x }

/// `γ(tᵢ)` in row `i`, `dimension` columns, written by `write` (an embedding's `writeFeatures`).
func timeFeatures(
  _ times: [Double], dimension: Int, _ write: (Double, UnsafeMutablePointer<Double>) -> Void
) -> Matrix<Double> {
  var features = Matrix<Double>(rows: times.count, columns: dimension)
  features.withUnsafeMutableBufferPointer { f in
    for (i, t) in times.enumerated() { write(t, f.baseAddress! + i * dimension) }
  }
  return features
}

@Test func fourierFrequenciesHaveTheRequestedScale() {
  var rng = Xoshiro256(seed: 4)
  let embedding = GaussianFourierEmbedding<Double>(frequencyCount: 4096, scale: 16, using: &rng)
  let moments = SampleMoments(embedding.frequencies.elements)
  // Standard error of the mean 16/√n = 0.25; of the variance 256·√(2/n) = 5.66.
  #expect(abs(moments.mean) < 5 * 0.25)
  #expect(abs(moments.variance - 256) < 5 * 5.66)
  // γ(t) = [sin(2πtW), cos(2πtW)].
  let features = timeFeatures([0.3], dimension: embedding.outputDimension, embedding.writeFeatures)
  for k in [0, 17, 4095] {
    let angle = 2 * Double.pi * 0.3 * embedding.frequencies[0, k]
    #expect(abs(features[0, k] - Double.sin(angle)) < 1e-12)
    #expect(abs(features[0, 4096 + k] - Double.cos(angle)) < 1e-12)
  }
}

@Test func sinusoidalEmbeddingFrequencies() {
  // D = 8, h = 4, P = 10⁴, s = 1000: ω_k = 1000 · 10^(−4k/3) = 1000, 46.41588833612779,
  // 2.154434690031884, 0.1.
  let embedding = SinusoidalEmbedding<Double>(dimension: 8)
  let expected = [1000, 46.415_888_336_127_79, 2.154_434_690_031_884, 0.1]
  for k in 0..<4 {
    #expect(abs(embedding.angularFrequencies[0, k] - expected[k]) < 1e-13 * expected[k])
  }
  // At t = 0.002 the angles are 2, 0.0928…, 0.0043…, 0.0002.
  let features = timeFeatures([0.002], dimension: embedding.outputDimension, embedding.writeFeatures)
  #expect(abs(features[0, 0] - Double.sin(2)) < 1e-14)
  #expect(abs(features[0, 4] - Double.cos(2)) < 1e-14)
  #expect(abs(features[0, 3] - Double.sin(0.0002)) < 1e-16)
  #expect(abs(features[0, 7] - Double.cos(0.0002)) < 1e-16)
}

@Test func sharedTimeEqualsEqualPerRowTimes() {
  let (model, x, _, condition) = MLPCase.small(condition: 2, layerNorm: true).instance(seed: 5)
  let shared = model(x, times: .shared(0.37), condition: condition)
  let perRow = model(x, times: .perRow([Double](repeating: 0.37, count: x.rows)), condition: condition)
  #expect(shared == perRow)
}

@Test func workspaceServesSmallerAndLargerBatches() {
  let (model, x, _, _) = MLPCase.small(depth: 3, residual: true).instance(seed: 6, rows: 8)
  var workspace = model.makeWorkspace(rows: 8)
  for rows in [8, 3, 8, 11, 1] {
    var rng = Xoshiro256(seed: UInt64(rows))
    let batch =
      rows <= 8 ? x.rows(0..<rows) : Matrix<Double>.randomNormal(rows: rows, columns: 3, using: &rng)
    var out = Matrix<Double>(rows: rows, columns: 3)
    model.forward(batch, times: .shared(0.5), into: &out, workspace: &workspace)
    #expect(out == model(batch, times: .shared(0.5)), "batch of \(rows)")
    #expect(workspace.batchSize == rows)
  }
}

@Test(arguments: Activation.allCases)
func activationValuesAndDerivatives(_ activation: Activation) {
  for z in [-3.0, -0.7, 0.3, 2.5] {
    let (value, derivative) = activation.valueAndDerivative(at: z)
    let h = 1e-6
    let numeric = (activation(z + h) - activation(z - h)) / (2 * h)
    #expect(abs(derivative - numeric) < 1e-8, "\(activation) at \(z)")
    let expected: Double
    switch activation {
    case .identity: expected = z
    case .relu: expected = max(z, 0)
    case .tanh: expected = Double.tanh(z)
    case .silu: expected = z / (1 + Double.exp(-z))
    case .gelu: expected = z * (1 + Double.erf(z / 2.squareRoot())) / 2
    case .softplus: expected = Double.log(1 + Double.exp(z))
    }
    #expect(abs(value - expected) < 1e-15 * max(1, abs(expected)), "\(activation) at \(z)")
  }
  // Known values: GELU(1) = Φ(1) = 0.8413447460685429, softplus(0) = log 2, SiLU(1) = σ(1).
  #expect(abs(Activation.gelu(1.0) - 0.841_344_746_068_542_9) < 1e-15)
  #expect(abs(Activation.softplus(0.0) - Double.log(2)) < 1e-16)
  #expect(abs(Activation.silu(1.0) - 0.731_058_578_630_004_9) < 1e-16)
  // No overflow far out.
  #expect(Activation.softplus(Float(200)) == 200)
  #expect(Activation.softplus(Float(-200)) >= 0)
  #expect(Activation.silu(Float(-200)).isFinite)
  #expect(Activation.silu.valueAndDerivative(at: Float(-200)).derivative.isFinite)
}

@Test func networkInputIsXThenTimeFeaturesThenCondition() {
  let (model, x, times, condition) = MLPCase.small(condition: 2).instance(seed: 7, rows: 3)
  var workspace = model.makeWorkspace(rows: 3)
  var out = Matrix<Double>(rows: 3, columns: 3)
  model.forward(x, times: times, condition: condition, into: &out, workspace: &workspace)
  guard case .perRow(let t) = times, case .gaussianFourier(let embedding) = model.embedding, let condition
  else {
    Issue.record("the case has per-row times, Fourier features and a condition")
    return
  }
  let features = timeFeatures(t, dimension: embedding.outputDimension, embedding.writeFeatures)
  for i in 0..<3 {
    #expect(workspace.networkInput.row(i) == x.row(i) + features.row(i) + condition.row(i))
  }
}

/// `evaluate` (inference, no derivative pass) gives `forward`'s output bit for bit, for every
/// activation, with skip connections, conditions and layer normalisation; and the workspace it
/// leaves refuses a backward pass only when it lacks the derivatives.
@Test(arguments: Activation.allCases)
func evaluateEqualsForwardBitForBit(_ activation: Activation) {
  for (residual, layerNorm) in [(false, false), (true, false), (false, true)] {
    let (model, x, _, condition) = MLPCase.small(
      activation: activation, depth: 3, condition: 2, residual: residual, layerNorm: layerNorm
    ).instance(seed: 9, rows: 37)
    var workspace = model.makeWorkspace(rows: 37)
    var trained = Matrix<Double>(rows: 37, columns: 3)
    model.forward(x, times: .shared(0.3), condition: condition, into: &trained, workspace: &workspace)
    var inferred = Matrix<Double>(rows: 37, columns: 3)
    model.evaluate(x, times: .shared(0.3), condition: condition, into: &inferred, workspace: &workspace)
    #expect(inferred == trained, "\(activation) residual=\(residual) layerNorm=\(layerNorm)")
    #expect(workspace.holdsForwardPass == layerNorm)
  }
}

/// With one time for all rows (and no condition) the first layer folds the time features into
/// its bias (`z = x·Wₓᵀ + (b + W_γ·γ)`); that is the same function as the plain product with
/// the features repeated on every row, to rounding, with and without layer normalisation and
/// for forward and evaluate alike.
@Test(arguments: [false, true])
func sharedTimeFoldsTheFeaturesIntoTheBias(layerNorm: Bool) {
  let (model, x, _, _) = MLPCase.small(depth: 3, residual: true, layerNorm: layerNorm).instance(
    seed: 12, rows: 23)
  let perRow = model(x, times: .perRow([Double](repeating: 0.61, count: 23)))
  var workspace = model.makeWorkspace(rows: 23)
  var shared = Matrix<Double>(rows: 23, columns: 3)
  model.forward(x, times: .shared(0.61), into: &shared, workspace: &workspace)
  #expect(relativeDistance(shared, perRow) <= 1e-14)
  var inferred = Matrix<Double>(rows: 23, columns: 3)
  model.evaluate(x, times: .shared(0.61), into: &inferred, workspace: &workspace)
  #expect(inferred == shared)
  // Every row gets the same folded bias, so a row evaluated alone agrees with it in the batch.
  let alone = model(x.rows(5..<6), times: .shared(0.61))
  #expect(relativeDistance(alone, shared.rows(5..<6)) <= 1e-14)
}
