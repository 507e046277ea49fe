import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

/// A bare list of tensors, the smallest ``ParameterGroup``.
struct Tensors: ParameterGroup {
  var tensors: [Matrix<Double>]
  init(_ rows: [[Double]]) { tensors = rows.map { Matrix(rows: 1, columns: $0.count, elements: $0) } }
  var tensorCount: Int { tensors.count }
  func tensor(at index: Int) -> Matrix<Double> { tensors[index] }
  mutating func withMutableTensor<R>(at index: Int, _ body: (inout Matrix<Double>) throws -> R) rethrows -> R
  {
    try body(&tensors[index])
  }
  func tensorName(at index: Int) -> String { "t\(index)" }
  func tensorShape(at index: Int) -> [Int] { [tensors[index].columns] }
  var values: [Double] { tensors.flatMap(\.elements) }
}

func expectClose(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-15, _ label: String = "") {
  #expect(a.count == b.count)
  for (x, y) in zip(a, b) { #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(label): \(a) vs \(b)") }
}

// θ₀ = (1, −2), g₁ = (0.5, −1), g₂ = (0.2, 0.4), η = 0.1, β = (0.9, 0.999), ε = 1e-8.
let theta0: [[Double]] = [[1, -2]]
let gradient1 = Tensors([[0.5, -1]])
let gradient2 = Tensors([[0.2, 0.4]])

@Test func adamFollowsKingmaAndBa() {
  var adam = Adam<Double>(learningRate: 0.1)
  var theta = Tensors(theta0)
  // Step 1: m = 0.1·g₁, v = 0.001·g₁², m̂ = g₁, v̂ = g₁², θ₁ = θ₀ − 0.1·g₁/(|g₁| + 1e-8)
  //       = (1 − 0.1/(1 + 2e-8), −2 + 0.1/(1 + 1e-8)) = (0.900000002, −1.900000001).
  adam.update(&theta, along: gradient1)
  expectClose(theta.values, [0.900_000_002, -1.900_000_001], 1e-15, "step 1")
  // Step 2: m = 0.9m + 0.1g₂ = (0.065, −0.05), v = 0.999v + 0.001g₂² = (0.00028975, 0.001159),
  // m̂ = m/(1 − 0.9²) = m/0.19, v̂ = v/(1 − 0.999²) = v/0.001999,
  // θ₂ = θ₁ − 0.1·m̂/(√v̂ + ε) = (0.8101424839029282, −1.865439416662626).
  adam.update(&theta, along: gradient2)
  expectClose(theta.values, [0.810_142_483_902_928_2, -1.865_439_416_662_626], 1e-15, "step 2")
  expectClose(adam.firstMoments[0].elements, [0.065, -0.05], 1e-15, "m")
  expectClose(adam.secondMoments[0].elements, [0.000_289_75, 0.001_159], 1e-15, "v")
  #expect(adam.step == 2)
}

@Test func adamWDecaysTheWeightsDecoupled() {
  var adamW = Adam<Double>.adamW(learningRate: 0.1, weightDecay: 0.1)
  var theta = Tensors(theta0)
  // θ ← θ(1 − ηλ) = 0.99θ before each Adam step (whose size does not depend on θ):
  // θ₁ = 0.99θ₀ − (0.0999999998, −0.0999999999) = (0.890000002, −1.880000001),
  // θ₂ = 0.99θ₁ − (0.0898577181…, −0.0345605843…) = (0.7912424838829282, −1.826639416652626).
  adamW.update(&theta, along: gradient1)
  expectClose(theta.values, [0.890_000_002, -1.880_000_001], 1e-15, "step 1")
  adamW.update(&theta, along: gradient2)
  expectClose(theta.values, [0.791_242_483_882_928_2, -1.826_639_416_652_626], 1e-15, "step 2")

  // Coupled (L2) decay is Adam on g + λθ instead.
  var coupled = Adam<Double>(learningRate: 0.1, weightDecay: .coupled(0.5))
  var plain = Adam<Double>(learningRate: 0.1)
  var a = Tensors(theta0)
  var b = Tensors(theta0)
  coupled.update(&a, along: gradient1)
  plain.update(&b, along: Tensors([[0.5 + 0.5 * 1, -1 + 0.5 * -2]]))
  #expect(a.values == b.values)
}

@Test func sgdWithMomentum() {
  // Heavy ball, μ = 0.9: b₁ = g₁, θ₁ = θ₀ − 0.1g₁ = (0.95, −1.9);
  // b₂ = 0.9g₁ + g₂ = (0.65, −0.5), θ₂ = θ₁ − 0.1b₂ = (0.885, −1.85).
  var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
  var theta = Tensors(theta0)
  sgd.update(&theta, along: gradient1)
  expectClose(theta.values, [0.95, -1.9], 1e-15, "heavy ball 1")
  sgd.update(&theta, along: gradient2)
  expectClose(theta.values, [0.885, -1.85], 1e-15, "heavy ball 2")
  // Nesterov: θ₁ = θ₀ − 0.1(g₁ + 0.9b₁) = (0.905, −1.81); θ₂ = θ₁ − 0.1(g₂ + 0.9b₂) = (0.8265, −1.805).
  var nesterov = SGD<Double>(learningRate: 0.1, momentum: 0.9, nesterov: true)
  var phi = Tensors(theta0)
  nesterov.update(&phi, along: gradient1)
  expectClose(phi.values, [0.905, -1.81], 1e-15, "Nesterov 1")
  nesterov.update(&phi, along: gradient2)
  expectClose(phi.values, [0.8265, -1.805], 1e-15, "Nesterov 2")
}

/// L(w) = (1/n)‖Aw − y‖² + (λ/2)‖w‖² on random data; its minimiser from LAPACK.
struct LeastSquares {
  let a: Matrix<Double>
  let y: Matrix<Double>
  init(seed: UInt64) {
    var rng = Xoshiro256(seed: seed)
    a = .randomNormal(rows: 64, columns: 4, using: &rng)
    let truth = Matrix<Double>([[1], [-2], [0.5], [3]])
    y = a * truth + Matrix.randomNormal(rows: 64, columns: 1, standardDeviation: 0.1, using: &rng)
  }
  /// ∇ of (1/n)‖Aw − y‖² at w (a row), as a 1 × 4 tensor.
  func gradient(at w: Matrix<Double>) -> Tensors {
    let residual = a * w.transposed() - y
    let g = Matrix.product(residual, a, transposingA: true) * (2 / Double(a.rows))
    return Tensors([g.elements])
  }
  /// The minimiser of (1/n)‖Aw − y‖² + λ‖w‖²/2: ((2/n)AᵀA + λI) w = (2/n)Aᵀy.
  func solution(ridge lambda: Double = 0) throws -> [Double] {
    let scale = 2 / Double(a.rows)
    let normal = Matrix.product(a, a, transposingA: true) * scale + Matrix<Double>.identity(4) * lambda
    return try normal.solve(Matrix.product(a, y, transposingA: true) * scale).elements
  }
}

@Test func optimizersReachTheLeastSquaresSolution() throws {
  let problem = LeastSquares(seed: 61)
  let exact = try problem.solution()
  var sgd = SGD<Double>(learningRate: 0.05, momentum: 0.9)
  var w = Tensors([[0, 0, 0, 0]])
  for _ in 0..<600 { sgd.update(&w, along: problem.gradient(at: w.tensors[0])) }
  expectClose(w.values, exact, 1e-10, "SGD with momentum")

  // Adam with a warm-up + cosine schedule that anneals to 0.
  var adam = Adam<Double>()
  let schedule = WarmupCosineSchedule<Double>(peak: 0.05, warmupSteps: 50, totalSteps: 3000)
  var v = Tensors([[0, 0, 0, 0]])
  for _ in 0..<3000 { adam.update(&v, along: problem.gradient(at: v.tensors[0]), schedule: schedule) }
  expectClose(v.values, exact, 1e-6, "Adam")

  // Coupled weight decay λ solves the ridge problem.
  let ridge = try problem.solution(ridge: 0.3)
  var decayed = SGD<Double>(learningRate: 0.05, momentum: 0.9, weightDecay: 0.3)
  var u = Tensors([[0, 0, 0, 0]])
  for _ in 0..<600 { decayed.update(&u, along: problem.gradient(at: u.tensors[0])) }
  expectClose(u.values, ridge, 1e-10, "ridge")
  #expect(zip(ridge, exact).map { abs($0 - $1) }.max()! > 0.01)
}

@Test func optimizerStateResumesExactly() throws {
  let problem = LeastSquares(seed: 62)
  var straight = Adam<Double>(learningRate: 0.01)
  var w = Tensors([[0, 0, 0, 0]])
  for _ in 0..<10 { straight.update(&w, along: problem.gradient(at: w.tensors[0])) }

  var first = Adam<Double>(learningRate: 0.01)
  var v = Tensors([[0, 0, 0, 0]])
  for _ in 0..<5 { first.update(&v, along: problem.gradient(at: v.tensors[0])) }
  let state = first.namedState(for: v)
  #expect(state.names == ["adam.exp_avg.t0", "adam.exp_avg_sq.t0"])
  let decoded = try SafeTensors.decode(SafeTensors.encode(state), as: Double.self).tensors
  var resumed = Adam<Double>(learningRate: 0.01)
  try resumed.loadState(decoded, for: v)
  resumed.step = first.step
  for _ in 0..<5 { resumed.update(&v, along: problem.gradient(at: v.tensors[0])) }
  #expect(v.values == w.values)

  var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.5)
  sgd.update(&v, along: problem.gradient(at: v.tensors[0]))
  var other = SGD<Double>(learningRate: 0.1, momentum: 0.5)
  try other.loadState(sgd.namedState(for: v), for: v)
  #expect(other.momentumBuffers == sgd.momentumBuffers)
  #expect(throws: SafeTensorsError.missingTensor(name: "adam.exp_avg.t0")) {
    try resumed.loadState(sgd.namedState(for: v), for: v)
  }
}

@Test func exponentialMovingAverage() {
  let theta = Tensors([[1, 2]])
  var ema = ExponentialMovingAverage(Tensors([[0, 0]]), decay: 0.9)
  // θ̄ₙ = θ + 0.9ⁿ(θ̄₀ − θ): after 3 updates (1 − 0.729)θ = 0.271θ.
  for _ in 0..<3 { ema.update(toward: theta) }
  expectClose(ema.average.values, [0.271, 0.542], 1e-15, "EMA")
  #expect(ema.updateCount == 3)
  #expect(ema.namedTensors().names == ["ema.t0"])

  // Warm-up: δₙ = min(δ, (1 + n)/(10 + n)): δ₁ = 2/11, δ₂ = 3/12.
  var warm = ExponentialMovingAverage(Tensors([[0, 0]]), decay: 0.999, warmup: true)
  #expect(warm.nextDecay == 2.0 / 11)
  warm.update(toward: theta)
  expectClose(warm.average.values, [9.0 / 11, 18.0 / 11], 1e-15, "warm-up 1")
  #expect(warm.nextDecay == 3.0 / 12)
  warm.update(toward: Tensors([[0, 0]]))
  expectClose(warm.average.values, [9.0 / 11 * 0.25, 18.0 / 11 * 0.25], 1e-15, "warm-up 2")
  #expect(ExponentialMovingAverage(theta).decay == 0.999)
}

@Test func warmupCosineSchedule() {
  let s = WarmupCosineSchedule<Double>(peak: 1, warmupSteps: 10, totalSteps: 110, minimum: 0.1)
  // Warm-up: (s + 1)/10; then 0.1 + 0.9·½(1 + cos(π(s − 10)/100)); 0.1 after step 110.
  expectClose([s.learningRate(at: 0), s.learningRate(at: 4), s.learningRate(at: 9)], [0.1, 0.5, 1.0])
  expectClose([s.learningRate(at: 10), s.learningRate(at: 60), s.learningRate(at: 110)], [1.0, 0.55, 0.1])
  // cos(π/4) at a quarter of the decay: 0.1 + 0.45(1 + √½) = 0.8681980515339464.
  expectClose([s.learningRate(at: 35)], [0.868_198_051_533_946_4])
  #expect(s.learningRate(at: 500) == 0.1)
  #expect(ConstantLearningRate(3e-4).learningRate(at: 12345) == 3e-4)
  let pure = WarmupCosineSchedule<Float>(peak: 2, warmupSteps: 0, totalSteps: 4)
  #expect(
    [0, 1, 2, 3, 4].map { pure.learningRate(at: $0) } == [
      2, 1 + Float(0.5.squareRoot()), 1, 1 - Float(0.5.squareRoot()), 0,
    ])
}

@Test func globalNormClipping() {
  var g = Tensors([[3], [4]])
  #expect(g.clipGlobalNorm(to: 10) == 5)
  #expect(g.values == [3, 4])
  #expect(g.clipGlobalNorm(to: 1) == 5)
  expectClose(g.values, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-15, "clipped")
  var bad = Tensors([[.nan], [1]])
  #expect(bad.clipGlobalNorm(to: 1).isNaN)
  #expect(bad.values[1] == 1)
}

/// Adam's update runs in C (AVX2/AVX-512 where available); it gives exactly the bits of the
/// formula written out in Swift below, for Float and Double, with each kind of weight decay, on
/// tensors whose sizes are not multiples of any vector length, over several steps.
@Test func adamKernelEqualsTheSwiftFormulaBitForBit() {
  check(Float.self)
  check(Double.self)

  func check<S: BLASScalar>(_: S.Type) {
    for decay in [WeightDecay<S>.none, .coupled(0.3), .decoupled(0.05)] {
      var rng = Xoshiro256(seed: 4)
      var adam = Adam<S>(learningRate: 0.01, beta1: 0.85, beta2: 0.995, epsilon: 1e-6, weightDecay: decay)
      var model = MLP<S>(
        configuration: MLPConfiguration(inputDimension: 3, width: 13, depth: 2), using: &rng)
      var p = (0..<model.parameters.tensorCount).map { model.parameters.tensor(at: $0).elements }
      var m = p.map { [S](repeating: 0, count: $0.count) }
      var v = m
      for t in 1...4 {
        var gradients = model.makeGradients()
        for k in 0..<gradients.tensorCount {
          gradients.withMutableTensor(at: k) { $0.fillNormal(using: &rng) }
        }
        adam.update(&model.parameters, along: gradients)
        // The optimizer forms the bias corrections in Double from its Scalar hyperparameters.
        let correction1 = 1 - Double.pow(Double(S(0.85)), t)
        let correction2 = 1 - Double.pow(Double(S(0.995)), t)
        let stepSize = S(Double(S(0.01)) / correction1)
        let inverseRoot = S(1 / correction2.squareRoot())
        let shrink = 1 - S(0.01) * decay.decoupledRateForTests
        for k in p.indices {
          let g = gradients.tensor(at: k).elements
          for i in p[k].indices {
            let gi = g[i] + decay.coupledRateForTests * p[k][i]
            m[k][i] = 0.85 * m[k][i] + (1 - 0.85) * gi
            v[k][i] = 0.995 * v[k][i] + (1 - 0.995) * gi * gi
            p[k][i] = p[k][i] * shrink - stepSize * m[k][i] / (v[k][i].squareRoot() * inverseRoot + 1e-6)
          }
          #expect(model.parameters.tensor(at: k).elements == p[k], "\(S.self) \(decay) step \(t) tensor \(k)")
          #expect(adam.firstMoments[k].elements == m[k] && adam.secondMoments[k].elements == v[k])
        }
      }
    }
  }
}

extension WeightDecay {
  var coupledRateForTests: Scalar { if case .coupled(let l) = self { l } else { 0 } }
  var decoupledRateForTests: Scalar { if case .decoupled(let l) = self { l } else { 0 } }
}

/// An optimizer refuses a setting that would make every weight NaN at its first step: an infinite
/// or NaN learning rate, epsilon, momentum or weight decay, and a negative one, each named in the
/// message. Before, only the sign of the learning rate and the momentum was checked.
@Test func optimizersRefuseNonFiniteSettings() async {
  let cases = [
    ("adam-rate", "Adam: the learning rate"), ("adam-epsilon", "Adam: epsilon"),
    ("adamw-decay", "Adam: the weight decay"), ("adam-coupled-decay", "Adam: the weight decay"),
    ("sgd-rate", "SGD: the learning rate"), ("sgd-momentum", "SGD: the momentum"),
    ("sgd-decay", "SGD: the weight decay"),
  ]
  for (name, message) in cases {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [name = name as String] in
      switch name {
      case "adam-rate": _ = Adam<Double>(learningRate: .infinity)
      case "adam-epsilon": _ = Adam<Double>(epsilon: .nan)
      case "adamw-decay": _ = Adam<Double>.adamW(weightDecay: .infinity)
      case "adam-coupled-decay": _ = Adam<Double>(weightDecay: .coupled(-0.1))
      case "sgd-rate": _ = SGD<Double>(learningRate: .nan)
      case "sgd-momentum": _ = SGD<Double>(learningRate: 0.1, momentum: .infinity)
      default: _ = SGD<Double>(learningRate: 0.1, weightDecay: -1)
      }
    }
    let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(stderr.contains(message + " must be finite and non-negative"), "\(name): \(stderr.suffix(300))")
  }
  // The boundary values stay allowed: a zero rate, epsilon, momentum or decay.
  _ = Adam<Double>(learningRate: 0, epsilon: 0, weightDecay: .decoupled(0))
  _ = SGD<Double>(learningRate: 0, momentum: 0, weightDecay: 0)
}
