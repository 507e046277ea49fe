let sampler = Sampler(
  process: model.sde, score: model.scoreModel(), options: SamplingOptions(kind: .dpmSolver(steps: 20)))
var samples = try sampler.sample(count: 1000, dimension: data.columns).samples
model.toDataScale(&samples)
try NumPyFile.write(samples, to: folder.appendingPathComponent("samples.npy"))  // np.load reads it
print("sample means \(samples.columnMeans()), data means \(data.columnMeans())")
