public import Datasets
public import DiffusionProcesses
public import Foundation
public import LinearAlgebra
public import ScoreNetworks

/// What a training run produced and how it was made, carried with a model file.
public struct TrainingSummary: Sendable, Codable, Hashable {
  /// The number of optimizer steps.
  public var steps: Int
  /// The run's seed.
  public var seed: UInt64
  /// The smoothed training loss at the end, if known.
  public var finalLoss: Double?
  /// When the model was written, ISO 8601.
  public var date: String
  /// The run's configuration, if known.
  public var configuration: TrainingConfiguration?
  /// A free-form description of the data (a data set's name or a file).
  public var data: String?

  /// A summary.
  ///
  /// - Parameters:
  ///   - steps: optimizer steps.
  ///   - seed: the seed.
  ///   - finalLoss: the final (smoothed) loss.
  ///   - date: ISO 8601 date.
  ///   - configuration: the training configuration.
  ///   - data: a description of the data.
  public init(
    steps: Int, seed: UInt64, finalLoss: Double? = nil, date: String,
    configuration: TrainingConfiguration? = nil,
    data: String? = nil
  ) {
    self.steps = steps
    self.seed = seed
    self.finalLoss = finalLoss
    self.date = date
    self.configuration = configuration
    self.data = data
  }
}

/// A trained score model as one file: the network (its EMA weights), the forward process, the
/// output parameterisation, the data standardisation, the conditioning and the training
/// summary — everything `score-sde sample --model M.safetensors` needs, with no repeated flags.
///
/// The file is a safetensors file whose tensors are exactly those of
/// ``ScoreNetworks/MLP/save(to:extraMetadata:)`` (so PyTorch can load the weights), with the
/// rest in its `__metadata__` as JSON under `score_sde.model.*` keys. It is written atomically.
///
/// **Units.** The network works in standardised units `z = (x − μ)/σ` (per column; conditions
/// likewise with their own μ, σ). Samplers run in those units with ``scoreModel(condition:)``;
/// bring samples back with ``toDataScale(_:)`` and add ``logDensityCorrection`` to a
/// log-density computed in model units. Give conditions in data units to
/// ``scoreModel(conditionInDataUnits:)``.
///
/// ```swift
/// let model = try TrainedModel<Float>.load(from: url)
/// let score = model.scoreModel()                                 // a ScoreModel in model units
/// var x = samplerOutput                                          // from any sampler
/// model.toDataScale(&x)
/// ```
public struct TrainedModel<Scalar: BLASScalar>: Sendable {
  /// The network with its averaged weights.
  public var network: MLP<Scalar>
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
    network: MLP<Scalar>, process: SDEDescription, parameterization: Parameterization,
    conditionEncoding: ConditionEncoding = .unconditional, standardizer: Standardizer? = nil,
    conditionStandardizer: Standardizer? = nil, training: TrainingSummary
  ) {
    if let failure = process.validationFailure { preconditionFailure("TrainedModel: \(failure)") }
    precondition(
      network.configuration.conditionDimension == conditionEncoding.networkColumns,
      "TrainedModel: the network takes \(network.configuration.conditionDimension) condition columns, "
        + "the encoding gives \(conditionEncoding.networkColumns)")
    precondition(
      standardizer.map { $0.dimension == network.configuration.inputDimension } ?? true,
      "TrainedModel: a standardizer of \(standardizer?.dimension ?? 0) columns for dimension "
        + "\(network.configuration.inputDimension)")
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

  /// `d`.
  public var dimension: Int { network.configuration.inputDimension }

  /// The forward process, rebuilt.
  public var sde: StandardSDE<Scalar> { StandardSDE(process) }

  /// The score model in model (standardised) units, with a condition in network units.
  ///
  /// - Parameter condition: `.unconditional` (∅) by default.
  /// - Returns: a ``NetworkScoreModel`` any sampler can use.
  public func scoreModel(condition: ScoreCondition<Scalar> = .unconditional) -> NetworkScoreModel<
    StandardSDE<Scalar>
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
  public func scoreModel(conditionInDataUnits condition: [Double]) -> NetworkScoreModel<StandardSDE<Scalar>> {
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

  /// Samples in model units → data units, in place: `x ← μ + σ·x` per column.
  ///
  /// - Parameter samples: `n × d`.
  public func toDataScale(_ samples: inout Matrix<Scalar>) {
    standardizer?.inverseTransform(&samples)
  }

  /// Data → model units, in place: `x ← (x − μ)/σ` per column.
  ///
  /// - Parameter data: `n × d`.
  public func toModelScale(_ data: inout Matrix<Scalar>) {
    standardizer?.transform(&data)
  }

  /// `log |det ∂z/∂x| = −Σⱼ log σⱼ`: add it to a log-density of model-unit points to get the
  /// log-density of the data-unit points (0 without standardisation).
  public var logDensityCorrection: Double { standardizer?.logAbsDeterminant ?? 0 }
}

/// The metadata keys of a model file.
enum ModelKey {
  static let format = "score_sde.model.format"
  static let process = "score_sde.model.process"
  static let parameterization = "score_sde.model.parameterization"
  static let conditionEncoding = "score_sde.model.condition_encoding"
  static let standardizer = "score_sde.model.standardizer"
  static let conditionStandardizer = "score_sde.model.condition_standardizer"
  static let training = "score_sde.model.training"
}

extension TrainedModel {
  /// The metadata written with the network's tensors.
  public var metadata: [String: String] {
    var m: [String: String] = [:]
    m[ModelKey.format] = "1"
    m[ModelKey.process] = metadataJSON(process)
    m[ModelKey.parameterization] = parameterization.fileName
    m[ModelKey.conditionEncoding] = metadataJSON(conditionEncoding)
    if let standardizer { m[ModelKey.standardizer] = metadataJSON(standardizer) }
    if let conditionStandardizer { m[ModelKey.conditionStandardizer] = metadataJSON(conditionStandardizer) }
    m[ModelKey.training] = metadataJSON(training)
    return m
  }

  /// Writes the model to one safetensors file, atomically, in the precision `Scalar`.
  ///
  /// - Parameter url: the file, such as `model.safetensors`.
  /// - Throws: ``ModelFileError/file(path:_:)`` when it cannot be written.
  public func save(to url: URL) throws(ModelFileError) {
    do {
      try network.save(to: url, extraMetadata: metadata)
    } catch {
      throw .file(path: url.path, error)
    }
  }

  /// The model in a file written by ``save(to:)`` (converted to `Scalar` if the file has the
  /// other precision).
  ///
  /// - Parameter url: the file.
  /// - Returns: the model.
  /// - Throws: ``ModelFileError/file(path:_:)`` for an unreadable or malformed file or tensors
  ///   that do not fit the stored architecture (naming the tensor);
  ///   ``ModelFileError/missingMetadata(path:key:)`` and
  ///   ``ModelFileError/invalidMetadata(path:key:reason:)`` for metadata that is absent or
  ///   makes no sense (naming the key).
  public static func load(from url: URL) throws(ModelFileError) -> TrainedModel {
    let path = url.path
    let metadata: [String: String]
    let network: MLP<Scalar>
    do {
      metadata = try SafeTensors.read(from: url, as: Scalar.self).metadata
      network = try MLP<Scalar>.load(from: url)
    } catch {
      throw .file(path: path, error)
    }
    func value(_ key: String) throws(ModelFileError) -> String {
      guard let v = metadata[key] else { throw .missingMetadata(path: path, key: key) }
      return v
    }
    func decode<T: Decodable>(_ type: T.Type, _ key: String) throws(ModelFileError) -> T {
      let json = try value(key)
      do {
        return try JSONDecoder().decode(T.self, from: Data(json.utf8))
      } catch {
        throw .invalidMetadata(path: path, key: key, reason: "not valid JSON for \(T.self): \(error)")
      }
    }
    let format = try value(ModelKey.format)
    guard format == "1" else {
      throw .invalidMetadata(
        path: path, key: ModelKey.format, reason: "unknown format '\(format)' (this library reads 1)")
    }
    let process = try decode(SDEDescription.self, ModelKey.process)
    if let failure = process.validationFailure {
      throw .invalidMetadata(path: path, key: ModelKey.process, reason: failure)
    }
    let name = try value(ModelKey.parameterization)
    guard let parameterization = Parameterization(fileName: name) else {
      throw .invalidMetadata(
        path: path, key: ModelKey.parameterization, reason: "'\(name)' is not score, noise or data")
    }
    let encoding = try decode(ConditionEncoding.self, ModelKey.conditionEncoding)
    let c = network.configuration
    guard encoding.dimension >= 0, encoding.networkColumns == c.conditionDimension,
      !(encoding.hasMaskColumn && encoding.dimension == 0)
    else {
      throw .invalidMetadata(
        path: path, key: ModelKey.conditionEncoding,
        reason: "\(encoding.dimension) conditions (mask: \(encoding.hasMaskColumn)) for a network taking "
          + "\(c.conditionDimension) condition columns")
    }
    func standardizer(_ key: String, columns: Int) throws(ModelFileError) -> Standardizer? {
      guard metadata[key] != nil else { return nil }
      let s = try decode(Standardizer.self, key)
      guard s.dimension == columns,
        s.means.allSatisfy(\.isFinite), s.standardDeviations.allSatisfy({ $0 > 0 && $0.isFinite }),
        s.means.count == s.standardDeviations.count
      else {
        throw .invalidMetadata(
          path: path, key: key, reason: "needs \(columns) finite means and positive standard deviations")
      }
      return s
    }
    let data = try standardizer(ModelKey.standardizer, columns: c.inputDimension)
    let conditions = try standardizer(ModelKey.conditionStandardizer, columns: encoding.dimension)
    let training = try decode(TrainingSummary.self, ModelKey.training)
    return TrainedModel(
      network: network, process: process, parameterization: parameterization, conditionEncoding: encoding,
      standardizer: data, conditionStandardizer: conditions, training: training)
  }
}

extension Trainer {
  /// The model to sample with: the EMA weights, the process, the parameterisation, the
  /// standardisation (split into data and condition columns) and a training summary.
  ///
  /// - Parameters:
  ///   - data: a description of the training data for the summary.
  ///   - date: the date recorded (now by default).
  /// - Returns: the model.
  /// - Throws: ``ModelFileError/unsupportedProcess(_:)`` for a process without an
  ///   ``SDEDescription``.
  public func trainedModel(data: String? = nil, date: Date = Date()) throws(ModelFileError) -> TrainedModel<
    Scalar
  > {
    guard let description = SDEDescription(objective.process) else {
      throw .unsupportedProcess(String(describing: objective.process))
    }
    let d = source.dataColumns
    let dataStandardizer = standardizer.map {
      Standardizer(means: Array($0.means[..<d]), standardDeviations: Array($0.standardDeviations[..<d]))
    }
    let conditionStandardizer: Standardizer? =
      conditionEncoding.dimension == 0
      ? nil
      : standardizer.map {
        Standardizer(means: Array($0.means[d...]), standardDeviations: Array($0.standardDeviations[d...]))
      }
    let formatter = ISO8601DateFormatter()
    let summary = TrainingSummary(
      steps: completedSteps, seed: configuration.seed, finalLoss: smoothedLoss.isFinite ? smoothedLoss : nil,
      date: formatter.string(from: date), configuration: configuration, data: data)
    return TrainedModel(
      network: averagedNetwork, process: description, parameterization: configuration.loss.parameterization,
      conditionEncoding: conditionEncoding, standardizer: dataStandardizer,
      conditionStandardizer: conditionStandardizer, training: summary)
  }
}
