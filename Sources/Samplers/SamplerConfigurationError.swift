/// A ``Sampler`` whose options ask for something its process does not have: thrown when a
/// sampler on a process that is only a ``LinearGaussianSDE`` is built (or checked with
/// ``Sampler/validateOptions()``), so that a wrong combination is an error at construction, not
/// a crash or a wrong answer while sampling.
///
/// A ``GaussianSDE`` (a scalar kernel `x_t = a(t)·x₀ + b(t) + σ(t)·z`) takes every kind but
/// `sscs`; a general linear process (``LinearSDE``) takes Euler–Maruyama and the
/// probability-flow kinds, `sra` and `adaptive-sde` when its diffusion is scalar, and `sscs`
/// when it is critically-damped Langevin diffusion (``CriticallyDampedLangevin``).
///
/// ```swift
/// do {
///   _ = try Sampler(process: linear, score: oracle, options: SamplingOptions(kind: .dpmSolver(steps: 10)))
/// } catch {
///   print(error)   // "dpm needs a process with a scalar kernel (a GaussianSDE); this one takes em, …"
/// }
/// ```
public enum SamplerConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The kind's update is written in a scalar kernel (``SamplerName/needsScalarKernel``);
  /// `alternatives` are the kinds the process takes.
  case needsScalarKernel(SamplerName, alternatives: [SamplerName])
  /// The kind cannot apply the process's matrix diffusion (``SamplerName/needsScalarDiffusion``).
  case needsScalarDiffusion(SamplerName, alternatives: [SamplerName])
  /// `sscs` on a process that is not critically-damped Langevin diffusion.
  case needsCriticallyDampedLangevin(SamplerName)
  /// Posterior sampling by replacement (``SamplingOptions/observation``) is written in a scalar
  /// kernel.
  case observationNeedsScalarKernel
  /// Tweedie's denoising step (``SamplingOptions/denoise`` set to `true`) on critically-damped
  /// Langevin samples, where it is not defined from the velocity score alone.
  case denoisingNeedsPositionScore

  /// One sentence: what was asked, why the process cannot do it, and what it takes instead.
  public var description: String {
    func list(_ names: [SamplerName]) -> String { names.map(\.rawValue).joined(separator: ", ") }
    switch self {
    case .needsScalarKernel(let name, let alternatives):
      return "\(name.rawValue) needs a process with a scalar kernel (a GaussianSDE); this process takes "
        + list(alternatives)
    case .needsScalarDiffusion(let name, let alternatives):
      return "\(name.rawValue) draws its noise per coordinate and cannot apply a matrix diffusion; "
        + "this process takes \(list(alternatives))"
    case .needsCriticallyDampedLangevin(let name):
      return "\(name.rawValue) samples critically-damped Langevin diffusion only: build the Sampler "
        + "from a CriticallyDampedLangevin, or choose em, euler, heun, ode or adaptive"
    case .observationNeedsScalarKernel:
      return "posterior sampling by replacement (an observation) needs a process with a scalar kernel "
        + "(a GaussianSDE)"
    case .denoisingNeedsPositionScore:
      return "Tweedie's denoising step is not defined for critically-damped Langevin samples (their "
        + "positions end with no fresh noise and the model gives only the velocity score): leave "
        + "denoise unset"
    }
  }
}
