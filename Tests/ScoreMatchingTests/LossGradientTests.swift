import DiffusionProcesses
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// Every weighting × parameterisation × proposal.
let gradientOptions: [DenoisingOptions] = LossWeighting.allCases.flatMap { weighting in
  Parameterization.allCases.flatMap { parameterization in
    TimeProposal.allCases.map { proposal in
      DenoisingOptions(
        parameterization: parameterization, weighting: weighting, proposal: proposal, smallTimeCutoff: 1e-2)
    }
  }
}

extension DenoisingOptions: CustomTestStringConvertible {
  public var testDescription: String {
    "\(parameterization) λ=\(weighting) q=\(resolvedProposal) \(timeSampling)"
  }
}

/// `∂L/∂f` against central differences of `L(f)` (exact up to rounding: `L` is quadratic in `f`),
/// on an Ornstein–Uhlenbeck process whose kernel has a shift.
@Test(arguments: gradientOptions)
func lossGradientWithRespectToTheOutputMatchesFiniteDifferences(_ options: DenoisingOptions) {
  let process = OrnsteinUhlenbeckSDE<Double>(theta: 1.5, mean: 0.4, sigma: 1.2)
  let dsm = DenoisingScoreMatching(process: process, options: options)
  var rng = Xoshiro256(seed: 21)
  let x0 = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)
  var batch = DenoisingBatch<Double>()
  dsm.prepare(x0, into: &batch, using: &rng)
  let f = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)
  var gradient = Matrix<Double>(rows: 6, columns: 3)
  let value = dsm.loss(output: f, batch: batch, gradient: &gradient)
  #expect(abs(value - dsm.loss(output: f, batch: batch)) <= 1e-12 * abs(value))
  let numeric = finiteDifferenceGradient(at: f, step: 1e-4) { dsm.loss(output: $0, batch: batch) }
  #expect(relativeDistance(gradient, numeric) < 1e-8, "\(gradient) vs \(numeric)")
}

/// The loss's per-row weights are `λ(t)·c_out(t)² / (q(t)(T − ε))` written from the definitions,
/// with `q` the proposal density computed independently (`g²/(σ²·Z)`, `Z` by quadrature).
@Test(arguments: gradientOptions)
func rowWeightsAreTheWeightingOverTheProposal(_ options: DenoisingOptions) {
  let process = VPSDE<Double>()
  let dsm = DenoisingScoreMatching(process: process, options: options)
  let eps = options.smallTimeCutoff
  let normalizer = logSimpson(from: eps, to: 1) { t in
    let g = process.diffusion(at: t)
    return g * g / process.marginalVariance(at: t)
  }
  for t in [eps, 0.013, 0.1, 0.5, 0.97, 1] {
    let (a, s) = process.marginal(at: t)
    let g = process.diffusion(at: t)
    let q: Double
    switch options.resolvedProposal {
    case .uniform: q = 1 / (1 - eps)
    case .importance: q = g * g / (s * s * normalizer)
    case .logNormal: q = logNormalDensity(process, at: t, smallTimeCutoff: eps)
    }
    let outputFactor: Double
    switch options.parameterization {
    case .score: outputFactor = 1
    case .noise: outputFactor = 1 / (s * s)
    case .data: outputFactor = a * a / (s * s * s * s)
    case .edm:
      let cOut = edmSkipAndOut(scale: a, standardDeviation: s).out
      outputFactor = a * a * cOut * cOut / (s * s * s * s)
    }
    let expected = lambda(options.weighting, process, at: t, cutoff: eps) * outputFactor / (q * (1 - eps))
    // The log-normal density is checked by a central difference of its CDF (error ~1e-9).
    let tolerance = options.weighting == .edm || options.resolvedProposal == .logNormal ? 1e-6 : 1e-9
    #expect(relativeError(dsm.weight(at: t), expected) < tolerance, "t = \(t)")
  }
}

/// The ε-loss with uniform times is torch_ref.py's loss exactly: κ = 1, target z, perturbed
/// `a·x₀ + σ·z`, loss = mean over rows of Σ_j (f − z)².
@Test func defaultLossIsTheReferenceLoss() {
  let process = VPSDE<Float>()
  let dsm = DenoisingScoreMatching(process: process)
  var rng = Xoshiro256(seed: 22)
  let x0 = Matrix<Float>.randomNormal(rows: 7, columns: 2, using: &rng)
  var batch = DenoisingBatch<Float>()
  dsm.prepare(x0, into: &batch, using: &rng)
  #expect(batch.weights.allSatisfy { $0 == 1 })
  #expect(batch.targets == batch.noise)
  #expect(batch.times.allSatisfy { $0 >= 1e-5 && $0 <= 1 })
  let f = Matrix<Float>.randomNormal(rows: 7, columns: 2, using: &rng)
  var reference: Float = 0
  for i in 0..<7 {
    let (a, s) = process.marginal(at: batch.times[i])
    for j in 0..<2 {
      #expect(batch.perturbed[i, j] == a * x0[i, j] + s * batch.noise[i, j])
      reference += (f[i, j] - batch.noise[i, j]) * (f[i, j] - batch.noise[i, j])
    }
  }
  #expect(abs(dsm.loss(output: f, batch: batch) - reference / 7) <= 1e-6 * reference)
}

/// End to end in `Double`: the gradient of the loss with respect to every MLP parameter
/// (forward at per-row times, `∂L/∂f`, backward) against central differences, for each
/// weighting, for x₀- and score-parameterised outputs, and for a conditional network.
@Test(
  arguments: LossWeighting.allCases,
  [Parameterization.noise, .data, .score, .edm(dataStandardDeviation: 0.5)])
func lossGradientWithRespectToParametersMatchesFiniteDifferences(
  _ weighting: LossWeighting, _ parameterization: Parameterization
) {
  let conditional = parameterization == .score
  var rng = Xoshiro256(seed: 23)
  let network = MLP<Double>(
    configuration: smallNetwork(
      dimension: 2, condition: conditional ? 2 : 0, width: 5, depth: 2, frequencies: 2),
    using: &rng)
  let process = SubVPSDE<Double>()
  let dsm = DenoisingScoreMatching(
    process: process,
    options: DenoisingOptions(
      parameterization: parameterization, weighting: weighting, timeSampling: .stratified,
      smallTimeCutoff: 0.05))
  let x0 = Matrix<Double>.randomNormal(rows: 6, columns: 2, using: &rng)
  var batch = DenoisingBatch<Double>()
  dsm.prepare(x0, into: &batch, using: &rng)
  let condition: Matrix<Double>? =
    conditional ? Matrix(rows: 6, columns: 2, elements: [0.5, 1, -1, 1, 0, 0, 2, 1, 0.3, 1, -0.7, 1]) : nil
  var workspace = NetworkLossWorkspace(network: network, rows: 6)
  var gradients = network.makeGradients()
  let value = dsm.lossAndGradient(
    network: network, batch: batch, condition: condition, workspace: &workspace, gradients: &gradients)
  #expect(value.isFinite && value > 0)
  for k in 0..<network.parameters.tensorCount {
    let numeric = finiteDifferenceGradient(at: network.parameters.tensor(at: k)) { theta in
      var perturbed = network
      perturbed.parameters.withMutableTensor(at: k) { $0 = theta }
      var ws = NetworkLossWorkspace(network: perturbed, rows: 6)
      return dsm.loss(network: perturbed, batch: batch, condition: condition, workspace: &ws)
    }
    let name = network.parameters.tensorName(at: k)
    #expect(relativeDistance(gradients.tensor(at: k), numeric) < 1e-6, "\(name)")
  }
}
