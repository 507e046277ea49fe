import DiffusionProcesses
import Foundation
import LinearAlgebra
import Testing

/// Every kernel over `[s, t]` refuses `s > t`, a negative `s` and NaN with one message naming the
/// call, and every schedule's inverse refuses a negative or NaN integral: the closed forms, the
/// protocols' defaults (``DefaultsOnly``, ``RateOnly``) and the tabulated schedule each check.
@Test func transitionsAndScheduleInversesRefuseImpossibleArguments() async {
  let cases = [
    "vp", "subVP", "ve", "ou", "linear", "default", "vp-nan", "default-negative",
    "B-linear", "B-cosine", "B-rate", "B-numerical", "B-nan",
  ]
  for name in cases {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [name = name as String] in
      switch name {
      case "vp": _ = VPSDE<Double>().transition(from: 0.5, to: 0.2)
      case "subVP": _ = SubVPSDE<Double>().transition(from: 0.5, to: 0.2)
      case "ve": _ = VESDE<Double>().transition(from: 0.5, to: 0.2)
      case "ou":
        _ = OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: 1, sigma: 0.8).transition(from: 0.5, to: 0.2)
      case "linear":
        let sde = try! LinearSDE(
          drift: Matrix<Double>([[-0.5, 0], [0, -1]]), noise: Matrix([[1, 0], [0, 1]]))
        _ = sde.transition(from: 0.5, to: 0.2)
      case "default": _ = DefaultsOnly(base: VPSDE<Double>()).transition(from: 0.5, to: 0.2)
      case "vp-nan": _ = VPSDE<Double>().transition(from: .nan, to: 0.2)
      case "default-negative": _ = DefaultsOnly(base: VESDE<Double>()).transition(from: -0.1, to: 0.2)
      case "B-linear": _ = LinearNoiseSchedule<Double>().time(atIntegratedBeta: -1)
      case "B-cosine": _ = CosineNoiseSchedule<Double>().time(atIntegratedBeta: -1)
      case "B-rate": _ = RateOnly<Double>(betaMin: 0.1, betaMax: 20).time(atIntegratedBeta: -1)
      case "B-numerical": _ = NumericalNoiseSchedule<Double> { 0.1 + 19.9 * $0 }.time(atIntegratedBeta: -1)
      default: _ = LinearNoiseSchedule<Double>().time(atIntegratedBeta: .nan)
      }
    }
    let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    let message =
      name.hasPrefix("B-") ? "time(atIntegratedBeta:) needs a non-negative integral" : "needs 0 ≤ s ≤ t"
    #expect(stderr.contains(message), "\(name): \(stderr.suffix(300))")
  }
}

/// A process's parameters have one rule, read by its initialiser (a trap) and by
/// `SDEDescription.validationFailure` (a message, for files): every impossible setting below is
/// refused by both with the same words. Before, the linear schedule's initialiser took an infinite
/// `β_max` that a description refused.
@Test func processInitialisersAndDescriptionsShareTheirRules() async {
  let cases: [(name: String, description: SDEDescription)] = [
    ("linear-infinite", SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: .infinity)))),
    ("linear-decreasing", SDEDescription(.subVP(schedule: .linear(betaMin: 5, betaMax: 1)))),
    ("cosine-clip", SDEDescription(.vp(schedule: .cosine(offset: 0.008, maximumBeta: 0.01)))),
    ("ve", SDEDescription(.ve(sigmaMin: 1, sigmaMax: 0.5))),
    ("ou", SDEDescription(.ornsteinUhlenbeck(theta: 1, mean: .nan, sigma: 1))),
    (
      "cld",
      SDEDescription(
        .criticallyDampedLangevin(
          dimension: 2, mass: -1, initialVelocityScale: 0.04, schedule: .linear(betaMin: 4, betaMax: 4)))
    ),
    ("end-time", SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 50), endTime: .infinity)),
  ]
  for (name, description) in cases {
    guard let failure = description.validationFailure else {
      Issue.record("\(name): the description \(description) passed")
      continue
    }
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [name = name as String] in
      switch name {
      case "linear-infinite": _ = LinearNoiseSchedule<Double>(betaMin: 0.1, betaMax: .infinity)
      case "linear-decreasing": _ = LinearNoiseSchedule<Double>(betaMin: 5, betaMax: 1)
      case "cosine-clip": _ = CosineNoiseSchedule<Double>(offset: 0.008, maximumBeta: 0.01)
      case "ve": _ = VESDE<Double>(sigmaMin: 1, sigmaMax: 0.5)
      case "ou": _ = OrnsteinUhlenbeckSDE<Double>(theta: 1, mean: .nan, sigma: 1)
      case "cld": _ = CriticallyDampedLangevin<Double>(dimension: 2, mass: -1)
      default: _ = VESDE<Double>(endTime: .infinity)
      }
    }
    let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(stderr.contains(failure), "\(name): '\(failure)' not in \(stderr.suffix(300))")
  }
}
