// A network of one's own, trained, sampled, evaluated and saved by ScoreSDE (see TinyNetwork.swift).
import Foundation
import ScoreSDE

/// Says what went wrong and exits with status 1 (printed output is flushed first).
func fail(_ message: String) -> Never {
  print("error: \(message)")
  exit(1)
}

// 1. Its backpropagation against central finite differences (L = ⟨R, f(x)⟩).
var rng = Xoshiro256(seed: 3)
var network = TinyNetwork(configuration: TinyConfiguration(dimension: 2, width: 8), using: &rng)
let x = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
let times = Times<Double>.perRow([0.1, 0.3, 0.5, 0.7, 0.9])
let weights = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
func loss(_ net: TinyNetwork, _ x: Matrix<Double>) -> Double {
  zip(net(x, times: times).elements, weights.elements).reduce(0) { $0 + $1.0 * $1.1 }
}
var workspace = network.makeWorkspace(rows: 5)
var out = Matrix<Double>(rows: 5, columns: 2)
var gradients = network.makeGradients()
var inputGradient = Matrix<Double>(rows: 5, columns: 2)
network.forward(x, times: times, condition: nil, into: &out, workspace: &workspace)
network.backward(outputGradient: weights, workspace: &workspace, into: &gradients)
network.inputGradient(outputGradient: weights, workspace: &workspace, into: &inputGradient)
var worst = 0.0
let h = 1e-6
for k in 0..<network.parameters.tensorCount {
  let analytic = gradients.tensor(at: k)
  for e in 0..<analytic.count {
    var plus = network
    plus.parameters.withMutableTensor(at: k) { $0.withUnsafeMutableBufferPointer { $0[e] += h } }
    var minus = network
    minus.parameters.withMutableTensor(at: k) { $0.withUnsafeMutableBufferPointer { $0[e] -= h } }
    let numeric = (loss(plus, x) - loss(minus, x)) / (2 * h)
    worst = max(worst, abs(numeric - analytic.elements[e]) / max(1, abs(numeric)))
  }
}
for e in 0..<x.count {
  var plus = x
  plus.withUnsafeMutableBufferPointer { $0[e] += h }
  var minus = x
  minus.withUnsafeMutableBufferPointer { $0[e] -= h }
  let numeric = (loss(network, plus) - loss(network, minus)) / (2 * h)
  worst = max(worst, abs(numeric - inputGradient.elements[e]) / max(1, abs(numeric)))
}
print(String(format: "backprop vs finite differences: largest relative error %.1e", worst))
guard worst < 1e-6 else { fail("TinyNetwork's backpropagation is wrong") }

// 2. Train it on a two-component Gaussian mixture with the library's trainer.
let mixture = GaussianMixture(means: [[-1.5, 0], [1.5, 0.5]], standardDeviations: [0.5, 0.7])
let process = VPSDE<Double>()
var trainer = try Trainer(
  process: process, network: TinyNetwork.self, architecture: TinyConfiguration(dimension: 2, width: 64),
  source: DistributionSource<GaussianMixture, Double>(mixture),
  configuration: TrainingConfiguration(
    seed: 1, batchSize: 256, steps: 3_000, learningRate: 3e-3, emaDecay: 0.995))
let clock = ContinuousClock()
var started = clock.now
try trainer.train(progressInterval: 1_000) { print("step \($0.step): loss \($0.smoothedLoss)") }

print("trained in \(clock.now - started)")
started = clock.now

// 3. Sample it (Euler–Maruyama, 200 steps), and evaluate the exact likelihood of held-out points
// through the probability-flow ODE.
let model = trainer.scoreModel
let samples = try Sampler(
  process: process, score: model, options: SamplingOptions(kind: .eulerMaruyama(steps: 200))
)
.sample(count: 2_000, dimension: 2).samples
var dataRNG = Xoshiro256(seed: 9)
let heldOut: Matrix<Double> = mixture.sample(count: 500, using: &dataRNG)
let reference: Matrix<Double> = mixture.sample(count: 2_000, using: &dataRNG)
let distance = slicedWassersteinDistance(samples, reference, using: &dataRNG)
let logLikelihoods = try ProbabilityFlowLikelihood(process: process, score: model).logLikelihood(of: heldOut)
  .logLikelihoods
print("sampled and evaluated in \(clock.now - started)")
let modelNLL = -logLikelihoods.reduce(0, +) / Double(heldOut.rows)
let trueNLL = -mixture.logDensity(heldOut).reduce(0, +) / Double(heldOut.rows)
print(String(format: "sliced Wasserstein distance of 2000 samples to the data: %.3f", distance))
print(String(format: "held-out NLL: model %.3f nats, true density %.3f nats", modelNLL, trueNLL))
guard modelNLL.isFinite, abs(modelNLL - trueNLL) < 0.2, distance < 0.2 else {
  fail("TinyNetwork did not learn the mixture")
}

// 4. The model file records the architecture "tiny" and its configuration; load it back.
let file = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(getpid()).safetensors")
defer { try? FileManager.default.removeItem(at: file) }
try trainer.trainedModel(data: "two Gaussians").save(to: file)
print("the file holds a '\(try ModelFile.architecture(of: file))' network")
let loaded = try TrainedModel<TinyNetwork>.load(from: file)
guard loaded.network.parameters.tensor(at: 0) == trainer.averagedNetwork.parameters.tensor(at: 0) else {
  fail("the model file did not round-trip")
}
print("saved and loaded \(file.lastPathComponent): the same weights")
