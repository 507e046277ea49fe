import DiffusionProcesses
import LinearAlgebra
import Testing

// Reference values of score_sde (yang-song/score_sde_pytorch, sde_lib.py) at its default
// parameters (VP/sub-VP β ∈ [0.1, 20], VE σ ∈ [0.01, 50]) and of Nichol & Dhariwal's cosine
// ᾱ(t) = f(t)/f(0), f(t) = cos²(((t + 0.008)/1.008)·π/2). Produced by transcribing
// `marginal_prob`, `sde` and `prior_logp` into Python and evaluating them with mpmath at 50
// digits (plain numpy float64 loses ~1e-10 relative at t = 1e-5 in `1 − exp(small)`):
//   VP scale  = exp(−¼t²(β₁−β₀) − ½tβ₀),  VP std = √(1 − exp(2·log_mean_coeff)),
//   subVP std = 1 − exp(2·log_mean_coeff), subVP g = √(β(t)(1 − exp(−2β₀t − (β₁−β₀)t²))),
//   VE σ(t) = σ_min(σ_max/σ_min)^t, g = σ(t)√(2(log σ_max − log σ_min)).
let referenceTimes = [1e-5, 0.1, 0.5, 1.0]
let vpScale = [0.99999949950262525, 0.94672179882059807, 0.28118288079675238, 0.006571586494929615]
let vpStd = [0.0010004971259352383, 0.32205253552470446, 0.95965420206803625, 0.99997840689233868]
let vpDiffusion = [0.31654225626288823, 1.445683229480096, 3.1701734968294716, 4.4721359549995794]
let subVPStd = [1.0009944990046722e-6, 0.10371783563789103, 0.92093618754683934, 0.99995681425093966]
let subVPDiffusion = [0.0004478807823664056, 0.64113774577614799, 3.1602494492178514, 4.4721359508292927]
/// score_sde's VE "std" σ(t); ScoreSDE's exact kernel has std² = σ(t)² − σ_min².
let veSigma = [0.010000851755591461, 0.023436729115920994, 0.70710678118654752, 50.0]
let veDiffusion = [0.041276250233257105, 0.096729790549785585, 2.9184230658724306, 206.363674024963]
/// prior_logp of z = (0.3, −1.2, 2.0).
let vpPriorLogP = -5.5218155996140182
let vePriorLogP = -14.493990615898456
/// Cosine schedule at t = 1e-5, 0.1, 0.5, 0.9 (all before the clip at t* ≈ 0.9008).
let cosineTimes = [1e-5, 0.1, 0.5, 0.9]
let cosineScale = [0.99999980559720181, 0.98594763406276764, 0.70274005894116902, 0.15521508992390481]
let cosineStd = [0.00062354274799782619, 0.16705467035084899, 0.71144670184024487, 0.98788069920406591]
let cosineBetaReference = [0.038904851111582957, 0.52954172708590879, 3.1557578609752193, 19.837844538340551]
/// With β clipped at 20 after t* = 0.90079787042589538: B(1) = B(t*) + 20(1 − t*).
let cosineScaleAtOne = 0.057102292364739013
let cosineStdAtOne = 0.99836833293463984

/// Relative tolerance for closed forms in precision S: a few dozen ulps (the exponent B(t) ≤ 10
/// amplifies rounding of B by B in exp(−B/2)).
func closedFormTolerance<S: BLASScalar>(_: S.Type) -> Double { 64 * Double(S.ulpOfOne) }

@Test(arguments: [false, true])
func vpMatchesSongEtAl(single: Bool) {
  func check<S: BLASScalar>(_: S.Type) {
    let sde = VPSDE<S>()
    let tol = closedFormTolerance(S.self)
    for (i, t) in referenceTimes.enumerated() {
      let (a, s) = sde.marginal(at: S(t))
      #expect(relative(a, vpScale[i]) < tol, "scale at \(t)")
      #expect(relative(s, vpStd[i]) < tol, "std at \(t)")
      #expect(relative(sde.diffusion(at: S(t)), vpDiffusion[i]) < tol, "g at \(t)")
      let f = sde.drift(Matrix<S>([[2]]), at: S(t))
      #expect(relative(f[0, 0], -(0.1 + t * 19.9)) < tol, "drift at \(t)")
    }
    let z = Matrix<S>([[0.3, -1.2, 2.0]])
    #expect(relative(sde.priorLogDensity(z)[0], vpPriorLogP) < tol)
  }
  if single { check(Float.self) } else { check(Double.self) }
}

@Test(arguments: [false, true])
func subVPMatchesSongEtAl(single: Bool) {
  func check<S: BLASScalar>(_: S.Type) {
    let sde = SubVPSDE<S>()
    let tol = closedFormTolerance(S.self)
    for (i, t) in referenceTimes.enumerated() {
      let (a, s) = sde.marginal(at: S(t))
      #expect(relative(a, vpScale[i]) < tol, "scale at \(t)")
      #expect(relative(s, subVPStd[i]) < tol, "std at \(t)")
      #expect(relative(sde.diffusion(at: S(t)), subVPDiffusion[i]) < tol, "g at \(t)")
      let f = sde.drift(Matrix<S>([[2]]), at: S(t))
      #expect(relative(f[0, 0], -(0.1 + t * 19.9)) < tol, "drift at \(t)")
    }
    #expect(relative(sde.priorLogDensity(Matrix<S>([[0.3, -1.2, 2.0]]))[0], vpPriorLogP) < tol)
  }
  if single { check(Float.self) } else { check(Double.self) }
}

@Test(arguments: [false, true])
func veMatchesSongEtAl(single: Bool) {
  func check<S: BLASScalar>(_: S.Type) {
    let sde = VESDE<S>()
    let tol = closedFormTolerance(S.self)
    for (i, t) in referenceTimes.enumerated() {
      let (a, s) = sde.marginal(at: S(t))
      #expect(a == 1)
      #expect(relative(sde.sigma(at: S(t)), veSigma[i]) < tol, "σ at \(t)")
      // The exact kernel: std² = σ(t)² − σ_min² (see VESDE's kernel choice).
      let exact = (veSigma[i] * veSigma[i] - 1e-4).squareRoot()
      // At t = 1e-5, σ² − σ_min² cancels 4 digits in the reference itself (Double: ~1e-12).
      #expect(relative(s, exact) < max(tol, 1e-11), "std at \(t)")
      #expect(relative(sde.diffusion(at: S(t)), veDiffusion[i]) < tol, "g at \(t)")
      #expect(sde.drift(Matrix<S>([[2, -3]]), at: S(t)) == Matrix<S>([[0, 0]]))
    }
    #expect(relative(sde.priorLogDensity(Matrix<S>([[0.3, -1.2, 2.0]]))[0], vePriorLogP) < tol)
  }
  if single { check(Float.self) } else { check(Double.self) }
}

@Test(arguments: [false, true])
func cosineMatchesNicholDhariwal(single: Bool) {
  func check<S: BLASScalar>(_: S.Type) {
    let sde = VPSDE<S>(schedule: .cosine())
    let tol = closedFormTolerance(S.self)
    for (i, t) in cosineTimes.enumerated() {
      let (a, s) = sde.marginal(at: S(t))
      #expect(relative(a, cosineScale[i]) < tol, "scale at \(t)")
      #expect(relative(s, cosineStd[i]) < tol, "std at \(t)")
      #expect(relative(sde.beta(at: S(t)), cosineBetaReference[i]) < tol, "β at \(t)")
      #expect(relative(sde.diffusion(at: S(t)), cosineBetaReference[i].squareRoot()) < tol, "g at \(t)")
    }
    let (a1, s1) = sde.marginal(at: 1)
    #expect(relative(a1, cosineScaleAtOne) < tol)
    #expect(relative(s1, cosineStdAtOne) < tol)
    #expect(sde.beta(at: 0.95) == 20)
    #expect(sde.beta(at: 1) == 20)
  }
  if single { check(Float.self) } else { check(Double.self) }
}
