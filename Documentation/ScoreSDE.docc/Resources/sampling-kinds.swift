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
