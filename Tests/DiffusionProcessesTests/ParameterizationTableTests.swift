import DiffusionProcesses
import LinearAlgebra
import TestSupport
import Testing

/// Kernels `(scale, std, shift)` from the start to the end of the noise, VE-like and OU-like.
let tableKernels: [(scale: Double, std: Double, shift: Double)] = [
  (0.999_99, 0.004, 0), (0.9, 0.43, 0), (0.5, 0.866, 0), (0.05, 0.9987, 0), (1, 3.5, 0), (0.7, 0.6, 0.25),
]

@Test(arguments: [false, true])
func tableConvertsTheTruthIntoEveryParameterisation(single: Bool) {
  func check<S: BLASScalar>(_: S.Type, tolerance: S) {
    // x = a·x₀ + shift + σ·ε; each parameterisation of the truth is score −ε/σ, noise ε, data x₀.
    for (scale, std, shift) in tableKernels {
      let (a, s, b) = (S(scale), S(std), S(shift))
      for (x0, eps) in [(S(0.7), S(-1.3)), (S(-2.1), S(0.4))] {
        let x = a * x0 + b + s * eps
        // EDM's F = (x₀ − c_skip·x̃)/c_out, x̃ = (x − shift)/a (Karras et al. 2022, eq. 7 and Table 1).
        let sigma = s / a
        let (skip, cOut) = (1 / (sigma * sigma + 1), sigma / (sigma * sigma + 1).squareRoot())
        // = ((1 − c_skip)·x₀ − c_skip·σ̃·ε)/c_out with 1 − c_skip = σ̃²/(σ̃² + 1), free of cancellation.
        let f = (sigma * sigma / (sigma * sigma + 1) * x0 - skip * sigma * eps) / cOut
        let truth: [Parameterization: S] = [.score: -eps / s, .noise: eps, .data: x0, .edm(): f]
        for source in Parameterization.allCases {
          for target in Parameterization.allCases {
            let (cp, cx) = Parameterization.coefficients(
              from: source, to: target, scale: a, standardDeviation: s)
            let converted = cp * truth[source]! + cx * (x - b)
            // Relative to the terms' sizes (the data target from a small std cancels).
            let size = max(abs(cp * truth[source]!), abs(cx * (x - b)), abs(truth[target]!), 1)
            #expect(
              abs(converted - truth[target]!) < tolerance * size, "\(source) → \(target) at \(scale), \(std)")
            // Round trip: target → source undoes source → target.
            let (bp, bx) = Parameterization.coefficients(
              from: target, to: source, scale: a, standardDeviation: s)
            #expect(abs(bp * cp - 1) < tolerance, "\(source) ↔ \(target)")
            #expect(abs(bp * cx + bx) < tolerance * max(abs(bx), 1), "\(source) ↔ \(target)")
          }
        }
        // The training targets are exactly ε, (−1/σ)·ε and x₀, as the loss wrote them before.
        let targets: [Parameterization: S] = [.score: (-1 / s) * eps, .noise: eps, .data: x0]
        for p in Parameterization.allCases {
          let (c0, cz) = p.targetCoefficients(scale: a, standardDeviation: s)
          if let exact = targets[p] {
            #expect(c0 * x0 + cz * eps == exact)
          } else {
            #expect(abs(c0 * x0 + cz * eps - f) < tolerance * max(abs(f), abs(c0 * x0), 1), "\(p) target")
          }
        }
      }
    }
  }
  if single {
    check(Float.self, tolerance: 8 * Float.ulpOfOne)
  } else {
    check(Double.self, tolerance: 8 * Double.ulpOfOne)
  }
}

@Test func tableEntriesAreTheClosedForms() {
  // Exact, bit for bit: the score column is what a network wrapper and its Jacobian use.
  for (a, s, _) in tableKernels {
    typealias P = Parameterization
    #expect(P.coefficients(from: .noise, to: .score, scale: a, standardDeviation: s) == (-1 / s, 0))
    #expect(
      P.coefficients(from: .data, to: .score, scale: a, standardDeviation: s) == (a / (s * s), -1 / (s * s)))
    #expect(P.coefficients(from: .score, to: .data, scale: a, standardDeviation: s) == (s * s / a, 1 / a))
    #expect(P.coefficients(from: .noise, to: .data, scale: a, standardDeviation: s) == (-s / a, 1 / a))
    #expect(P.coefficients(from: .data, to: .noise, scale: a, standardDeviation: s) == (-a / s, 1 / s))
    #expect(P.coefficients(from: .score, to: .noise, scale: a, standardDeviation: s) == (-s, 0))
    for p in P.allCases {
      #expect(P.coefficients(from: p, to: p, scale: a, standardDeviation: s) == (1, 0))
      let column = P.coefficients(from: p, to: .score, scale: a, standardDeviation: s)
      let score = p.scoreCoefficients(scale: a, standardDeviation: s)
      #expect(score.output == column.prediction && score.state == column.offset)
    }
  }
}
