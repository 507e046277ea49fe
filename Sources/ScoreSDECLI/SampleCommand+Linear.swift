import DiffusionProcesses
import Samplers
import ScoreMatching
import ScoreNetworks

/// How `sample` draws from a model whose process has a matrix kernel (trained with `--sde cld`
/// or `--sde linear`): the sampler it runs and a function from global rows to samples in model
/// units (for critically-damped Langevin, the positions).
struct MatrixKernelSampling {
  /// The sampler kind that runs.
  let name: SamplerName
  /// The samples of global rows `rows`.
  let sample: (_ rows: Range<Int>) throws -> SamplingResult<Float>
}

extension SampleCommand {
  /// The sampler a matrix-kernel model gets without `--sampler`: `sscs` for critically-damped
  /// Langevin diffusion (Dockhorn et al.'s splitting sampler, one evaluation per step), `ode`
  /// (RK4 on the probability flow) for a general linear SDE.
  static func defaultSampler(for process: StandardLinearSDE<Float>) -> SamplerName {
    if case .criticallyDampedLangevin = process { return .symmetricSplitting }
    return .probabilityFlow
  }

  /// The sampling of a matrix-kernel model with the command's options, or `nil` for a model with a
  /// scalar kernel (which the rest of `sample` draws from). One-line errors for what such a model
  /// cannot do: a sampler written in a scalar kernel or diffusion (naming the ones it takes),
  /// posterior sampling (`--observe`), clipping (`--clip`), and the scalar default's own options;
  /// and for `sscs` on a scalar-kernel model.
  func matrixKernelSampling<Network: ScoreNetwork>(
    _ trained: TrainedModel<Network>, options: SamplingOptions<Float>, condition values: [Double]?
  ) throws -> MatrixKernelSampling? where Network.Scalar == Float {
    let trainedWith = "\(model) was trained with --sde \(trained.process.name)"
    guard let process = trained.linearSDE, let unconditional = trained.linearScoreModel() else {
      if let choice = samplerChoice, choice.needsPhaseSpace {
        throw CLIError(
          "--sampler \(choice.rawValue) samples critically-damped Langevin models (--sde cld) only; \(trainedWith)"
        )
      }
      return nil
    }
    if observe != nil {
      throw CLIError(
        "--observe needs a model with a scalar kernel (--sde vp, subvp, ve or ou); \(trainedWith)")
    }
    if columns.clip {
      throw CLIError(
        "--clip keeps the denoised estimate of a scalar-kernel model inside the data's range; \(trainedWith), "
          + "whose samplers never denoise")
    }
    let name = samplerChoice ?? Self.defaultSampler(for: process)
    if samplerChoice == nil {
      let given = [
        ("--order", order != nil), ("--snr", snr != nil), ("--eta", eta != nil), ("--churn", churn != nil),
      ]
      if let (option, _) = given.first(where: \.1) {
        throw CLIError(
          "\(option) belongs to a sampler this model does not take; \(trainedWith), sampled with "
            + "\(name.rawValue) by default")
      }
    }
    var options = options
    options.kind = SamplerKind(name, steps: steps)
    let d = trained.dimension
    func rows<Model: ScoreModel>(_ score: Model) throws -> MatrixKernelSampling where Model.Scalar == Float {
      let sampler: Sampler<StandardLinearSDE<Float>, Model>
      do {
        sampler = try Sampler(process: process, score: score, options: options)
      } catch {
        throw CLIError("--sampler \(error); \(trainedWith)")
      }
      return MatrixKernelSampling(name: name) { try sampler.sample(rows: $0, dimension: d) }
    }
    guard let values else { return try rows(unconditional) }
    let condition = trained.networkCondition(values)
    if guidance > 0 {
      return try rows(
        ClassifierFreeGuidance(model: unconditional, condition: condition, weight: Float(guidance)))
    }
    return try rows(trained.linearScoreModel(condition: .fixed(condition))!)
  }
}
