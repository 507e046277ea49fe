// Tutorial 7, "Your own data": a NumPy `.npy` file in, samples out as `.npy`, and the trained
// weights to PyTorch through safetensors.
import Foundation
import ScoreSDE
import Testing

/// The tutorial's files, in a fresh temporary folder.
func tutorialFolder(_ name: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// A `.npy` written as NumPy writes it is read exactly; training on it and sampling gives samples
/// with the data's mean (within 0.3 per coordinate); the samples' `.npy` reads back bit for bit;
/// and the weights file holds exactly the tensors of the reference PyTorch `Net`, under the
/// names and shapes the tutorial's mapping gives.
@Test func ownDataInSamplesAndWeightsOut() throws {
  let folder = try tutorialFolder("own-data")
  defer { try? FileManager.default.removeItem(at: folder) }
  // What `np.save("events.npy", events.astype(np.float32))` writes: 2000 events, 2 columns.
  var rng = Xoshiro256(seed: 9)
  var events = Matrix<Float>.randomNormal(rows: 2000, columns: 2, using: &rng)
  events.scaleRows(by: [Float](repeating: 0.5, count: 2000))
  events.addToEachRow([3, -1])
  try NumPyFile.write(events, to: folder.appendingPathComponent("events.npy"))

  // snippet: own-data-read
  let data = try NumPyFile.read(from: folder.appendingPathComponent("events.npy"), as: Float.self)
  let source = try DatasetSource(data)  // rows are events, columns are features
  let standardizer = try source.fitStandardizer()
  // end-snippet
  #expect(data == events)

  // snippet: own-data-train
  var trainer = try Trainer(
    process: VPSDE<Float>(),
    architecture: MLPConfiguration(inputDimension: data.columns, width: 32, depth: 2),
    source: source,
    configuration: TrainingConfiguration(
      seed: 1, batchSize: 128, steps: 400, learningRate: 3e-3, emaDecay: 0.99),
    standardizer: standardizer)
  try trainer.train()
  let model = try trainer.trainedModel(data: "events.npy")
  // end-snippet

  // snippet: own-data-sample
  let sampler = Sampler(
    forward: model.sde, score: model.scoreModel(), options: SamplingOptions(kind: .dpmSolver, steps: 20))
  var samples = try sampler.sample(count: 1000, dimension: data.columns).samples
  model.toDataScale(&samples)
  try NumPyFile.write(samples, to: folder.appendingPathComponent("samples.npy"))  // np.load reads it
  print("sample means \(samples.columnMeans()), data means \(data.columnMeans())")
  // end-snippet
  #expect(try NumPyFile.read(from: folder.appendingPathComponent("samples.npy"), as: Float.self) == samples)
  for (sampled, true_) in zip(samples.columnMeans(), data.columnMeans()) {
    #expect(abs(sampled - true_) < 0.3, "sample mean \(sampled), data mean \(true_)")
  }

  // snippet: own-data-weights
  let weights = folder.appendingPathComponent("score.safetensors")
  try trainer.averagedNetwork.save(to: weights)  // F32 tensors with PyTorch's names and layouts
  let (tensors, _) = try SafeTensors.read(from: weights, as: Float.self)
  for tensor in tensors.entries { print(tensor.name, tensor.shape) }
  // end-snippet

  // The mapping to the reference `Net(d=2, H=32, L=2, nf=16)` of shared/bench/torch_ref.py:
  // mlp.{2l} ↔ layers.l (l = 0 … L), W ↔ embedding.frequencies.
  let expected: [String: [Int]] = [
    "layers.0.weight": [32, 2 + 32], "layers.0.bias": [32],
    "layers.1.weight": [32, 32], "layers.1.bias": [32],
    "layers.2.weight": [2, 32], "layers.2.bias": [2],
    "embedding.frequencies": [16],
  ]
  #expect(Dictionary(uniqueKeysWithValues: tensors.entries.map { ($0.name, $0.shape) }) == expected)
}
