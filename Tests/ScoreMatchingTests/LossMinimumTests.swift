import DiffusionProcesses
import LinearAlgebra
import RealModule
import ScoreMatching
import TestSupport
import Testing

/// One Monte Carlo check of the loss at the exact score: the process, the options, ε and a label.
struct MinimumCase: Sendable, CustomTestStringConvertible {
  let process: StandardSDE<Double>
  let options: DenoisingOptions
  var testDescription: String {
    "\(process.processDescription.name) \(options.parameterization) λ=\(options.weighting) "
      + "q=\(options.resolvedProposal) ε=\(options.smallTimeCutoff)"
  }
}

let vp = StandardSDE<Double>(SDEDescription(.vp(schedule: .linear(betaMin: 0.1, betaMax: 20))))

/// Every weighting × parameterisation on VP (the heavy-tailed weightings with importance-sampled
/// times, whose per-row losses have a bounded variance), and the ε-loss on the other processes.
let minimumCases: [MinimumCase] = {
  var cases: [MinimumCase] = []
  for weighting in LossWeighting.allCases {
    for parameterization in Parameterization.allCases {
      cases.append(
        MinimumCase(
          process: vp,
          options: DenoisingOptions(
            parameterization: parameterization, weighting: weighting,
            proposal: weighting == .noise ? .uniform : .importance, smallTimeCutoff: 1e-3)))
    }
  }
  // EDM as Karras et al. train it: preconditioned output, EDM weighting, log-normal σ.
  cases.append(
    MinimumCase(
      process: vp,
      options: DenoisingOptions(
        parameterization: .edm(), weighting: .edm, proposal: .logNormal, smallTimeCutoff: 1e-3)))
  let others: [SDEDescription] = [
    SDEDescription(.vp(schedule: .cosine(offset: 0.008, maximumBeta: 20))),
    SDEDescription(.subVP(schedule: .linear(betaMin: 0.1, betaMax: 20))),
    SDEDescription(.ve(sigmaMin: 0.01, sigmaMax: 50)),
    SDEDescription(.ornsteinUhlenbeck(theta: 2, mean: 0.5, sigma: 1.5)),
  ]
  for description in others {
    cases.append(
      MinimumCase(process: StandardSDE(description), options: DenoisingOptions(smallTimeCutoff: 1e-5)))
  }
  return cases
}()

/// At the exact score, the loss is its minimum
///
///     J* = (1/(T − ε)) ∫_ε^T λ(t)·Σ_k a²λ_k / (σ²(a²λ_k + σ²)) dt
///
/// (for the ε-loss, `E‖ε* − z‖² = d − σ² tr Σ_t⁻¹ = Σ_k a²λ_k/(a²λ_k + σ²)` per time, since
/// `ε* = E[z | x_t]`); an ε-space offset η (`ε̂ = ε* + η`) raises it by exactly
/// `(1/(T − ε)) ∫ λ(t)‖η‖²/σ² dt` in expectation (the cross term has mean 0 because the exact
/// score is the conditional mean of the target). Both are compared with 60 000 Monte Carlo rows,
/// the offset's effect with common random numbers, to 4.5 standard errors.
@Test(arguments: minimumCases)
func lossAtTheExactScoreIsTheClosedFormMinimum(_ testCase: MinimumCase) {
  let data = GaussianData()
  let process = testCase.process
  let dsm = DenoisingScoreMatching(process: process, options: testCase.options)
  let eps = testCase.options.smallTimeCutoff
  let eta = [0.3, -0.2]
  let etaSquared = eta[0] * eta[0] + eta[1] * eta[1]
  let span = process.endTime - eps
  let minimum =
    logSimpson(from: eps, to: process.endTime) { t in
      let (a, s) = process.marginal(at: t)
      return lambda(testCase.options.weighting, process, at: t, cutoff: eps)
        * data.minimumScoreError(scale: a, standardDeviation: s)
    } / span
  let increase =
    logSimpson(from: eps, to: process.endTime) { t in
      lambda(testCase.options.weighting, process, at: t, cutoff: eps) * etaSquared
        / process.marginalVariance(at: t)
    } / span

  var rng = Xoshiro256(seed: 11)
  var batch = DenoisingBatch<Double>()
  var base: [Double] = []
  var differences: [Double] = []
  var rows = [Double](repeating: 0, count: 4000)
  var shifted = rows
  for _ in 0..<15 {
    let x0 = data.sample(count: 4000, using: &rng)
    dsm.prepare(x0, into: &batch, using: &rng)
    let exact = exactOutput(data, process, testCase.options.parameterization, batch: batch)
    let offset = exactOutput(data, process, testCase.options.parameterization, batch: batch, eta: eta)
    dsm.rowLosses(output: exact, batch: batch, into: &rows)
    dsm.rowLosses(output: offset, batch: batch, into: &shifted)
    base += rows
    differences += zip(shifted, rows).map { $0 - $1 }
  }
  let (mean, error) = meanAndError(base)
  #expect(abs(mean - minimum) < 4.5 * error, "minimum \(minimum), Monte Carlo \(mean) ± \(error)")
  #expect(error < 0.02 * minimum, "the check is sharp: standard error \(error) for \(minimum)")
  let (gain, gainError) = meanAndError(differences)
  #expect(abs(gain - increase) < 4.5 * gainError, "increase \(increase), Monte Carlo \(gain) ± \(gainError)")
  #expect(gainError < 0.05 * increase, "the check is sharp: standard error \(gainError) for \(increase)")
}

/// The ε-loss's per-time minimum `d − σ² tr Σ_t⁻¹` against the library's Gaussian oracle, and the
/// closed-form exact score of the helpers against `GaussianScore`.
@Test func exactScoreHelperAgreesWithTheOracle() throws {
  let data = GaussianData()
  let oracle = try GaussianScore(mean: data.mean, covariance: data.covariance, process: vp)
  var rng = Xoshiro256(seed: 12)
  let x = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
  for t in [0.01, 0.3, 0.9] {
    let s = oracle.score(x, at: t)
    let (a, std) = vp.marginal(at: t)
    for i in 0..<5 {
      let mine = data.score(x.row(i), scale: a, shift: 0, standardDeviation: std)
      #expect(abs(mine[0] - s[i, 0]) < 1e-12 * max(1, abs(s[i, 0])))
      #expect(abs(mine[1] - s[i, 1]) < 1e-12 * max(1, abs(s[i, 1])))
    }
    let sigmaT = oracle.marginalCovariance(at: t)
    let inverse = try sigmaT.inverse()
    let epsilonMinimum = 2 - std * std * (inverse[0, 0] + inverse[1, 1])
    #expect(
      abs(std * std * data.minimumScoreError(scale: a, standardDeviation: std) - epsilonMinimum) < 1e-12)
  }
}
