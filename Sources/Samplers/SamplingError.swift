/// A sampler or integrator failure that depends on the data or the model, not on the caller's
/// code: the state stopped being finite, or an adaptive solver could not meet its tolerance.
///
/// Every case names the step and the time where it happened, so a diverging score network can be
/// located:
///
/// ```swift
/// do { _ = try sampler.sample(count: 1000, dimension: 2) }
/// catch let error as SamplingError { print(error) }   // "Step 12 (t = 0.57): …"
/// ```
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The state held NaN or infinite entries after step `step` (counted from 0), which ended at
  /// time `time`.
  case nonFinite(step: Int, time: Double)
  /// An adaptive solver shrank its step below what the time's precision resolves (`stepSize`
  /// relative to `time`): the problem is too stiff or the tolerance too tight.
  case stepSizeUnderflow(time: Double, stepSize: Double)
  /// An adaptive solver took `maximumSteps` steps and reached only `time`.
  case tooManySteps(maximumSteps: Int, time: Double)

  /// A sentence saying what went wrong and where.
  public var description: String {
    switch self {
    case .nonFinite(let step, let time):
      return "Step \(step) (t = \(time)): the state contains NaN or infinite entries"
    case .stepSizeUnderflow(let time, let h):
      return "At t = \(time): the adaptive step size fell to \(h), below the time's resolution"
    case .tooManySteps(let maximumSteps, let time):
      return "The adaptive solver took \(maximumSteps) steps and reached only t = \(time)"
    }
  }
}
