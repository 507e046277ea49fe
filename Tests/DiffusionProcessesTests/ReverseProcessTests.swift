import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The 2-D Gaussian data N(μ, Σ) of these tests, μ = (1, −0.5), Σ = [[2, 0.6], [0.6, 1]].
let testMean = [1.0, -0.5]
let testCovariance = Matrix<Double>([[2, 0.6], [0.6, 1]])

/// Hand computation of the oracle at time t: Σ_t = a²Σ + s²I = [[p, q], [q, r]], its inverse
/// written out, the score −Σ_t⁻¹(x − m_t) and tr Σ_t⁻¹.
func handScore(_ sde: some GaussianSDE<Double>, _ x: (Double, Double), at t: Double) -> (
  score: (Double, Double), tracePrecision: Double, precision: ((Double, Double), (Double, Double))
) {
  let (a, s) = sde.marginal(at: t)
  let b = sde.marginalShift(at: t)
  let (p, q, r) = (a * a * 2 + s * s, a * a * 0.6, a * a * 1 + s * s)
  let det = p * r - q * q
  let (u, w) = (x.0 - (a * testMean[0] + b), x.1 - (a * testMean[1] + b))
  let precision = ((r / det, -q / det), (-q / det, p / det))
  return ((-(r * u - q * w) / det, -(-q * u + p * w) / det), (p + r) / det, precision)
}

@Test(arguments: [Process.vp, .ou, .ve, .subVP])
func reverseDriftAndVelocityAreAssembledFromTheParts(process: Process) throws {
  func check<F: GaussianSDE<Double>>(_ sde: F) throws {
    let oracle = try GaussianScore(mean: testMean, covariance: testCovariance, process: sde)
    let reverse = ReverseSDE(process: sde, score: oracle)
    let flow = ProbabilityFlowODE(process: sde, score: oracle)
    let points = [(0.3, -1.2), (2.0, 0.5), (-1.0, 1.0)]
    let x = Matrix(points.map { [$0.0, $0.1] })
    let probe = Matrix<Double>([[1, 0.5], [-0.3, 2], [0.7, -0.7]])
    for t in [0.1, 0.6] {
      // The forward drift by hand: −½β(t)x for VP / sub-VP, 0 for VE, −θ(x − μ) for OU.
      let (a, b): (Double, Double) =
        switch process {
        case .vp, .subVP: (-(0.1 + t * 19.9) / 2, 0)
        case .ou: (-2, 2 * 1)
        default: (0, 0)
        }
      let g2: Double =
        switch process {
        case .vp: 0.1 + t * 19.9
        case .subVP: (0.1 + t * 19.9) * (1 - Double.exp(-2 * (0.1 * t + 9.95 * t * t)))
        case .ou: 0.64
        default: Double.pow(0.01 * Double.pow(5000, t), 2) * 2 * Double.log(5000)
        }
      var workspace = reverse.makeWorkspace(rows: 3, columns: 2)
      var drift = Matrix<Double>(rows: 3, columns: 2)
      reverse.drift(x, at: t, into: &drift, workspace: &workspace)
      var flowWorkspace = flow.makeWorkspace(rows: 1, columns: 1)  // resized on first use
      var velocity = Matrix<Double>(rows: 3, columns: 2)
      flow.velocity(x, at: t, into: &velocity, workspace: &flowWorkspace)
      var velocity2 = Matrix<Double>(rows: 3, columns: 2)
      var divergence = [Double](repeating: 0, count: 3)
      flow.velocityAndDivergence(
        x, at: t, into: &velocity2, divergence: &divergence, workspace: &flowWorkspace)
      var velocity3 = Matrix<Double>(rows: 3, columns: 2)
      var vjp = Matrix<Double>(rows: 3, columns: 2)
      flow.velocityAndVectorJacobianProduct(
        x, at: t, probe: probe, into: &velocity3, vjp: &vjp, workspace: &flowWorkspace)
      for (i, point) in points.enumerated() {
        let hand = handScore(sde, point, at: t)
        let f = (a * point.0 + b, a * point.1 + b)
        let expectedDrift = (f.0 - g2 * hand.score.0, f.1 - g2 * hand.score.1)
        let expectedVelocity = (f.0 - g2 / 2 * hand.score.0, f.1 - g2 / 2 * hand.score.1)
        let size = 1e-13 * max(1, abs(expectedDrift.0), abs(expectedDrift.1))
        #expect(abs(drift[i, 0] - expectedDrift.0) < size && abs(drift[i, 1] - expectedDrift.1) < size)
        #expect(
          abs(velocity[i, 0] - expectedVelocity.0) < size && abs(velocity[i, 1] - expectedVelocity.1) < size)
        // The divergence forms use the affine drift a·x + b directly (other rounding order).
        for j in 0..<2 {
          #expect(
            abs(velocity2[i, j] - velocity[i, j]) < size && abs(velocity3[i, j] - velocity[i, j]) < size)
        }
        // ∇·v = d·a − ½g²·(−tr Σ_t⁻¹).
        let expectedDivergence = 2 * a + g2 / 2 * hand.tracePrecision
        #expect(abs(divergence[i] - expectedDivergence) < 1e-13 * max(1, abs(expectedDivergence)))
        // vᵀ∂v/∂x = a·v + ½g²·Σ_t⁻¹v.
        let (p0, p1) = (probe[i, 0], probe[i, 1])
        let precisionProbe = (
          hand.precision.0.0 * p0 + hand.precision.0.1 * p1, hand.precision.1.0 * p0 + hand.precision.1.1 * p1
        )
        let expectedVJP = (a * p0 + g2 / 2 * precisionProbe.0, a * p1 + g2 / 2 * precisionProbe.1)
        let vjpSize = 1e-13 * max(1, abs(expectedVJP.0), abs(expectedVJP.1))
        #expect(abs(vjp[i, 0] - expectedVJP.0) < vjpSize && abs(vjp[i, 1] - expectedVJP.1) < vjpSize)
      }
      #expect(reverse.diffusion(at: t) == sde.diffusion(at: t))
      #expect(reverse.drift(x, at: t) == drift)
      #expect(flow.velocity(x, at: t) == velocity)
    }
    #expect(reverse.endTime == 1 && flow.endTime == 1)
  }
  try process.run { try check($0) }
}

@Test func flowDivergenceMatchesFiniteDifferencesForAMixture() throws {
  // The PF-ODE velocity of a mixture is non-linear; its exact divergence must equal the trace
  // of the finite-difference Jacobian of `velocity`.
  let sde = OrnsteinUhlenbeckSDE<Double>(theta: 1.5, mean: 0.5, sigma: 1.2)
  let oracle = try mixture(sde)
  let flow = ProbabilityFlowODE(process: sde, score: oracle)
  let x = Matrix<Double>([[-1.5, 0.2], [0.8, 0.3], [2, -1]])
  let t = 0.2
  var workspace = flow.makeWorkspace(rows: 3, columns: 2)
  var v = Matrix<Double>(rows: 3, columns: 2)
  var divergence = [Double](repeating: 0, count: 3)
  flow.velocityAndDivergence(x, at: t, into: &v, divergence: &divergence, workspace: &workspace)
  let h = 1e-5
  var trace = [Double](repeating: 0, count: 3)
  for j in 0..<2 {
    var plus = x
    var minus = x
    for i in 0..<3 {
      plus[i, j] += h
      minus[i, j] -= h
    }
    let dv = (flow.velocity(plus, at: t) - flow.velocity(minus, at: t)) * (1 / (2 * h))
    for i in 0..<3 { trace[i] += dv[i, j] }
  }
  for i in 0..<3 { #expect(abs(divergence[i] - trace[i]) < 1e-6 * max(1, abs(trace[i]))) }
}
