import DiffusionProcesses
import LinearAlgebra
import RealModule

/// The affine drift `f(x, t) = a·x + b` of a 1-D linear SDE, read off `drift` at `x = 0` and `x = 1`.
func affineDrift<S: SDE>(_ sde: S, at t: Double) -> (a: Double, b: Double) where S.Scalar == Double {
  let f = sde.drift(Matrix<Double>(rows: 2, columns: 1, elements: [0, 1]), at: t)
  return (f[1, 0] - f[0, 0], f[0, 0])
}

/// Mean and variance of the SDE started at `x0`, by classical RK4 on the moment ODEs
///   dm/dt = a(t)·m + b(t),   dv/dt = 2a(t)·v + g(t)²,
/// over `[0, t]`, split at `breakpoints` (kinks of the coefficients) into pieces of `steps` steps.
func momentsByODE<S: SDE>(
  _ sde: S, from x0: Double, to t: Double, breakpoints: [Double] = [], steps: Int = 2000
) -> (mean: Double, variance: Double) where S.Scalar == Double {
  func rhs(_ u: Double, _ y: (Double, Double)) -> (Double, Double) {
    let (a, b) = affineDrift(sde, at: u)
    let g = sde.diffusion(at: u)
    return (a * y.0 + b, 2 * a * y.1 + g * g)
  }
  var y = (x0, 0.0)
  let knots = [0.0] + breakpoints.filter { $0 > 0 && $0 < t } + [t]
  for (lo, hi) in zip(knots, knots.dropFirst()) {
    let h = (hi - lo) / Double(steps)
    for i in 0..<steps {
      let u = lo + Double(i) * h
      let k1 = rhs(u, y)
      let k2 = rhs(u + h / 2, (y.0 + h / 2 * k1.0, y.1 + h / 2 * k1.1))
      let k3 = rhs(u + h / 2, (y.0 + h / 2 * k2.0, y.1 + h / 2 * k2.1))
      let k4 = rhs(u + h, (y.0 + h * k3.0, y.1 + h * k3.1))
      y.0 += h / 6 * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0)
      y.1 += h / 6 * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1)
    }
  }
  return (y.0, y.1)
}

/// The relative error `|a − b| / |b|` in Double.
func relative<S: BinaryFloatingPoint>(_ a: S, _ b: Double) -> Double {
  abs(Double(a) - b) / abs(b)
}

/// The clip time `t*` of the default cosine schedule, written independently of the library:
/// π·tan(θ(t*))/(1 + s) = 20 with θ(t) = ((t + s)/(1 + s))·π/2, s = 0.008.
let cosineClipTime: Double = {
  let s = 0.008
  return Double.atan(20 * (1 + s) / Double.pi) * 2 * (1 + s) / Double.pi - s
}()

/// The default cosine β(t) = min(π·tan(((t + s)/(1 + s))·π/2)/(1 + s), 20), written independently.
func cosineBeta(_ t: Double) -> Double {
  let s = 0.008
  return min(Double.pi * Double.tan((t + s) / (1 + s) * Double.pi / 2) / (1 + s), 20)
}

/// A Gaussian SDE that forwards only `marginal`, `marginalShift` and the `SDE` requirements, so
/// that the protocol's default implementations (transitions from marginals, bisection, affine
/// drift read off `drift`) are what runs.
struct DefaultsOnly<Base: GaussianSDE>: GaussianSDE {
  typealias Scalar = Base.Scalar
  let base: Base
  var endTime: Scalar { base.endTime }
  func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    base.drift(x, at: t, into: &out)
  }
  func diffusion(at t: Scalar) -> Scalar { base.diffusion(at: t) }
  func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G) -> Matrix<Scalar>
  {
    base.samplePrior(count: count, dimension: dimension, using: &rng)
  }
  func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] { base.priorLogDensity(x) }
  func marginal(at t: Scalar) -> (scale: Scalar, standardDeviation: Scalar) { base.marginal(at: t) }
  func marginalShift(at t: Scalar) -> Scalar { base.marginalShift(at: t) }
}

/// `DefaultsOnly(base:)`, opening an existential.
func defaultsOnly<S: GaussianSDE>(_ sde: S) -> any GaussianSDE<S.Scalar> { DefaultsOnly(base: sde) }
