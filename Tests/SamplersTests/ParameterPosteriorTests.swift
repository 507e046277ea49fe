import DiffusionProcesses
import Foundation
import LinearAlgebra
import RealModule
import Samplers
import Testing

/// The exact score of the conditional family `x | θ ~ N(θ·v, I)` in `ℝᵈ` (`v` a fixed vector,
/// `θ ∈ ℝᵖ` mapped through `v` as `θ·v = Σₖ θₖ vₖ`) pushed through a VP process, one `θ` per row:
/// `p_t(x | θ) = N(a θ·v, (a² + σ²) I)`, so `s = −(x − a θ·v)/(a² + σ²)` and `∇·s = −d/(a² + σ²)`.
/// With the exact terminal density the PF-ODE likelihood is `log N(x; θ·v, (a(ε)² + σ(ε)²) I)`
/// (shrunk by `a(ε)`) to the solver's tolerance.
struct MeanShiftFamily: DivergenceScoreModel {
  typealias Scalar = Double
  let process: VPSDE<Double>
  /// `vₖ` for each parameter: `p × d`.
  let directions: Matrix<Double>
  /// One `θ` per row, `n × p`.
  let theta: Matrix<Double>

  func mean(row i: Int, scale a: Double) -> [Double] {
    (0..<directions.columns).map { j in
      a * (0..<theta.columns).reduce(0) { $0 + theta[i, $1] * directions[$1, j] }
    }
  }

  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    precondition(x.rows == theta.rows, "\(x.rows) points for \(theta.rows) conditions")
    let (a, s) = process.marginal(at: t)
    let v = a * a + s * s
    for i in 0..<x.rows {
      let m = mean(row: i, scale: a)
      for j in 0..<x.columns { out[i, j] = -(x[i, j] - m[j]) / v }
    }
  }

  func scoreAndDivergence(
    _ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>, divergence: inout [Double],
    workspace: inout Void
  ) {
    score(x, at: t, into: &out)
    let (a, s) = process.marginal(at: t)
    for i in 0..<x.rows { divergence[i] = -Double(x.columns) / (a * a + s * s) }
  }

  func scoreAndVectorJacobianProduct(
    _ x: Matrix<Double>, at t: Double, probe: Matrix<Double>, into out: inout Matrix<Double>,
    vjp: inout Matrix<Double>, workspace: inout Void
  ) {
    score(x, at: t, into: &out)
    let (a, s) = process.marginal(at: t)
    for i in 0..<x.rows {
      for j in 0..<x.columns { vjp[i, j] = -probe[i, j] / (a * a + s * s) }
    }
  }

  func restricted(toRows range: Range<Int>) -> MeanShiftFamily {
    MeanShiftFamily(process: process, directions: directions, theta: theta.rows(range))
  }

  /// `log p_t(xᵢ | θᵢ)`, exact.
  func logDensity(_ x: Matrix<Double>, at t: Double) -> [Double] {
    let (a, s) = process.marginal(at: t)
    let v = a * a + s * s
    return (0..<x.rows).map { i in
      let m = mean(row: i, scale: a)
      let q = (0..<x.columns).reduce(0.0) { $0 + (x[i, $1] - m[$1]) * (x[i, $1] - m[$1]) }
      return -q / (2 * v) - Double(x.columns) / 2 * Double.log(2 * Double.pi * v)
    }
  }
}

/// `log p(x | θ)` of every (point, condition) pair by the PF-ODE, with the exact terminal
/// density: the likelihood a ``ParameterGridPosterior`` gets from its one batched call.
func familyLogLikelihood(
  _ points: Matrix<Double>, _ conditions: Matrix<Double>, directions: Matrix<Double>, threads: Int = 2
) throws -> [Double] {
  let process = VPSDE<Double>()
  let model = MeanShiftFamily(process: process, directions: directions, theta: conditions)
  // Threads cut the rows into blocks; the terminal density needs each latent's own θ.
  return try ProbabilityFlowLikelihood(process: process, score: model)
    .logLikelihood(of: points, terminalLogDensity: { model.logDensity($0, at: 1) }, threads: threads)
    .logLikelihoods
}

/// Draws `n` points of `N(θ*·v, I)`.
func familySample(n: Int, theta: [Double], directions: Matrix<Double>, using rng: inout Xoshiro256)
  -> Matrix<Double>
{
  var x = Matrix<Double>.randomNormal(rows: n, columns: directions.columns, using: &rng)
  for i in 0..<n {
    for j in 0..<directions.columns {
      x[i, j] += (0..<theta.count).reduce(0) { $0 + theta[$1] * directions[$1, j] }
    }
  }
  return x
}

/// The standard normal's quantile at 0.95.
let z95 = 1.6448536269514722

/// The grid posterior of `θ` from the PF-ODE likelihood of an exact conditional model: for
/// `x | θ ~ N(θ·(1, 1), I)` with a flat prior the posterior is `N(x̄, 1/(2n))` (`x̄` the mean of
/// all `2n` coordinates); with a Gaussian prior `N(μ₀, s₀²)` it is normal with precision
/// `2n + 1/s₀²`; for `x | θ ~ N(θ, I₂)` each marginal is `N(x̄ₖ, 1/n)`. The central 90 % interval
/// covers the true `θ` in 90 % of repeated experiments.
@Suite struct ParameterPosteriorTests {
  static let diagonal = Matrix<Double>(rows: 1, columns: 2, elements: [1, 1])
  /// The likelihood at time ε: each coordinate's variance is `a(ε)² + σ(ε)²` and the mean
  /// `a(ε)·θ`, a 1e-5 effect kept exact in the analytic posterior.
  static let (scale, variance): (Double, Double) = {
    let process = VPSDE<Double>()
    let (a, s) = process.marginal(at: process.smallTimeCutoff)
    return (a, a * a + s * s)
  }()

  /// The analytic posterior of the diagonal family with a flat prior: mean and standard deviation.
  static func flatPosterior(_ x: Matrix<Double>) -> (mean: Double, deviation: Double) {
    let mean = x.elements.reduce(0, +) / Double(x.count)
    return (mean / scale, (variance / Double(x.count)).squareRoot() / scale)
  }

  /// On a 61-node grid over [−1, 2] (h = 0.05, the posterior's σ = 0.22): the log posterior
  /// density is the analytic one within 1e-4 nats where it is within 12 nats of its peak (the
  /// 10 summed per-point values each carry the solver's error, which on this linear flow is far
  /// below the 3e-4 bound of LikelihoodTests; measured: 3.4e-6); the mean within 1e-6 (measured
  /// 6e-10) and the 90 % interval's ends within 2e-3 (the piecewise linear CDF's O(h²) error;
  /// measured 1.6e-3); the MAP is the node nearest the analytic mode. A Gaussian prior moves the
  /// posterior where the conjugate formula says (within 1e-3 and 2e-3).
  @Test func flatAndGaussianPriorsGiveTheAnalyticPosterior() throws {
    var rng = Xoshiro256(seed: 5)
    let x = familySample(n: 10, theta: [0.5], directions: Self.diagonal, using: &rng)
    let axis = try GridAxis<Double>(-1, 2, count: 61)
    let posterior = try ParameterGridPosterior(observations: x, axes: [axis]) { points, conditions in
      try familyLogLikelihood(points, conditions, directions: Self.diagonal)
    }
    let (mean, deviation) = Self.flatPosterior(x)
    func logNormal(_ t: Double, _ m: Double, _ s: Double) -> Double {
      -(t - m) * (t - m) / (2 * s * s) - Double.log(2 * Double.pi * s * s) / 2
    }
    let peak = posterior.logPosterior.max()!
    var worst = 0.0
    for (r, l) in posterior.logPosterior.enumerated() where l > peak - 12 {
      worst = max(worst, abs(l - logNormal(axis.value(at: r), mean, deviation)))
    }
    print(
      "FLAT_POSTERIOR: log-posterior error \(worst), mean error \(abs(posterior.mean[0] - mean)), interval "
        + "error \(max(abs(posterior.centralInterval(probability: 0.9).lowerBound - (mean - z95 * deviation)), abs(posterior.centralInterval(probability: 0.9).upperBound - (mean + z95 * deviation))))"
    )
    #expect(worst < 1e-4, "largest log-posterior error \(worst)")
    #expect(abs(posterior.mean[0] - mean) < 1e-6, "mean \(posterior.mean[0]) vs \(mean)")
    let interval = posterior.centralInterval(probability: 0.9)
    #expect(
      abs(interval.lowerBound - (mean - z95 * deviation)) < 2e-3,
      "\(interval) vs \(mean) ± \(z95 * deviation)")
    #expect(abs(interval.upperBound - (mean + z95 * deviation)) < 2e-3, "\(interval)")
    #expect(abs(posterior.maximumAPosteriori[0] - mean) <= axis.spacing / 2 + 1e-12)
    #expect(abs(posterior.probabilities.reduce(0, +) - 1) < 1e-12)

    // A N(−0.5, 0.3²) prior: precision 2n/variance·a² + 1/s₀², mean by precision weighting.
    let prior = ParameterPrior<Double>.gaussian(mean: [-0.5], standardDeviation: [0.3])
    let informed = ParameterGridPosterior(
      axes: [axis], logLikelihoods: posterior.logLikelihoods, prior: prior)
    let dataPrecision = 1 / (deviation * deviation)
    let precision = dataPrecision + 1 / 0.09
    let informedMean = (dataPrecision * mean - 0.5 / 0.09) / precision
    #expect(abs(informed.mean[0] - informedMean) < 1e-3, "\(informed.mean[0]) vs \(informedMean)")
    let informedInterval = informed.centralInterval(probability: 0.9)
    let half = z95 / precision.squareRoot()
    #expect(abs(informedInterval.lowerBound - (informedMean - half)) < 2e-3, "\(informedInterval)")
    #expect(abs(informedInterval.upperBound - (informedMean + half)) < 2e-3, "\(informedInterval)")
  }

  /// Two parameters, `x | θ ~ N(θ, I₂)`, a 25 × 21 grid (spacings 0.15 and 0.2, the posterior's
  /// σ = 0.35): the marginals integrate to 1; each marginal's mean and 90 % interval equal those
  /// of the same grid posterior built from the analytic likelihood within 1e-5 (the solver's
  /// error alone; measured 4e-8), and those of the continuous `N(x̄ₖ, 1/n)` within 0.025 (the
  /// piecewise linear CDF at h/σ ≈ 0.6: an O(h²) error, measured 0.016).
  @Test func marginalsOfATwoParameterPosterior() throws {
    var rng = Xoshiro256(seed: 9)
    let identity = Matrix<Double>(rows: 2, columns: 2, elements: [1, 0, 0, 1])
    let x = familySample(n: 8, theta: [0.3, -1], directions: identity, using: &rng)
    let axes = [try GridAxis<Double>(-1.5, 2, count: 25), try GridAxis<Double>(-3, 1, count: 21)]
    let posterior = try ParameterGridPosterior(observations: x, axes: axes) { points, conditions in
      try familyLogLikelihood(points, conditions, directions: identity)
    }
    let analytic = ParameterGridPosterior(
      axes: axes,
      logLikelihoods: ParameterGridPosterior<Double>.summedLogLikelihoods(of: x, at: posterior.parameters) {
        points, conditions in
        MeanShiftFamily(process: VPSDE<Double>(), directions: identity, theta: conditions)
          .logDensity(points, at: VPSDE<Double>().smallTimeCutoff)
      })
    #expect(posterior.parameters.rows == 525)
    #expect(posterior.parameters.row(26) == [axes[0].value(at: 1), axes[1].value(at: 1)])
    let means = x.columnMeans()
    var solverError = 0.0
    var gridError = 0.0
    for k in 0..<2 {
      let m = means[k] / Self.scale
      let s = (Self.variance / 8).squareRoot() / Self.scale
      let (nodes, density) = posterior.marginal(axis: k)
      let mass = zip(nodes.indices, density).reduce(0.0) { $0 + axes[k].trapezoidWeight(at: $1.0) * $1.1 }
      #expect(abs(mass - 1) < 1e-12)
      let interval = posterior.centralInterval(probability: 0.9, axis: k)
      let reference = analytic.centralInterval(probability: 0.9, axis: k)
      solverError = max(
        solverError, abs(posterior.mean[k] - analytic.mean[k]),
        abs(interval.lowerBound - reference.lowerBound),
        abs(interval.upperBound - reference.upperBound))
      gridError = max(
        gridError, abs(analytic.mean[k] - m), abs(reference.lowerBound - (m - z95 * s)),
        abs(reference.upperBound - (m + z95 * s)))
    }
    print("MARGINALS: solver error \(solverError), grid error \(gridError)")
    #expect(solverError < 1e-5, "PF-ODE vs analytic likelihood on the grid: \(solverError)")
    #expect(gridError < 0.025, "grid vs continuous posterior: \(gridError)")
  }

  /// A flat likelihood gives the uniform posterior: its quantiles are exact linear ones; and the
  /// batched call pairs every point with every node, node-major.
  @Test func uniformPosteriorQuantilesAndThePairLayout() throws {
    let axis = try GridAxis<Double>(0, 4, count: 9)
    let flat = ParameterGridPosterior(axes: [axis], logLikelihoods: [Double](repeating: -3, count: 9))
    let interval = flat.centralInterval(probability: 0.9)
    #expect(abs(interval.lowerBound - 0.2) < 1e-12 && abs(interval.upperBound - 3.8) < 1e-12)
    #expect(abs(flat.mean[0] - 2) < 1e-12)
    #expect(flat.logPosterior.allSatisfy { abs($0 - Double.log(0.25)) < 1e-12 })
    let x = Matrix<Double>(rows: 3, columns: 1, elements: [1, 2, 4])
    let theta = Matrix<Double>(rows: 2, columns: 1, elements: [10, 20])
    var calls = 0
    let sums = ParameterGridPosterior<Double>.summedLogLikelihoods(of: x, at: theta) { points, conditions in
      calls += 1
      #expect(points.elements == [1, 2, 4, 1, 2, 4] && conditions.elements == [10, 10, 10, 20, 20, 20])
      return (0..<points.rows).map { points[$0, 0] * conditions[$0, 0] }
    }
    #expect(calls == 1 && sums == [70, 140])
  }

  /// Coverage: over `R` experiments of 10 points from `θ* = 0.5`, the central 90 % interval
  /// holds `θ*` in a fraction whose count lies in the two-sided 99.9 % region of
  /// Binomial(R, 0.9); in every draw the grid interval's ends lie within 0.015 of the analytic
  /// `x̄ ± 1.645/√(2n)` (h = 0.1 here, twice the spacing of the analytic test above: an O(h²)
  /// error of about 4 × 1.6e-3), so the two decide differently only for a `θ*` that close to an
  /// end (1000 draws: 9 such flips, as `2·φ(1.645)·δ/σ·R` predicts for δ ≈ 0.01). `R = 40`
  /// here, a smoke test (the analytic comparisons
  /// above are the sharp ones); `POSTERIOR_COVERAGE_HEAVY=1` runs `R = 200` (or
  /// `POSTERIOR_COVERAGE_REPETITIONS`) and prints the coverage (for 200 the region is [165, 192]:
  /// a 75 % interval would fall outside with probability 0.993).
  @Test func centralIntervalsCoverTheTrueParameter() throws {
    let environment = ProcessInfo.processInfo.environment
    let heavy = environment["POSTERIOR_COVERAGE_HEAVY"] == "1"
    let repetitions = heavy ? environment["POSTERIOR_COVERAGE_REPETITIONS"].flatMap { Int($0) } ?? 200 : 40
    let truth = 0.5
    let axis = try GridAxis<Double>(-1, 2, count: 31)
    var rng = Xoshiro256(seed: 2024)
    var covered = 0
    var analyticCovered = 0
    var worstEnd = 0.0
    for _ in 0..<repetitions {
      let x = familySample(n: 10, theta: [truth], directions: Self.diagonal, using: &rng)
      let posterior = try ParameterGridPosterior(observations: x, axes: [axis]) { points, conditions in
        try familyLogLikelihood(points, conditions, directions: Self.diagonal)
      }
      let interval = posterior.centralInterval(probability: 0.9)
      if interval.contains(truth) { covered += 1 }
      let (m, s) = Self.flatPosterior(x)
      if abs(truth - m) <= z95 * s { analyticCovered += 1 }
      worstEnd = max(
        worstEnd, abs(interval.lowerBound - (m - z95 * s)), abs(interval.upperBound - (m + z95 * s)))
    }
    let (low, high) = binomialRegion(trials: repetitions, probability: 0.9, level: 0.999)
    #expect(
      covered >= low && covered <= high, "covered \(covered) of \(repetitions), region [\(low), \(high)]")
    #expect(worstEnd < 0.015, "grid interval ends up to \(worstEnd) from the analytic ones")
    if heavy {
      print(
        "POSTERIOR_COVERAGE: \(covered)/\(repetitions) = \(Double(covered) / Double(repetitions)) "
          + "(analytic \(analyticCovered)), region [\(low), \(high)], worst end \(worstEnd)")
    }
  }
}

/// The smallest `[low, high]` with `P(X < low) ≤ (1 − level)/2` and `P(X > high) ≤ (1 − level)/2`
/// for `X ~ Binomial(trials, probability)`.
func binomialRegion(trials n: Int, probability p: Double, level: Double) -> (Int, Int) {
  var pmf = [Double](repeating: 0, count: n + 1)
  for k in 0...n {
    let logChoose =
      Double.logGamma(Double(n + 1)) - Double.logGamma(Double(k + 1)) - Double.logGamma(Double(n - k + 1))
    pmf[k] = Double.exp(logChoose + Double(k) * Double.log(p) + Double(n - k) * Double.log(1 - p))
  }
  let tail = (1 - level) / 2
  var low = 0
  var below = 0.0
  while below + pmf[low] <= tail {
    below += pmf[low]
    low += 1
  }
  var high = n
  var above = 0.0
  while above + pmf[high] <= tail {
    above += pmf[high]
    high -= 1
  }
  return (low, high)
}
