public import Datasets
public import DiffusionProcesses
import Foundation
public import LinearAlgebra
public import ScoreNetworks

/// What a training run produced and how it was made, carried with a model file.
///
/// Nothing in it depends on when or where the run happened unless a date is given: two runs
/// with the same seed, data and steps write the same summary, and so (their weights being
/// bit-identical) byte-identical model files. A date is recorded only when the caller passes
/// one or the environment sets `SOURCE_DATE_EPOCH` (see ``sourceDateEpoch(in:)``).
public struct TrainingSummary: Sendable, Codable, Hashable {
  /// The number of optimizer steps.
  public var steps: Int
  /// The run's seed.
  public var seed: UInt64
  /// The smoothed training loss at the end, if known.
  public var finalLoss: Double?
  /// When the model was made, ISO 8601 (such as `"2024-05-01T12:00:00Z"`), or `nil` (the
  /// default, so that files are reproducible). Files written before the date became optional
  /// always have one.
  public var date: String?
  /// The run's configuration, if known.
  public var configuration: TrainingConfiguration?
  /// A free-form description of the data (a data set's name or a file).
  public var data: String?
  /// How a run with held-out rows ended (which step's averaged weights the file holds, their
  /// held-out loss, whether patience ran out), or `nil` for a run without validation.
  public var validation: ValidationSummary?

  /// A summary.
  ///
  /// - Parameters:
  ///   - steps: optimizer steps.
  ///   - seed: the seed.
  ///   - finalLoss: the final (smoothed) loss.
  ///   - date: an ISO 8601 date (see ``dateString(_:)``), or `nil` for none.
  ///   - configuration: the training configuration.
  ///   - data: a description of the data.
  ///   - validation: how a validated run ended, or `nil`.
  public init(
    steps: Int, seed: UInt64, finalLoss: Double? = nil, date: String? = nil,
    configuration: TrainingConfiguration? = nil,
    data: String? = nil, validation: ValidationSummary? = nil
  ) {
    self.steps = steps
    self.seed = seed
    self.finalLoss = finalLoss
    self.date = date
    self.configuration = configuration
    self.data = data
    self.validation = validation
  }
}

/// A trained score model as one file: the network (its EMA weights), the forward process, the
/// output parameterisation, the data standardisation, the conditioning and the training
/// summary — everything `score-sde sample --model M.safetensors` needs, with no repeated flags.
///
/// The network is any ``ScoreNetwork``; the file records its architecture (`mlp`, `resmlp`, or a
/// user network's ``ScoreNetwork/architectureName``) and configuration, and ``ModelFile/architecture(of:)``
/// tells which type to load it as. The file is a safetensors file whose tensors are exactly those
/// of ``ScoreNetwork/save(to:extraMetadata:)`` (so PyTorch can load the weights), with the rest in
/// its `__metadata__` as JSON under `score_sde.model.*` keys. It is written atomically.
///
/// **Units.** The network works in standardised units `z = (x − μ)/σ` (per column; conditions
/// likewise with their own μ, σ). Samplers run in those units with ``scoreModel(condition:)``;
/// bring samples back with ``toDataScale(_:)`` and add ``logDensityCorrection`` to a
/// log-density computed in model units. Give conditions in data units to
/// ``scoreModel(conditionInDataUnits:)``.
///
/// ```swift
/// let model = try TrainedModel<MLP<Float>>.load(from: url)
/// let score = model.scoreModel()                                 // a ScoreModel in model units
/// var x = samplerOutput                                          // from any sampler
/// model.toDataScale(&x)
/// ```
public struct TrainedModel<Network: ScoreNetwork>: Sendable {
  /// The precision.
  public typealias Scalar = Network.Scalar
  /// The network with its averaged weights.
  public var network: Network
  /// The forward process.
  public var process: SDEDescription
  /// What the network predicts.
  public var parameterization: Parameterization
  /// How conditions enter the network.
  public var conditionEncoding: ConditionEncoding
  /// μ and σ of the data columns (`d` entries), or `nil` when trained on raw data.
  public var standardizer: Standardizer?
  /// μ and σ of the condition columns (`k` entries), or `nil`.
  public var conditionStandardizer: Standardizer?
  /// How the model was trained.
  public var training: TrainingSummary
  /// The integer-valued data columns the model was trained on dequantised (`k + w·u`), with
  /// their bin widths, or `nil`: `score-sde nll` then reports the discrete NLL bound.
  public var dequantization: Dequantization? {
    didSet { requireValid(dequantization?.validationFailure(dimension: dimension)) }
  }
  /// The monotone per-column transforms applied to the data columns before the standardisation
  /// (`log`, `logit`, a fitted quantile map), or `nil`: ``toModelScale(_:)`` applies them,
  /// ``toDataScale(_:)`` undoes them, and ``logDensityCorrections(at:)`` adds their log-Jacobian.
  public var columnTransforms: ColumnTransforms? {
    didSet { requireValid(columnTransforms?.validationFailure(dimension: dimension)) }
  }
  /// The training rows' range per data column in model units (after the transforms and the
  /// standardisation), or `nil`: what `score-sde sample --clip` keeps the denoised estimate inside.
  public var dataRange: DataRange? {
    didSet { requireValid(dataRange?.validationFailure(dimension: dimension)) }
  }
  /// The full-covariance Gaussian fitted to the training rows' data columns, in data units, that
  /// the model should beat (`score-sde nll` prints its NLL beside the model's), or `nil`.
  public var gaussianBaseline: GaussianBaseline? {
    didSet {
      requireValid(
        gaussianBaseline.flatMap {
          $0.dimension == dimension
            ? nil : "a Gaussian baseline of dimension \($0.dimension) for dimension \(dimension)"
        })
    }
  }

  /// A model from its parts.
  ///
  /// - Parameters:
  ///   - network: the network (averaged weights).
  ///   - process: the forward process.
  ///   - parameterization: what the network predicts.
  ///   - conditionEncoding: how conditions enter the network.
  ///   - standardizer: the data columns' standardisation, or `nil`.
  ///   - conditionStandardizer: the condition columns' standardisation, or `nil`.
  ///   - training: the training summary.
  public init(
    network: Network, process: SDEDescription, parameterization: Parameterization,
    conditionEncoding: ConditionEncoding = .unconditional, standardizer: Standardizer? = nil,
    conditionStandardizer: Standardizer? = nil, training: TrainingSummary
  ) {
    if let failure = process.validationFailure { preconditionFailure("TrainedModel: \(failure)") }
    precondition(
      process.stateDimension.map { $0 == network.inputDimension } ?? true,
      "TrainedModel: a \(process.name) process on \(process.stateDimension ?? 0) columns for a network of "
        + "\(network.inputDimension)")
    let dataDimension = process.dataDimension(stateDimension: network.inputDimension)
    conditionEncoding.checkNetwork(conditionColumns: network.conditionDimension, owner: "TrainedModel")
    precondition(
      standardizer.map { $0.dimension == dataDimension } ?? true,
      "TrainedModel: a standardizer of \(standardizer?.dimension ?? 0) columns for dimension "
        + "\(dataDimension)")
    precondition(
      conditionStandardizer.map { $0.dimension == conditionEncoding.dimension } ?? true,
      "TrainedModel: a condition standardizer of \(conditionStandardizer?.dimension ?? 0) columns for "
        + "\(conditionEncoding.dimension) conditions")
    self.network = network
    self.process = process
    self.parameterization = parameterization
    self.conditionEncoding = conditionEncoding
    self.standardizer = standardizer
    self.conditionStandardizer = conditionStandardizer
    self.training = training
  }

  /// Stops with `failure` when an optional part set on the model does not fit it.
  private func requireValid(_ failure: String?) {
    if let failure { preconditionFailure("TrainedModel: \(failure)") }
  }

  /// `d`, the data's columns (the network's input, except for critically-damped Langevin
  /// diffusion, whose network sees `(x, v)`, ``stateDimension``).
  public var dimension: Int { process.dataDimension(stateDimension: network.inputDimension) }

  /// The columns the process and the network run on: `2d` for critically-damped Langevin
  /// diffusion, `d` otherwise.
  public var stateDimension: Int { network.inputDimension }

  /// The forward process, rebuilt.
  /// - Precondition: the process has an isotropic kernel (``SDEDescription/hasIsotropicKernel``);
  ///   a `.linear` or `.criticallyDampedLangevin` one is ``linearSDE``.
  public var sde: StandardSDE<Scalar> { StandardSDE(process) }

  /// The forward process of a model with a matrix kernel (`.linear`, `.criticallyDampedLangevin`),
  /// rebuilt; `nil` for an isotropic kernel (``sde``).
  public var linearSDE: StandardLinearSDE<Scalar>? {
    guard !process.hasIsotropicKernel else { return nil }
    do {
      return try StandardLinearSDE(process)
    } catch {
      preconditionFailure("TrainedModel: the process \(process) cannot be built in \(Scalar.self): \(error)")
    }
  }

  /// The score model of a matrix-kernel model in model units (the full `D`-wide score: for
  /// critically-damped Langevin diffusion that of `(x, v)`, zero in the positions), or `nil` for
  /// an isotropic kernel (``scoreModel(condition:)``).
  ///
  /// - Parameter condition: `.unconditional` (∅) by default.
  /// - Returns: a ``NetworkScoreModel`` Euler–Maruyama, the probability-flow ODE and the
  ///   likelihood run on.
  public func linearScoreModel(
    condition: ScoreCondition<Scalar> = .unconditional
  ) -> NetworkScoreModel<Network, StandardLinearSDE<Scalar>>? {
    linearSDE.map {
      NetworkScoreModel(
        network: network, process: $0, parameterization: parameterization,
        conditionEncoding: conditionEncoding,
        condition: condition)
    }
  }

  /// The score model in model (standardised) units, with a condition in network units.
  ///
  /// - Parameter condition: `.unconditional` (∅) by default.
  /// - Returns: a ``NetworkScoreModel`` any sampler can use.
  public func scoreModel(condition: ScoreCondition<Scalar> = .unconditional) -> NetworkScoreModel<
    Network, StandardSDE<Scalar>
  > {
    NetworkScoreModel(
      network: network, process: sde, parameterization: parameterization,
      conditionEncoding: conditionEncoding,
      condition: condition)
  }

  /// The score model conditioned on `condition` given in data units (standardised here).
  ///
  /// - Parameter condition: `k` values, such as a temperature.
  /// - Returns: the conditioned score model.
  public func scoreModel(
    conditionInDataUnits condition: [Double]
  ) -> NetworkScoreModel<Network, StandardSDE<Scalar>> {
    scoreModel(condition: .fixed(networkCondition(condition)))
  }

  /// A condition in data units as the network sees it: `(c − μ_c)/σ_c`.
  ///
  /// - Parameter condition: `k` values.
  /// - Returns: `k` standardised values.
  public func networkCondition(_ condition: [Double]) -> [Scalar] {
    precondition(
      condition.count == conditionEncoding.dimension,
      "TrainedModel: a condition of \(condition.count) values for a model of \(conditionEncoding.dimension)")
    guard let s = conditionStandardizer else { return condition.map { Scalar($0) } }
    return condition.indices.map { Scalar((condition[$0] - s.means[$0]) / s.standardDeviations[$0]) }
  }

  /// Samples in model units → data units, in place: `x ← T⁻¹(μ + σ·x)` per column, computed in
  /// `Double` and rounded to ``Scalar``.
  ///
  /// The precision of the result follows the matrix's scalar: in `Float`, data of a large offset
  /// comes back in `Float`'s steps (1e9 + x in steps of 64). For full resolution map the samples
  /// to `Double` instead: `standardizer?.inverseTransformed(samples, as: Double.self)`.
  ///
  /// - Parameter samples: `n × d`.
  public func toDataScale(_ samples: inout Matrix<Scalar>) {
    standardizer?.inverseTransform(&samples)
    columnTransforms?.invert(&samples)
  }

  /// Data → model units, in place: `x ← (T(x) − μ)/σ` per column (`T` the
  /// ``columnTransforms``, the identity without them), computed in `Double` and rounded
  /// to ``Scalar``; data already in `Float` has only `Float`'s resolution (standardise `Double`
  /// data with `standardizer?.transformed(data, as: Scalar.self)` instead).
  ///
  /// - Parameter data: `n × d`.
  public func toModelScale(_ data: inout Matrix<Scalar>) {
    columnTransforms?.apply(to: &data)
    standardizer?.transform(&data)
  }

  /// `log |det ∂z/∂x| = −Σⱼ log σⱼ`: add it to a log-density of model-unit points to get the
  /// log-density of the data-unit points (0 without standardisation). With
  /// ``columnTransforms`` the Jacobian depends on the point: use ``logDensityCorrections(at:)``.
  public var logDensityCorrection: Double { standardizer?.logAbsDeterminant ?? 0 }
}
