import LinearAlgebra
import ScoreNetworks
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

// The counting runs in child processes (exit tests): see AllocationCounter's caveat. Each child
// exits with the number of allocations it saw (0 = success), without touching anything else.

@Test func allocationCounterSeesArrayAllocations() async {
  await #expect(processExitsWith: .exitCode(3)) {
    var sink = 0
    let n = AllocationCounter.count {
      for k in 0..<3 {
        let a = [Double](repeating: 1, count: 10 + k)
        sink += a.count
      }
    }
    _exit(Int32(sink == 33 ? min(n, 100) : 101))
  }
}

/// A denoising-style training step on `Float`: forward, `∂L/∂out = 2(out − target)/n` into a
/// preallocated buffer, backward, clipping, Adam with a schedule, EMA.
struct TrainingLoop {
  var model: MLP<Float>
  var workspace: MLPWorkspace<Float>
  var gradients: MLPGradients<Float>
  var adam = Adam<Float>()
  var ema: ExponentialMovingAverage<MLPParameters<Float>>
  let schedule = WarmupCosineSchedule<Float>(peak: 1e-3, warmupSteps: 2, totalSteps: 100)
  let x: Matrix<Float>
  let target: Matrix<Float>
  let times: [Float]
  let condition: Matrix<Float>?
  var out: Matrix<Float>
  var outGradient: Matrix<Float>

  init(_ configuration: MLPConfiguration, rows: Int) {
    var rng = Xoshiro256(seed: 71)
    model = MLP(configuration: configuration, using: &rng)
    workspace = model.makeWorkspace(rows: rows)
    gradients = model.makeGradients()
    ema = ExponentialMovingAverage(model.parameters, warmup: true)
    let d = configuration.inputDimension
    x = .randomNormal(rows: rows, columns: d, using: &rng)
    target = .randomNormal(rows: rows, columns: d, using: &rng)
    times = (0..<rows).map { _ in Float.random(in: 0.001..<1, using: &rng) }
    condition =
      configuration.conditionDimension > 0
      ? .randomNormal(rows: rows, columns: configuration.conditionDimension, using: &rng) : nil
    out = Matrix(rows: rows, columns: d)
    outGradient = Matrix(rows: rows, columns: d)
  }

  mutating func step() {
    model.forward(x, times: .perRow(times), condition: condition, into: &out, workspace: &workspace)
    let scale = 2 / Float(out.rows)
    outGradient.withUnsafeMutableBufferPointer { g in
      out.withUnsafeBufferPointer { o in
        target.withUnsafeBufferPointer { t in
          for i in g.indices { g[i] = scale * (o[i] - t[i]) }
        }
      }
    }
    model.backward(outputGradient: outGradient, workspace: &workspace, into: &gradients)
    gradients.clipGlobalNorm(to: 1)
    adam.update(&model.parameters, along: gradients, schedule: schedule)
    ema.update(toward: model.parameters)
  }
}

@Test func trainingStepAllocatesNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var loop = TrainingLoop(MLPConfiguration(inputDimension: 2, width: 32, depth: 3), rows: 64)
    loop.step()
    loop.step()
    let n = AllocationCounter.count {
      for _ in 0..<3 { loop.step() }
    }
    _exit(Int32(min(n, 100)))
  }
  await #expect(processExitsWith: .exitCode(0)) {
    var loop = TrainingLoop(
      MLPConfiguration(
        inputDimension: 3, conditionDimension: 2, timeEmbedding: .sinusoidal(), width: 16, depth: 3,
        activation: .gelu, residual: true, layerNorm: true),
      rows: 20)
    loop.step()
    let n = AllocationCounter.count {
      for _ in 0..<3 { loop.step() }
    }
    _exit(Int32(min(n, 100)))
  }
}

@Test func inputJacobianProductsAllocateNothingAfterWarmUp() async {
  await #expect(processExitsWith: .exitCode(0)) {
    var rng = Xoshiro256(seed: 72)
    let model = MLP<Float>(
      configuration: MLPConfiguration(
        inputDimension: 3, width: 16, depth: 2, residual: true, layerNorm: true),
      using: &rng)
    let x = Matrix<Float>.randomNormal(rows: 10, columns: 3, using: &rng)
    let probes = Matrix<Float>.randomNormal(rows: 10, columns: 3, using: &rng)
    var exact = model.makeJacobianWorkspace(rows: 10, probesPerRow: 3)
    var single = model.makeJacobianWorkspace(rows: 10, probesPerRow: 1)
    var output = Matrix<Float>(rows: 10, columns: 3)
    var products = Matrix<Float>(rows: 10, columns: 3)
    var divergence = [Float](repeating: 0, count: 10)
    var estimate = [Float](repeating: 0, count: 10)
    func evaluate() {
      model.divergence(x, times: .shared(0.5), output: &output, into: &divergence, workspace: &exact)
      model.vectorJacobianProducts(
        x, times: .shared(0.5), probes: probes, into: &products, output: &output, workspace: &single)
      model.divergenceEstimate(
        x, times: .shared(0.5), probes: probes, output: &output, into: &estimate, workspace: &single)
    }
    evaluate()
    let n = AllocationCounter.count {
      for _ in 0..<3 { evaluate() }
    }
    _exit(Int32(min(n, 100)))
  }
}

@Test func trainingBuffersStayInPlace() {
  var loop = TrainingLoop(MLPConfiguration(inputDimension: 2, width: 8, depth: 2, layerNorm: true), rows: 16)
  loop.step()
  func addresses(_ loop: TrainingLoop) -> [UnsafeRawPointer?] {
    var all = loop.workspace.bufferAddresses()
    for group in [loop.model.parameters, loop.gradients, loop.ema.average] {
      for k in 0..<group.tensorCount {
        all.append(group.tensor(at: k).withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) })
      }
    }
    for m in loop.adam.firstMoments + loop.adam.secondMoments {
      all.append(m.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) })
    }
    return all
  }
  let before = addresses(loop)
  for _ in 0..<3 { loop.step() }
  #expect(addresses(loop) == before)
  #expect(Set(before.compactMap { $0 }).count == before.count, "every buffer is distinct")
}
