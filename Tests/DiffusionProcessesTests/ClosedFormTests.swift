import DiffusionProcesses
import LinearAlgebra
import RealModule
import TestSupport
import Testing

/// The five processes of the module, in Double, with the kinks of their coefficients.
enum Process: String, CaseIterable, CustomStringConvertible {
  case vp, cosine, subVP, ve, ou
  var description: String { rawValue }

  var breakpoints: [Double] { self == .cosine ? [cosineClipTime] : [] }

  func run<R>(_ body: (any GaussianSDE<Double>) throws -> R) rethrows -> R {
    switch self {
    case .vp: return try body(VPSDE<Double>())
    case .cosine: return try body(VPSDE<Double>(schedule: .cosine()))
    case .subVP: return try body(SubVPSDE<Double>())
    case .ve: return try body(VESDE<Double>())
    case .ou: return try body(OrnsteinUhlenbeckSDE<Double>(theta: 2, mean: 1, sigma: 0.8))
    }
  }
}

// MARK: - Against numerical integration

@Test(arguments: [Process.vp, .cosine, .subVP])
func integratedBetaMatchesSimpson(process: Process) {
  func linearBeta(_ t: Double) -> Double { 0.1 + t * 19.9 }
  let beta: (Double) -> Double = process == .cosine ? cosineBeta : linearBeta
  for t in [0.05, 0.3, 0.7, 0.95, 1.0] {
    // ∫₀ᵗ β by composite Simpson, split at the cosine's kink.
    let knots: [Double] = [0] + process.breakpoints.filter { $0 < t } + [t]
    let b = zip(knots, knots.dropFirst()).reduce(0.0) {
      $0 + simpson(from: $1.0, to: $1.1, intervals: 2000, beta)
    }
    process.run { sde in
      let (a, s) = sde.marginal(at: t)
      let logScale: Double = -2 * Double.log(a)
      #expect(relativeError(logScale, b) < 1e-11, "scale at \(t)")
      if process == .subVP {
        #expect(relativeError(s, 1 - Double.exp(-b)) < 1e-11, "std at \(t)")
        let g2 = beta(t) * (1 - Double.exp(-2 * b))
        #expect(relativeError(sde.diffusion(at: t) * sde.diffusion(at: t), g2) < 1e-11, "g² at \(t)")
      } else {
        #expect(relativeError(s * s, 1 - Double.exp(-b)) < 1e-11, "std at \(t)")
        #expect(relativeError(sde.diffusion(at: t) * sde.diffusion(at: t), beta(t)) < 1e-11, "g² at \(t)")
      }
      #expect(relativeError(affineDrift(sde, at: t).a, -beta(t) / 2) < 1e-13, "drift at \(t)")
    }
  }
}

@Test(arguments: Process.allCases)
func kernelMatchesMomentODEs(process: Process) {
  // The mean and variance of a linear SDE solve dm/dt = a·m + b and dv/dt = 2a·v + g², with
  // a, b read off `drift` and g from `diffusion`: the closed-form kernel must agree.
  let x0 = 1.5
  process.run { sde in
    for t in [0.1, 0.5, 1.0] {
      let (mean, variance) = momentsByODE(sde, from: x0, to: t, breakpoints: process.breakpoints)
      let (a, s) = sde.marginal(at: t)
      let shift = sde.marginalShift(at: t)
      #expect(abs(a * x0 + shift - mean) < 1e-10 * max(1, abs(mean)), "mean at \(t)")
      #expect(relativeError(s * s, variance) < 1e-9, "variance at \(t)")
    }
    #expect(sde.marginal(at: 0) == (1, 0))
    #expect(sde.marginalShift(at: 0) == 0)
  }
}

// MARK: - Ornstein–Uhlenbeck by hand

@Test func ornsteinUhlenbeckByHand() {
  let (theta, mu, sigma) = (2.0, 1.0, 0.8)
  let ou = OrnsteinUhlenbeckSDE<Double>(theta: theta, mean: mu, sigma: sigma)
  let x = Matrix<Double>([[0.5, -2], [3, 1]])
  #expect(maxAbsDifference(ou.drift(x, at: 0.3), x.map { -theta * ($0 - mu) }) < 1e-15)
  #expect(ou.diffusion(at: 0.7) == sigma)
  let t = 0.4
  let (a, s) = ou.marginal(at: t)
  #expect(relativeError(a, Double.exp(-theta * t)) < 1e-15)
  #expect(relativeError(ou.marginalShift(at: t), mu * (1 - Double.exp(-theta * t))) < 1e-15)
  #expect(relativeError(s * s, sigma * sigma * (1 - Double.exp(-2 * theta * t)) / (2 * theta)) < 1e-15)
  // Prior: the stationary N(μ, σ²/(2θ)) per coordinate.
  let v = sigma * sigma / (2 * theta)
  let expected = (0..<2).map { i in
    x.row(i).reduce(0) { $0 - ($1 - mu) * ($1 - mu) / (2 * v) - 0.5 * Double.log(2 * Double.pi * v) }
  }
  #expect(zip(ou.priorLogDensity(x), expected).allSatisfy { relativeError($0, $1) < 1e-14 })
}

@Test(arguments: Process.allCases)
func priorSamplesHaveThePriorMoments(process: Process) {
  var rng = Xoshiro256(seed: 11)
  process.run { sde in
    let n = 20_000
    let x = sde.samplePrior(count: n / 2, dimension: 2, using: &rng)
    let m = SampleMoments(x.elements)
    // The prior's moments: N(0, 1) for VP / sub-VP, N(0, 50²) for VE, N(1, 0.8²/4) for OU.
    let (mean, variance): (Double, Double) =
      switch process {
      case .ve: (0, 2500)
      case .ou: (1, 0.16)
      default: (0, 1)
      }
    #expect(abs(m.mean - mean) < 5 * (variance / Double(n)).squareRoot())
    #expect(abs(m.variance - variance) < 5 * variance * (2 / Double(n)).squareRoot())
    // The prior density integrates the same law: E[log p] = −½·log(2πv) − ½ per coordinate.
    let logp = sde.priorLogDensity(x).reduce(0, +) / Double(n / 2)
    let expected = 2 * (-0.5 * Double.log(2 * Double.pi * variance) - 0.5)
    // log p = const − ½χ²₂ per row, and Var(½χ²₂) = 1.
    let standardError: Double = (1 / Double(n / 2)).squareRoot()
    #expect(abs(logp - expected) < 5 * standardError)
  }
}

// MARK: - Transitions

@Test(arguments: Process.allCases)
func transitionsComposeAndMatchMarginals(process: Process) {
  process.run { sde in
    for t in [0.2, 0.9] {
      let k = sde.transition(from: 0, to: t)
      let (a, s) = sde.marginal(at: t)
      #expect(relativeError(k.scale, a) < 1e-14)
      #expect(abs(k.shift - sde.marginalShift(at: t)) < 1e-14)
      #expect(relativeError(k.standardDeviation, s) < 1e-12)
    }
    // Chapman–Kolmogorov for the Gaussian kernel: s → u → t equals s → t.
    let (s, u, t) = (0.15, 0.55, 0.95)
    let su = sde.transition(from: s, to: u)
    let ut = sde.transition(from: u, to: t)
    let st = sde.transition(from: s, to: t)
    #expect(relativeError(ut.scale * su.scale, st.scale) < 1e-13)
    #expect(abs(ut.scale * su.shift + ut.shift - st.shift) < 1e-13)
    let composed =
      ut.standardDeviation * ut.standardDeviation
      + ut.scale * ut.scale * su.standardDeviation * su.standardDeviation
    #expect(relativeError(composed, st.standardDeviation * st.standardDeviation) < 1e-12)
    // The closed forms agree with the protocol's default from the marginals.
    let generic = defaultsOnly(sde).transition(from: s, to: t)
    #expect(relativeError(st.scale, generic.scale) < 1e-13)
    #expect(abs(st.shift - generic.shift) < 1e-13)
    #expect(relativeError(st.standardDeviation, generic.standardDeviation) < 1e-12)
    // Default affine drift, read off drift(), equals the closed form.
    let (c, b) = sde.linearDrift(at: 0.4)
    let (cd, bd) = defaultsOnly(sde).linearDrift(at: 0.4)
    #expect(abs(c - cd) < 1e-14 && abs(b - bd) < 1e-14)
  }
}

@Test func closeTimesTransitionIsAccurateInFloat() {
  // s = 0.5, t = s + 1e-4: std_t² − scale²·std_s² cancels ~4 digits. The naive form in Double
  // (error ~1e-12) is the reference; the Float closed forms must stay within a few Float ulps.
  let s: Float = 0.5
  let t: Float = 0.5001
  let (sd, td) = (Double(s), Double(t))
  let tolerance = 8 * Double(Float.ulpOfOne)
  func integratedBeta(_ u: Double) -> Double { 0.1 * u + 9.95 * u * u }
  let (bs, bt) = (integratedBeta(sd), integratedBeta(td))
  let a = Double.exp(-(bt - bs) / 2)
  let vp = VPSDE<Float>().transition(from: s, to: t)
  #expect(relative(vp.scale, a) < tolerance)
  let vpVariance = (1 - Double.exp(-bt)) - a * a * (1 - Double.exp(-bs))
  #expect(relative(vp.standardDeviation, vpVariance.squareRoot()) < tolerance)
  let sub = SubVPSDE<Float>().transition(from: s, to: t)
  let subVariance = Double.pow(1 - Double.exp(-bt), 2) - a * a * Double.pow(1 - Double.exp(-bs), 2)
  #expect(relative(sub.standardDeviation, subVariance.squareRoot()) < tolerance)
  let ve = VESDE<Float>().transition(from: s, to: t)
  let (sigmaS, sigmaT) = (0.01 * Double.pow(5000, sd), 0.01 * Double.pow(5000, td))
  #expect(relative(ve.standardDeviation, (sigmaT * sigmaT - sigmaS * sigmaS).squareRoot()) < tolerance)
  let ou = OrnsteinUhlenbeckSDE<Float>(theta: 2, mean: 1, sigma: 0.8).transition(from: s, to: t)
  let ouVariance =
    0.16 * (1 - Double.exp(-4 * td)) - Double.exp(-4 * (td - sd)) * 0.16 * (1 - Double.exp(-4 * sd))
  #expect(relative(ou.standardDeviation, ouVariance.squareRoot()) < tolerance)
  #expect(relative(ou.shift, 1 - Double.exp(-2 * (td - sd))) < tolerance)
}

@Test func posteriorIsTheConditionalOfTheJointGaussian() {
  // (x_s, x_t) | x₀ is Gaussian with cov [[v_s, A·v_s], [A·v_s, v_t]]; condition on x_t by hand.
  for process in Process.allCases {
    process.run { sde in
      let (s, t) = (0.3, 0.6)
      let (aS, sdS) = sde.marginal(at: s)
      let (aT, sdT) = sde.marginal(at: t)
      let (bS, bT) = (sde.marginalShift(at: s), sde.marginalShift(at: t))
      let a = aT / aS
      let (vs, vt) = (sdS * sdS, sdT * sdT)
      let post = sde.posterior(from: t, to: s)
      for (x0, xt) in [(0.7, -0.4), (-2.0, 1.5)] {
        let expected = aS * x0 + bS + a * vs / vt * (xt - (aT * x0 + bT))
        let mean = post.dataCoefficient * x0 + post.stateCoefficient * xt + post.offset
        #expect(abs(mean - expected) < 1e-12 * max(1, abs(expected)), "\(process)")
      }
      #expect(
        relativeError(post.standardDeviation * post.standardDeviation, vs - a * a * vs * vs / vt) < 1e-11)
    }
  }
}

// MARK: - Signal-to-noise ratio and inverse times

@Test(arguments: Process.allCases)
func inverseTimesRoundTrip(process: Process) {
  process.run { sde in
    for t in [1e-3, 0.1, 0.5, 0.9] {
      let (a, s) = sde.marginal(at: t)
      #expect(relativeError(sde.signalToNoiseRatio(at: t), a * a / (s * s)) < 1e-15)
      #expect(abs(sde.logSignalToNoiseRatio(at: t) - Double.log(a * a / (s * s))) < 1e-13)
      // Closed forms.
      #expect(abs(sde.time(atStandardDeviation: s) - t) < 1e-9 * max(t, 1e-2), "std at \(t)")
      #expect(
        abs(sde.time(atLogSignalToNoiseRatio: sde.logSignalToNoiseRatio(at: t)) - t) < 1e-11, "λ at \(t)")
      // The protocol's bisection defaults find the same time.
      let generic = defaultsOnly(sde)
      #expect(abs(generic.time(atStandardDeviation: s) - t) < 1e-9 * max(t, 1e-2), "bisection std at \(t)")
      #expect(abs(generic.time(atLogSignalToNoiseRatio: sde.logSignalToNoiseRatio(at: t)) - t) < 1e-11)
    }
  }
}

@Test(arguments: [false, true])
func inverseTimesAreBackwardStable(single: Bool) {
  // In either precision, std(time(atStandardDeviation: σ)) = σ to a few ulps.
  func check<S: BLASScalar>(_ sde: some GaussianSDE<S>) {
    for sigma: S in [1e-3, 0.05, 0.3, 0.8, 0.99] {
      let t = sde.time(atStandardDeviation: sigma)
      #expect(relative(sde.marginal(at: t).standardDeviation, Double(sigma)) < 16 * Double(S.ulpOfOne))
    }
    for lambda: S in [-6, -1, 0, 3, 10] {
      let t = sde.time(atLogSignalToNoiseRatio: lambda)
      #expect(abs(Double(sde.logSignalToNoiseRatio(at: t) - lambda)) < 64 * Double(S.ulpOfOne) * 10)
    }
  }
  func all<S: BLASScalar>(_: S.Type) {
    check(VPSDE<S>())
    check(VPSDE<S>(schedule: .cosine()))
    check(SubVPSDE<S>())
    check(VESDE<S>())
    check(OrnsteinUhlenbeckSDE<S>(theta: 2, mean: 1, sigma: 2))
  }
  if single { all(Float.self) } else { all(Double.self) }
}

@Test func cosineScheduleIsClippedContinuously() {
  let schedule = CosineNoiseSchedule<Double>()
  // β is continuous at the clip and constant after it; B is continuous and then linear.
  let below = schedule.beta(at: cosineClipTime - 1e-9)
  #expect(abs(below - 20) < 1e-5)
  #expect(schedule.beta(at: cosineClipTime + 1e-9) == 20)
  let knee = schedule.integratedBeta(at: cosineClipTime)
  #expect(relativeError(schedule.integratedBeta(at: 1), knee + 20 * (1 - cosineClipTime)) < 1e-14)
  // Inverse on both sides of the clip.
  for t in [1e-5, 0.3, cosineClipTime, 0.95, 1] {
    #expect(abs(schedule.time(atIntegratedBeta: schedule.integratedBeta(at: t)) - t) < 1e-12)
  }
  let linear = LinearNoiseSchedule<Double>()
  for t in [1e-5, 0.3, 1] {
    #expect(abs(linear.time(atIntegratedBeta: linear.integratedBeta(at: t)) - t) < 1e-15)
  }
}
