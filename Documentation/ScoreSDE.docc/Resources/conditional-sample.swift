var meanRadii: [Double] = []
var series: [PlotSeries] = []
for (k, radius) in [1.5, 2.25, 2.75].enumerated() {
  let model = trainer.scoreModel.conditioned(on: [Float(radius)])
  let sampler = Sampler(
    process: VPSDE<Float>(), score: model, options: SamplingOptions(kind: .dpmSolver(steps: 20), seed: 1))
  let samples = try sampler.sample(count: 1000, dimension: 2).samples
  let meanRadius = samples.rowNorms().map(Double.init).reduce(0, +) / 1000
  print("θ = \(radius): mean radius of the samples \(meanRadius)")
  meanRadii.append(meanRadius)
  let points = (0..<samples.rows).map { (x: Double(samples[$0, 0]), y: Double(samples[$0, 1])) }
  series.append(PlotSeries(name: "θ = \(radius)", points: points, color: Plots.palette[k]))
}
let url = FileManager.default.temporaryDirectory.appendingPathComponent("rings.svg")
try Plots.scatter(series, title: "Samples at three radii", xLabel: "x₁", yLabel: "x₂").write(to: url)
