// Tutorial 8, "Diffusion models as nonequilibrium physics": the entropy production of the
// forward process, the fluctuation theorem by simulation, speciation in reverse trajectories and
// the free energy of the double well, all with exact Gaussian-mixture scores.
import Foundation
import ScoreSDE
import Testing

/// The tutorial's claims at a small size: `Ṡ_tot ≥ 0` and `Ṡ_tot = dS/dt + Ṡ_m` point by point,
/// the integral fluctuation theorem to 3 standard errors, the measured speciation time equal to
/// the closed form, and `log Z` of the double well within 3 standard errors of quadrature.
@Test func thermodynamicsTutorial() throws {
  // snippet: thermo-mixture
  let sde = VPSDE<Double>()
  let mixture = try GaussianMixtureScore(
    weights: [0.5, 0.5], means: [[-2, 0], [2, 0]], standardDeviations: [0.5, 0.5], process: sde)
  var rng = Xoshiro256(seed: 1)
  let data = mixture.sample(count: 1000, using: &rng)
  // end-snippet

  // snippet: thermo-rates
  let entropy = EntropyProduction(process: sde, score: mixture)
  let times = (0..<12).map { 1e-3 * Double.pow(1000, Double($0) / 11) }
  let rates = times.map { entropy.rates(at: $0, data: data, using: &rng) }
  for (t, r) in zip(times, rates) {
    print(t, r.total.mean, r.system.mean, r.medium.mean)  // Ṡ_tot = dS/dt + Ṡ_m, each ± SE
  }
  let produced = entropy.integrated(from: 1e-3, to: 1, data: data, rounds: 100, using: &rng)
  print("entropy produced over [1e-3, 1]: \(produced.total)")
  // end-snippet
  for r in rates {
    #expect(r.total.mean >= 0)
    #expect(abs(r.total.mean - r.system.mean - r.medium.mean) < 1e-9 * max(1, r.total.mean))
  }

  // snippet: thermo-plot
  let curves = [
    ("total", "#c0392b", rates.map(\.total.mean)), ("system", "#2980b9", rates.map(\.system.mean)),
  ]
  .map { name, color, values in
    PlotSeries(name: name, points: zip(times, values).map { ($0, $1) }, color: color)
  }
  let figure = FileManager.default.temporaryDirectory.appendingPathComponent("thermo-entropy-production.svg")
  try Plots.lines(curves, title: "Entropy production", xLabel: "t", yLabel: "nats per unit time", logX: true)
    .write(to: figure)
  // end-snippet
  try keepFigure(figure, as: "thermo-entropy-production.svg")

  // snippet: thermo-fluctuation
  let broad = try GaussianMixtureScore(
    weights: [0.4, 0.6], means: [[-1], [0.8]], standardDeviations: [0.8, 0.9], process: sde)
  let grid = (0...100).map { 0.05 + 0.0095 * Double($0) }
  let paths = StochasticEntropyProduction(process: sde, score: broad)
    .simulate(data: broad.sample(count: 2000, using: &rng), times: grid, seed: 2)
  let theorem = paths.integralFluctuationTheorem  // ⟨exp(−Δs_tot)⟩
  print("⟨exp(−Δs_tot)⟩ = \(theorem.mean) ± \(theorem.standardError)")
  // end-snippet
  #expect(abs(theorem.mean - 1) < 3 * theorem.standardError)

  // snippet: thermo-speciation
  let measured = try Speciation.measuredTime(process: sde, score: mixture, saddle: [0, 0])!
  let exact = Speciation.symmetricMixtureTime(process: sde, halfSeparation: [2, 0], componentVariance: 0.25)!
  let estimate = try Speciation.estimatedTime(process: sde, data: data)  // Biroli et al. 2024
  print("speciation: measured \(measured), closed form \(exact), covariance estimate \(estimate)")
  // end-snippet
  #expect(abs(measured - exact) < 1e-5)

  // snippet: thermo-trajectories
  var options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 200), seed: 3)
  options.trajectoryStride = 2
  let run = try Sampler(process: sde, score: mixture, options: options).sample(count: 24, dimension: 2)
  let axes = PlotAxes(xRange: 0...1, yRange: -4...4, frame: (x: 70, y: 40, width: 440, height: 400))
  var svg = SVGDocument(width: 560, height: 520)
  for i in 0..<24 {
    let points = run.trajectory.map { "\(axes.canvasX($0.time)),\(axes.canvasY($0.states[i, 0]))" }
    let color = run.samples[i, 0] > 0 ? "#c0392b" : "#2980b9"  // the mode it ends in
    svg.append(#"<polyline points="\#(points.joined(separator: " "))" fill="none" stroke="\#(color)"/>"#)
  }
  let (x0, y0, y1) = (axes.canvasX(exact), axes.canvasY(-4), axes.canvasY(4))
  svg.append(
    ##"<line x1="\##(x0)" y1="\##(y0)" x2="\##(x0)" y2="\##(y1)" stroke="#555555" stroke-dasharray="4"/>"##)
  axes.draw(on: &svg, title: "Reverse trajectories and the speciation time", xLabel: "t", yLabel: "x₁")
  let trajectories = FileManager.default.temporaryDirectory.appendingPathComponent("thermo-speciation.svg")
  try svg.write(to: trajectories)
  // end-snippet
  try keepFigure(trajectories, as: "thermo-speciation.svg")

  // snippet: thermo-free-energy
  let proposal = try GaussianMixtureScore(
    weights: [0.5, 0.5], means: [[-1, 0], [1, 0]],
    covariances: [Matrix(diagonal: [0.3, 2.5]), Matrix(diagonal: [0.3, 2.5])], process: sde)
  let generator = BoltzmannGenerator(process: sde, score: proposal, startTime: 1e-3)
  let (x, logq) = try generator.sample(count: 300, dimension: 2, seed: 4)
  let well = DoubleWell(barrier: 3, temperature: 1)
  let logZ = FreeEnergy.logPartitionFunction(logTarget: well.unnormalizedLogDensity(x), logProposal: logq)
  print("log Z = \(logZ.logNormalizer) ± \(logZ.standardError), quadrature \(well.logNormalizer)")
  // end-snippet
  #expect(abs(logZ.logNormalizer - well.logNormalizer) < 3 * logZ.standardError)
}
