let count = 2000
let grid = TimeGrid<Double>(spacing: .uniform, steps: 200, process: sde)
let replacement = ObservationReplacement(
  base: EulerMaruyama(process: sde, score: prior), process: sde,
  observation: Observation(columns: [0], values: [y]))
var noise = RowStreams(seed: 1, count: count)
var x = samplePrior(of: sde, dimension: 2, streams: &noise)
var workspace = replacement.makeWorkspace(rows: count, columns: 2)
replacement.replaceObserved(&x, at: grid.start, noise: &noise, workspace: &workspace)
_ = try replacement.integrate(&x, over: grid, noise: &noise, workspace: &workspace)
let replacementMean = x.columnMeans()[1]
print("replacement: E[x₂] ≈ \(replacementMean)")
