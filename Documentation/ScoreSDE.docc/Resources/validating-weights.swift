var options = SamplingOptions<Double>(kind: .dpmSolver(steps: 20), seed: 6)
options.smallTime = 1e-3
let samples = try Sampler(process: sde, score: oracle, options: options).sample(count: 2000, dimension: 2)
  .samples
// Each sample's component: the one whose responsibility is largest at t = ε.
let responsibilities = oracle.responsibilities(samples, at: 1e-3)
let inFirst = (0..<samples.rows).filter { responsibilities[$0, 0] > responsibilities[$0, 1] }.count
let fraction = Double(inFirst) / Double(samples.rows)
let standardError = (weights[0] * weights[1] / Double(samples.rows)).squareRoot()
print("first component: \(fraction) of the samples, weight \(weights[0]) ± \(standardError)")
