do {
  _ = try Sampler(process: sde, score: oracle, options: SamplingOptions(kind: .dpmSolver(steps: 10)))
} catch {
  print(error)  // dpm needs a process with a scalar kernel (a GaussianSDE); this process takes em, …
}
