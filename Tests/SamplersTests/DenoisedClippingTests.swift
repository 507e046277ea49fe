import DiffusionProcesses
import LinearAlgebra
import RealModule
import Samplers
import TestSupport
import Testing

/// The exact score of data sitting on a few points `μ_k` (equal weights) under a Gaussian
/// kernel: `s(x) = (a·Σ w_k μ_k − x)/σ²`, `w_k ∝ exp(−‖x − aμ_k‖²/2σ²)`, so that Tweedie's
/// `x̂₀ = Σ w_k μ_k` is a convex combination of the points: inside their box, always.
struct PointMassScore<Process: GaussianSDE>: ScoreModel where Process.Scalar == Double {
  let points: Matrix<Double>
  let process: Process

  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) {
    let (a, sigma) = process.marginal(at: t)
    for i in 0..<x.rows {
      let logits = (0..<points.rows).map { k in
        -(0..<x.columns).reduce(0.0) { $0 + Double.pow(x[i, $1] - a * points[k, $1], 2) }
          / (2 * sigma * sigma)
      }
      let top = logits.max()!
      let weights = logits.map { Double.exp($0 - top) }
      let total = weights.reduce(0, +)
      for j in 0..<x.columns {
        let mean = (0..<points.rows).reduce(0.0) { $0 + weights[$1] * points[$1, j] } / total
        out[i, j] = (a * mean - x[i, j]) / (sigma * sigma)
      }
    }
  }
}

/// A model whose score is 0 everywhere: `x̂₀ = x/a`.
struct ZeroScore: ScoreModel {
  func score(_ x: Matrix<Double>, at t: Double, into out: inout Matrix<Double>) { out.fill(with: 0) }
}

struct DenoisedClippingTests {
  let sde = VPSDE<Double>(betaMin: 0.1, betaMax: 20)

  /// By hand: with s = 0, x̂₀ = x/a; the entry x = 3a is clipped to 1, so its score becomes
  /// (a·1 − 3a)/σ² = −2a/σ²; the entry 0.5a (x̂₀ = 0.5) is left at 0.
  @Test func aScoreOutsideTheBoxIsReplacedByTheClippedEstimatesScore() {
    let t = 0.5
    let (a, sigma) = sde.marginal(at: t)
    let clipped = DenoisedClipping(base: ZeroScore(), process: sde, lower: [-1, -1], upper: [1, 1])
    let x = Matrix<Double>([[3 * a, 0.5 * a], [-0.25 * a, -7 * a]])
    let s = clipped.score(x, at: t)
    #expect(abs(s[0, 0] - (-2 * a / (sigma * sigma))) <= 1e-12 * abs(s[0, 0]))
    #expect(s[0, 1] == 0 && s[1, 0] == 0)
    #expect(abs(s[1, 1] - 6 * a / (sigma * sigma)) <= 1e-12 * abs(s[1, 1]))
    // The clipped estimate is the bound: (x + σ²s)/a = ±1.
    #expect(abs((x[1, 1] + sigma * sigma * s[1, 1]) / a + 1) < 1e-12)
  }

  /// Data on four points in the box [−1, 1] × [0, 2]: the exact x̂₀ never leaves it, so clipping
  /// to the box (widened by 1e-9 for the rounding of x̂₀ recomputed from the score) leaves every
  /// score, and so every sample, bit for bit alone. Clipping to [−0.5, 0.5] in the first column
  /// moves the samples' first column into it (the final Tweedie step returns the clipped x̂₀).
  @Test func clippingLeavesAnInsideOracleAloneAndPullsSamplesIntoANarrowerBox() throws {
    let points = Matrix<Double>([[-1, 0], [1, 0], [-1, 2], [1, 2]])
    let oracle = PointMassScore(points: points, process: sde)
    var options = SamplingOptions<Double>(kind: .eulerMaruyama(steps: 100), seed: 3)
    options.denoise = true
    let plain = try Sampler(process: sde, score: oracle, options: options).sample(count: 64, dimension: 2)
    let box = DenoisedClipping(
      base: oracle, process: sde, lower: [-1 - 1e-9, -1e-9], upper: [1 + 1e-9, 2 + 1e-9])
    let boxed = try Sampler(process: sde, score: box, options: options).sample(count: 64, dimension: 2)
    #expect(boxed.samples == plain.samples)
    let narrow = DenoisedClipping(base: oracle, process: sde, lower: [-0.5, -1e-9], upper: [0.5, 2 + 1e-9])
    let squeezed = try Sampler(process: sde, score: narrow, options: options).sample(count: 64, dimension: 2)
    for i in 0..<64 {
      #expect(abs(plain.samples[i, 0]) > 0.9)  // the data's ±1
      #expect(abs(squeezed.samples[i, 0]) <= 0.5 + 1e-9, "row \(i): \(squeezed.samples[i, 0])")
    }
  }
}
