import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// A schedule that writes only `β`, so the protocol's numerical defaults (Gauss–Legendre
/// integral, Newton inverse) are what runs.
struct RateOnly<Scalar: BLASScalar>: NoiseSchedule {
  let betaMin: Scalar
  let betaMax: Scalar
  func beta(at t: Scalar) -> Scalar { betaMin + t * (betaMax - betaMin) }
}

/// The largest relative errors of `numerical`'s `B(t)`, `B(s, t)` and `B⁻¹` against `exact` on a
/// grid of `[0, 1]` that does not fall on the tabulated nodes.
func scheduleErrors<S: BLASScalar>(
  _ numerical: some NoiseSchedule<S>, _ exact: some NoiseSchedule<S>
) -> (integral: Double, increment: Double, inverse: Double) {
  var errors = (integral: 0.0, increment: 0.0, inverse: 0.0)
  for i in 1...997 {
    let t = S(Double(i) / 997)
    let b = exact.integratedBeta(at: t)
    errors.integral = max(errors.integral, Double(relativeError(numerical.integratedBeta(at: t), b)))
    let s = t * S(0.9)
    let d = exact.integratedBeta(from: s, to: t)
    errors.increment = max(
      errors.increment, Double(relativeError(numerical.integratedBeta(from: s, to: t), d)))
    errors.inverse = max(errors.inverse, Double(relativeError(numerical.time(atIntegratedBeta: b), t)))
  }
  return errors
}

@Test(arguments: [false, true])
func numericalScheduleMatchesTheClosedForms(single: Bool) {
  /// Tolerances on the largest relative errors of `B(t)` and `B⁻¹`, and of `B(0.9t, t)`.
  func check<S: BLASScalar>(_: S.Type, linear: (Double, Double), cosine: (Double, Double)) {
    let exactLinear = LinearNoiseSchedule<S>()
    let exactCosine = CosineNoiseSchedule<S>()
    let numericalLinear = NumericalNoiseSchedule<S> { exactLinear.beta(at: $0) }
    // Split at the clip, where β′ jumps.
    let numericalCosine = NumericalNoiseSchedule<S>(breakpoints: [exactCosine.clipTime]) {
      exactCosine.beta(at: $0)
    }
    let l = scheduleErrors(numericalLinear, exactLinear)
    let c = scheduleErrors(numericalCosine, exactCosine)
    #expect(l.integral < linear.0 && l.inverse < linear.0 && l.increment < linear.1, "linear \(l)")
    #expect(c.integral < cosine.0 && c.inverse < cosine.0 && c.increment < cosine.1, "cosine \(c)")
    // β itself is the closure's.
    #expect(numericalCosine.beta(at: 0.5) == exactCosine.beta(at: 0.5))
  }
  // Achieved with the default 4096 panels, in Double: linear 4.3e-16 (B), 2.6e-16 (B⁻¹),
  // 2.2e-15 (B(0.9t, t)); cosine 1.2e-12, 1.0e-12, 2.8e-11. In Float: ≤ 5.5e-7 (a few ulps).
  if single {
    check(Float.self, linear: (1e-6, 1e-6), cosine: (2e-6, 2e-6))
  } else {
    check(Double.self, linear: (2e-15, 1e-14), cosine: (5e-12, 1e-10))
  }
}

@Test func numericalScheduleWithoutTheBreakpointIsLessAccurate() {
  // The clip is a kink of β: without it on the grid, cubic Hermite interpolation is O(h²) on
  // that panel. Achieved: 2.4e-8 (B), 5.1e-9 (B⁻¹), 7.2e-8 (B(0.9t, t)), against 1e-12 with it.
  let cosine = CosineNoiseSchedule<Double>()
  let numerical = NumericalNoiseSchedule<Double> { cosine.beta(at: $0) }
  let e = scheduleErrors(numerical, cosine)
  #expect(e.integral < 1e-7 && e.inverse < 1e-7 && e.increment < 3e-7, "\(e)")
}

@Test(arguments: [false, true])
func protocolDefaultsMatchTheLinearClosedForm(single: Bool) {
  func check<S: BLASScalar>(_: S.Type, integral: Double, increment: Double) {
    let e = scheduleErrors(RateOnly<S>(betaMin: 0.1, betaMax: 20), LinearNoiseSchedule<S>())
    #expect(e.integral < integral && e.inverse < integral && e.increment < increment, "\(e)")
  }
  // Achieved in Double: 1.7e-15 (B), 8.7e-16 (B⁻¹), 3.0e-14 (B(0.9t, t)); in Float ≤ 1.8e-7.
  if single {
    check(Float.self, integral: 1e-6, increment: 1e-6)
  } else {
    check(Double.self, integral: 4e-15, increment: 1e-13)
  }
}

@Test(arguments: [false, true])
func vpWithANumericalScheduleMatchesTheClosedForm(single: Bool) {
  func check<S: BLASScalar>(_: S.Type, tolerance: S) {
    let exact = VPSDE<S>(schedule: .cosine())
    let cosine = CosineNoiseSchedule<S>()
    let numerical = VPSDE(
      schedule: NumericalNoiseSchedule<S>(breakpoints: [cosine.clipTime]) { cosine.beta(at: $0) })
    let subExact = SubVPSDE<S>(betaMin: 0.1, betaMax: 20)
    let subNumerical = SubVPSDE(schedule: NumericalNoiseSchedule<S> { 0.1 + 19.9 * $0 })
    for t: S in [1e-3, 0.1, 0.5, 0.9, 0.95, 1] {
      #expect(relativeError(numerical.marginal(at: t).scale, exact.marginal(at: t).scale) < tolerance)
      #expect(
        relativeError(numerical.marginal(at: t).standardDeviation, exact.marginal(at: t).standardDeviation)
          < tolerance)
      #expect(relativeError(numerical.diffusion(at: t), exact.diffusion(at: t)) < tolerance)
      #expect(
        relativeError(
          subNumerical.marginal(at: t).standardDeviation, subExact.marginal(at: t).standardDeviation)
          < tolerance)
      #expect(relativeError(subNumerical.diffusion(at: t), subExact.diffusion(at: t)) < tolerance)
      let sigma = exact.marginal(at: t).standardDeviation
      if sigma < 1 { #expect(abs(numerical.time(atStandardDeviation: sigma) - t) < tolerance) }
    }
  }
  if single { check(Float.self, tolerance: 1e-5) } else { check(Double.self, tolerance: 1e-11) }
}

@Test func enumSpellingsAndWrappingKeepWorking() {
  // The spellings of the former `NoiseSchedule` enum.
  let vp = VPSDE<Float>()
  #expect(vp == VPSDE<Float>(schedule: .linear(betaMin: 0.1, betaMax: 20)))
  #expect(vp == VPSDE<Float>(betaMin: 0.1, betaMax: 20))
  #expect(vp == VPSDE(schedule: LinearNoiseSchedule<Float>()))
  #expect(VPSDE<Float>(schedule: .cosine()) == VPSDE(schedule: CosineNoiseSchedule<Float>()))
  #expect(VPSDE<Float>(schedule: .cosine()) != vp)
  let linear: LinearNoiseSchedule<Double> = .linear(betaMin: 1, betaMax: 2)
  #expect(linear.betaMax == 2)
  // Wrapping is idempotent and keeps the closed forms by value.
  let any = AnyNoiseSchedule(AnyNoiseSchedule(CosineNoiseSchedule<Double>()))
  #expect(any == .cosine())
  #expect(any.base is CosineNoiseSchedule<Double>)
  #expect(any.integratedBeta(at: 0.97) == CosineNoiseSchedule<Double>().integratedBeta(at: 0.97))
  // Other schedules are boxed and compared by value.
  let rate = RateOnly<Double>(betaMin: 0.1, betaMax: 20)
  #expect(AnyNoiseSchedule(rate) == AnyNoiseSchedule(rate))
  #expect(AnyNoiseSchedule(rate) != AnyNoiseSchedule(LinearNoiseSchedule<Double>()))
  #expect(Set([AnyNoiseSchedule(rate), AnyNoiseSchedule(rate), .linear()]).count == 2)
  let table = NumericalNoiseSchedule<Double> { 0.1 + 19.9 * $0 }
  #expect(table == NumericalNoiseSchedule<Double> { 0.1 + 19.9 * $0 })
  // The text of the former enum (a trainer checkpoint's process signature) is unchanged.
  #expect(
    String(describing: VPSDE<Float>())
      == "VPSDE<Float>(schedule: DiffusionProcesses.NoiseSchedule<Swift.Float>.linear(betaMin: 0.1, betaMax: 20.0), endTime: 1.0)"
  )
  #expect(
    String(describing: SubVPSDE<Double>(schedule: .cosine(), endTime: 2))
      == "SubVPSDE<Double>(schedule: DiffusionProcesses.NoiseSchedule<Swift.Double>.cosine(offset: 0.008, maximumBeta: 20.0), endTime: 2.0)"
  )
  // A process with a schedule that has no description cannot be described.
  #expect(SDEDescription(VPSDE(schedule: table)) == nil)
  #expect(SDEDescription(VPSDE<Double>(schedule: .cosine()))?.name == "cosine")
}
