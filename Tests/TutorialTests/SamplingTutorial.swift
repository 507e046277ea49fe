// Tutorial 3, "Sampling": Euler–Maruyama, predictor–corrector, the probability-flow ODE and
// few-step DPM-Solver on the exact score of a Gaussian mixture, and quality against NFE.
import Foundation
import ScoreSDE
import Testing

/// With the exact score, DPM-Solver++ at 10 score evaluations per sample is closer to the true
/// distribution than Euler–Maruyama at 100 (sliced 1-Wasserstein, 2000 samples each against
/// 2000 exact draws), every sampler reports the NFE it was asked for, and the NFE plot is
/// written.
@Test func fewStepSamplersBeatEulerMaruyamaAtEqualCost() throws {
  // snippet: sampling-oracle
  let sde = VPSDE<Double>()
  let oracle = try GaussianMixtureScore(
    weights: [0.2, 0.3, 0.5], means: [[-1, 0], [1, 0.5], [0, -1]],
    standardDeviations: [0.02, 0.02, 0.02], process: sde)
  var rng = Xoshiro256(seed: 2022)
  let exact = oracle.sample(count: 2000, using: &rng)  // draws of the true p₀
  // end-snippet

  // snippet: sampling-distance
  /// Sliced 1-Wasserstein distance of a sampler's output to the exact draws, and its NFE.
  func quality(_ options: SamplingOptions<Double>) throws -> (nfe: Int, distance: Double) {
    let result = try Sampler(process: sde, score: oracle, options: options).sample(count: 2000, dimension: 2)
    var directions = Xoshiro256(seed: 3)
    let distance = slicedWassersteinDistance(
      result.samples, exact, projections: 64, order: 1, using: &directions)
    return (result.statistics.scoreEvaluations, distance)
  }
  // end-snippet

  // snippet: sampling-kinds
  func dpm(_ steps: Int) -> SamplingOptions<Double> {
    var options = SamplingOptions<Double>(kind: .dpmSolver(steps: steps), seed: 17)
    options.smallTime = 1e-3  // end few-step DPM-Solver at ε = 1e-3 (Lu et al. 2022)
    return options
  }
  let curves: [(sampler: String, points: [(nfe: Int, distance: Double)])] = [
    (
      "Euler–Maruyama",
      try [50, 100, 200].map { try quality(SamplingOptions(kind: .eulerMaruyama(steps: $0), seed: 17)) }
    ),
    (
      "predictor–corrector",
      try [25, 50, 100].map { try quality(SamplingOptions(kind: .predictorCorrector(steps: $0), seed: 17)) }
    ),
    (
      "probability flow, RK4",
      try [5, 10, 20].map {
        try quality(SamplingOptions(kind: .probabilityFlow(.rungeKutta4(steps: $0)), seed: 17))
      }
    ),
    ("DPM-Solver++", try [5, 10, 20].map { try quality(dpm($0)) }),
  ]
  for curve in curves {
    print(curve.sampler, curve.points.map { "NFE \($0.nfe): \($0.distance)" }.joined(separator: ", "))
  }
  // end-snippet
  // The reverse-SDE samplers end with Tweedie's denoising step at ε = 1e-3: one more evaluation.
  #expect(curves[0].points.map(\.nfe) == [51, 101, 201])
  #expect(curves[1].points.map(\.nfe) == [51, 101, 201])  // a predictor and a corrector step each
  #expect(curves[2].points.map(\.nfe) == [20, 40, 80])  // four evaluations per RK4 step
  #expect(curves[3].points.map(\.nfe) == [5, 10, 20])
  let em100 = curves[0].points[1].distance
  let dpm10 = curves[3].points[1].distance
  #expect(dpm10 < em100, "DPM-Solver++ at 10 NFE: \(dpm10), Euler–Maruyama at 100 NFE: \(em100)")
  #expect(curves[3].points[2].distance < curves[0].points[2].distance, "DPM 20 vs EM 200")

  // snippet: sampling-plot
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("quality-vs-nfe.svg")
  try Plots.qualityVersusNFE(curves).write(to: url)
  // end-snippet
  try keepFigure(url, as: "sampling-quality-vs-nfe.svg")
  #expect(try String(contentsOf: url, encoding: .utf8).contains("DPM-Solver++"))
  try? FileManager.default.removeItem(at: url)
}
