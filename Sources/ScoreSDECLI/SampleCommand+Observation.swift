import ArgumentParser
import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers
import ScoreMatching
import ScoreNetworks

/// `sample --observe y.npy --operator A.npy --observation-noise σ [--guidance-scale ζ]`: posterior
/// sampling for a linear inverse problem `y = A x + n`, `n ~ N(0, σ² I)`, with the trained model
/// as the prior (``DiffusionPosteriorScore``).
///
/// By default the likelihood is ΠGDM's `N(y; A x̂₀, σ² I + r_t² A Aᵀ)` with `v = 1`, the variance
/// of every coordinate in the model's standardised units. `--guidance-scale ζ` selects instead
/// the normalised step of Chung et al.'s experiments, `−ζ ∇‖y − A x̂₀‖`, which ignores `σ`.
///
/// Why both: at large `t`, `∂x̂₀/∂x_t = (I + std²·∂s/∂x)/scale` multiplies the network's Jacobian
/// error by `1/scale ≈ 150` (VP at `t = 1`), and the Gaussian weights square it. On a 2-D model
/// trained for 400 steps, DPS's Gaussian form and ΠGDM both diverged within the first 20 of 200
/// Euler–Maruyama steps, while the normalised step, linear in that Jacobian, stayed stable:
/// `ζ = 3` gave posterior means within 0.07 of the exact ones (the CLI test).
struct LinearInverseProblem {
  /// `A`, `m × d`, in data units.
  let operatorMatrix: Matrix<Double>
  /// `y`, `m` values in data units.
  let observation: [Double]
  /// `σ`.
  let noise: Double
  /// `ζ` of DPS's normalised step (``PosteriorLikelihoodApproximation/normalized(_:)``), or `nil`
  /// for ΠGDM.
  let guidanceScale: Double?

  /// Reads and checks `A` and `y` for a model of dimension `d`.
  init(
    observe: String, operator operatorPath: String, noise: Double, guidanceScale: Double?, dimension d: Int
  )
    throws
  {
    func read(_ path: String, option: String) throws -> Matrix<Double> {
      let url = URL(fileURLWithPath: path)
      guard url.pathExtension.lowercased() == "npy" else {
        throw CLIError("\(option) \(path): expected a .npy file")
      }
      let m: Matrix<Double>
      do { m = try NumPyFile.read(from: url, as: Double.self) } catch {
        throw CLIError("\(option) \(path): \(error)")
      }
      guard m.rows > 0, m.columns > 0 else { throw CLIError("\(option) \(path): the array is empty") }
      try checkFinite(m, source: path)
      return m
    }
    let a = try read(operatorPath, option: "--operator")
    guard a.columns == d else {
      throw CLIError(
        "--operator \(operatorPath): A is \(a.rows) × \(a.columns), but the model's samples have \(d) columns"
      )
    }
    let y = try read(observe, option: "--observe")
    guard y.rows == 1 || y.columns == 1, y.elements.count == a.rows else {
      throw CLIError(
        "--observe \(observe): y has shape \(y.rows) × \(y.columns); A has \(a.rows) rows, so y needs \(a.rows) values"
      )
    }
    operatorMatrix = a
    observation = y.elements
    self.noise = noise
    self.guidanceScale = guidanceScale
  }

  /// The posterior score in model units. The model sees `x' = (x − μ)/s`, so `y = A x + n`
  /// becomes `y − Aμ = (A diag(s)) x' + n`: the same noise, a rescaled operator.
  func posterior<Network: ScoreNetwork>(
    _ trained: TrainedModel<Network>, prior: NetworkScoreModel<Network, StandardSDE<Float>>
  ) -> DiffusionPosteriorScore<
    StandardSDE<Float>, NetworkScoreModel<Network, StandardSDE<Float>>, LinearObservation<Float>
  >
  where Network.Scalar == Float {
    var a = operatorMatrix
    var y = observation
    if let standardizer = trained.standardizer {
      let d = a.columns
      let means = Array(standardizer.means.prefix(d))
      let scales = Array(standardizer.standardDeviations.prefix(d))
      y = zip(y, a.multiplied(by: means)).map { $0 - $1 }
      a.scaleColumns(by: scales)
    }
    let likelihood: PosteriorLikelihoodApproximation<Float> =
      guidanceScale.map { .normalized(Float($0)) }
      ?? .pseudoinverse(observationNoise: Float(noise), dataVariance: 1)
    return DiffusionPosteriorScore(
      process: trained.sde, prior: prior, operator: LinearObservation(matrix: a.converted(to: Float.self)),
      observation: y.map { Float($0) }, likelihood: likelihood)
  }
}

extension SampleCommand {
  /// Checks that `--observe`, `--operator` and `--observation-noise` come together, with finite
  /// positive `σ` and `ζ`, and not with classifier-free guidance.
  func validateObservation() throws {
    let given = [observe != nil, operatorFile != nil, observationNoise != nil]
    guard given.allSatisfy({ $0 }) || !given.contains(true) else {
      throw ValidationError("--observe, --operator and --observation-noise go together")
    }
    if let observationNoise, !(Float(observationNoise).isFinite && observationNoise > 0) {
      throw ValidationError("--observation-noise must be positive and finite")
    }
    if let guidanceScale {
      guard observe != nil else { throw ValidationError("--guidance-scale applies with --observe only") }
      guard Float(guidanceScale).isFinite, guidanceScale > 0 else {
        throw ValidationError("--guidance-scale must be positive and finite")
      }
    }
    if observe != nil && guidance > 0 {
      throw ValidationError("--observe does not combine with --guidance")
    }
  }

  /// The inverse problem the options describe, for a model of dimension `d`, or `nil`.
  func inverseProblem(dimension d: Int) throws -> LinearInverseProblem? {
    guard let observe, let operatorFile, let observationNoise else { return nil }
    return try LinearInverseProblem(
      observe: observe, operator: operatorFile, noise: observationNoise, guidanceScale: guidanceScale,
      dimension: d)
  }
}

extension LinearInverseProblem {
  /// `count` posterior samples (global rows `firstRow…`), with a hint when they diverge.
  func sample<Network: ScoreNetwork>(
    _ trained: TrainedModel<Network>, prior: NetworkScoreModel<Network, StandardSDE<Float>>,
    options: SamplingOptions<Float>, count: Int, firstRow: Int
  ) throws -> SamplingResult<Float> where Network.Scalar == Float {
    do {
      return try Sampler(process: trained.sde, score: posterior(trained, prior: prior), options: options)
        .sample(count: count, dimension: trained.dimension, firstRow: firstRow)
    } catch {
      throw CLIError(
        "\(error); posterior sampling diverged"
          + (guidanceScale == nil
            ? " (the likelihood weighs the network's Jacobian error heavily at large t): try --guidance-scale 1 to 3"
            : ": try a smaller --guidance-scale or more --steps"))
    }
  }
}
