// Tutorial 5, "Conditional generation of a physics density": a score model conditioned on a
// physical parameter (the radius of a noisy ring), sampled at radii it was never trained on.
import Foundation
import ScoreSDE
import Testing

/// Trained on rings of radius θ ~ U[1, 3] (θ a random real at every row), the conditioned model
/// samples rings at θ = 1.5, 2.25 and 2.75: each sample set's mean radius is within 0.25 of θ,
/// and the mean radii increase with θ.
@Test func conditionalModelSamplesRingsAtNewRadii() throws {
  // snippet: conditional-train
  let family = RingFamily(noise: 0.1, parameterRange: 1...3)
  // Rows (x₁, x₂, θ): θ ~ U[1, 3], then x on the ring of radius θ; the last column is the condition.
  let source = DistributionSource<JointFamilyDistribution<RingFamily>, Float>(family.joint)
  var trainer = try Trainer(
    process: VPSDE<Float>(),
    architecture: MLPConfiguration(inputDimension: 2, conditionDimension: 1, width: 64, depth: 2),
    source: source,
    configuration: TrainingConfiguration(
      seed: 5, batchSize: 256, steps: 600, learningRate: 3e-3, emaDecay: 0.99))
  try trainer.train()
  // end-snippet

  // snippet: conditional-sample
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
  // end-snippet
  try keepFigure(url, as: "conditional-rings.svg")
  #expect(try String(contentsOf: url, encoding: .utf8).contains("θ = 2.25"))
  try? FileManager.default.removeItem(at: url)
  for (radius, measured) in zip([1.5, 2.25, 2.75], meanRadii) {
    #expect(abs(measured - radius) < 0.25, "θ = \(radius): mean radius \(measured)")
  }
  #expect(meanRadii[0] < meanRadii[1] && meanRadii[1] < meanRadii[2], "\(meanRadii)")
}
