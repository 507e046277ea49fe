import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import Testing

/// Every spacing of every process: exact ends, strictly decreasing, the requested number of steps.
@Test(arguments: Process.allCases)
func gridsRunFromEndTimeToCutoff(process: Process) {
  process.run { sde in
    let spacings: [TimeGrid<Double>.Spacing] = [.uniform, .quadratic, .logSNR, .karras(), .karras(rho: 3)]
    for spacing in spacings {
      let grid = TimeGrid(spacing: spacing, steps: 17, process: sde)
      #expect(grid.steps == 17 && grid.times.count == 18, "\(spacing)")
      #expect(grid.start == 1 && grid.end == 1e-5, "\(spacing): \(grid.start) … \(grid.end)")
      #expect(zip(grid.times, grid.times.dropFirst()).allSatisfy { $0 > $1 }, "\(spacing): \(grid.times)")
    }
  }
}

/// Uniform: `tᵢ = T + (i/N)(ε − T)`; quadratic: `tᵢ = ε + (T − ε)(1 − i/N)²`.
@Test func uniformAndQuadraticFormulas() {
  let uniform = TimeGrid<Double>.uniform(steps: 4, from: 1, to: 0.2)
  #expect(maxDeviation(uniform.times, [1, 0.8, 0.6, 0.4, 0.2]) < 1e-15, "\(uniform.times)")
  let quadratic = TimeGrid<Double>.quadratic(steps: 4, from: 1, to: 0.2)
  let expected = [1, 0.2 + 0.8 * 0.5625, 0.2 + 0.8 * 0.25, 0.2 + 0.8 * 0.0625, 0.2]
  #expect(maxDeviation(quadratic.times, expected) < 1e-15, "\(quadratic.times)")
  // Steps shrink towards the end.
  let q = TimeGrid<Double>.quadratic(steps: 10, from: 1, to: 1e-5).times
  let widths = zip(q, q.dropFirst()).map { $0 - $1 }
  #expect(zip(widths, widths.dropFirst()).allSatisfy { $0 > $1 })
}

/// Log-SNR grids are equally spaced in `λ(t) = log(scale²/std²)`, for every process (closed-form
/// inverse times).
@Test(arguments: Process.allCases)
func logSNRGridIsUniformInLogSNR(process: Process) {
  process.run { sde in
    let grid = TimeGrid(spacing: .logSNR, steps: 12, process: sde)
    let lambdas = grid.times.map { sde.logSignalToNoiseRatio(at: $0) }
    let step = (lambdas.last! - lambdas.first!) / 12
    for i in 1..<lambdas.count {
      #expect(abs((lambdas[i] - lambdas[i - 1]) - step) < 1e-8 * abs(step), "\(process) step \(i)")
    }
  }
}

/// Karras grids are equally spaced in `σ^{1/ρ}` with `σ = std/scale`, decreasing.
@Test(arguments: Process.allCases, [7.0, 3.0])
func karrasGridIsUniformInRootOfNoiseLevel(process: Process, rho: Double) {
  process.run { sde in
    let grid = TimeGrid(spacing: .karras(rho: rho), steps: 9, process: sde)
    let roots = grid.times.map { t -> Double in
      let (a, s) = sde.marginal(at: t)
      return Double.pow(s / a, 1 / rho)
    }
    let step = (roots.last! - roots.first!) / 9
    #expect(step < 0)
    for i in 1..<roots.count {
      #expect(abs((roots[i] - roots[i - 1]) - step) < 1e-8 * abs(step), "\(process) ρ = \(rho) step \(i)")
    }
  }
}

/// `reversed()` runs the other way, and explicit grids accept either direction.
@Test func reversedGridAndExplicitTimes() {
  let grid = TimeGrid<Double>.uniform(steps: 3, from: 1, to: 0.25)
  #expect(grid.reversed().times == grid.times.reversed())
  #expect(grid.intervals.count == 3 && grid.intervals[0].from == 1 && grid.intervals[2].to == 0.25)
  let up = TimeGrid<Float>(times: [0, 0.5, 1])
  #expect(up.start == 0 && up.end == 1 && up.steps == 2)
}

/// A grid that is not strictly monotone is a programmer error.
@Test func nonMonotoneGridIsRejected() async {
  await #expect(processExitsWith: .failure) {
    _ = TimeGrid<Double>(times: [1, 0.5, 0.5])
  }
}

func maxDeviation(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
