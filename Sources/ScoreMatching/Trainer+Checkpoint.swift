import Datasets
import DiffusionProcesses
public import Foundation
import LinearAlgebra
public import ScoreNetworks

/// The metadata keys of a checkpoint file.
enum CheckpointKey {
  static let format = "score_sde.checkpoint.format"
  static let precision = "score_sde.precision"
  static let configuration = "score_sde.training.configuration"
  static let process = "score_sde.process"
  static let processDescription = "score_sde.process.description"
  static let conditionEncoding = "score_sde.condition_encoding"
  static let standardizer = "score_sde.standardizer"
  static let sourceStandardizer = "score_sde.source.standardizer"
  static let dataColumns = "score_sde.data.columns"
  static let step = "score_sde.step"
  static let optimizerStep = "score_sde.optimizer.step"
  static let emaUpdates = "score_sde.ema.update_count"
  static let lossAccumulator = "score_sde.loss.accumulator_bits"
  static let lossCount = "score_sde.loss.count"
  static let lastLoss = "score_sde.loss.last_bits"
  static let lastGradientNorm = "score_sde.gradient_norm.last_bits"
  static let lastLearningRate = "score_sde.learning_rate.last_bits"
  static let rng = "score_sde.rng"
  static let earlyStopping = "score_sde.validation.early_stopping"
}

/// The early-stopping state in a checkpoint's metadata (the best weights are tensors `best.*`);
/// the best loss as bits, since it is +∞ before the first evaluation.
struct EarlyStoppingRecord: Codable {
  var bestStep: Int
  var bestLossBits: String
  var evaluationsWithoutImprovement: Int
  var history: [ValidationPoint]
}

/// `value` as compact sorted JSON (for metadata; encoding plain value types cannot fail).
func metadataJSON<T: Encodable>(_ value: T) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// The bits of a `Double` as 16 hexadecimal digits, so that it survives a text file exactly.
func bitString(_ x: Double) -> String {
  let hex = String(x.bitPattern, radix: 16)
  return String(repeating: "0", count: 16 - hex.count) + hex
}

extension Trainer {
  /// The process as text, such as `VPSDE<Float>(schedule: …, endTime: 1.0)`: what a resumed
  /// trainer's process must equal.
  var processSignature: String { String(describing: objective.process) }

  /// Every tensor of the training state: `model.<name>` (the current weights and the Fourier
  /// frequencies), `ema.<name>` (the averaged weights), and the optimizer's state
  /// (`adam.exp_avg.<name>`, `adam.exp_avg_sq.<name>` or `sgd.momentum_buffer.<name>`).
  public var checkpointTensors: NamedTensors<Scalar> {
    var tensors = NamedTensors<Scalar>()
    for t in state.network.namedTensors().entries {
      tensors.append(name: "model." + t.name, shape: t.shape, values: t.values)
    }
    tensors.append(contentsOf: state.ema.namedTensors())
    tensors.append(contentsOf: state.optimizerState)
    if let stopping = state.earlyStopping {
      tensors.append(contentsOf: stopping.bestParameters.namedTensors(prefix: "best."))
    }
    return tensors
  }

  /// The checkpoint's metadata: the configuration, the architecture, the process, the encoding,
  /// the standardiser, the step counters and the loss statistics (as exact bit patterns), and
  /// how the generators are derived from the seed (there is no other generator state).
  public var checkpointMetadata: [String: String] {
    var m = state.network.metadata
    m[CheckpointKey.format] = "1"
    m[CheckpointKey.precision] = Scalar.precisionName
    m[CheckpointKey.configuration] = metadataJSON(configuration)
    m[CheckpointKey.process] = processSignature
    if let description = SDEDescription(objective.process) {
      m[CheckpointKey.processDescription] = metadataJSON(description)
    }
    m[CheckpointKey.conditionEncoding] = metadataJSON(conditionEncoding)
    if let standardizer { m[CheckpointKey.standardizer] = metadataJSON(standardizer) }
    if let applied = source.appliedStandardizer {
      m[CheckpointKey.sourceStandardizer] = metadataJSON(applied)
    }
    m[CheckpointKey.dataColumns] = "\(source.columns)"
    m[CheckpointKey.step] = "\(state.step)"
    m[CheckpointKey.optimizerStep] = "\(state.optimizerStep)"
    m[CheckpointKey.emaUpdates] = "\(state.ema.updateCount)"
    m[CheckpointKey.lossAccumulator] = bitString(state.lossAccumulator)
    m[CheckpointKey.lossCount] = "\(state.lossCount)"
    m[CheckpointKey.lastLoss] = bitString(state.lastLoss)
    m[CheckpointKey.lastGradientNorm] = bitString(state.lastGradientNorm)
    m[CheckpointKey.lastLearningRate] = bitString(state.lastLearningRate)
    if let stopping = state.earlyStopping {
      m[CheckpointKey.earlyStopping] = metadataJSON(
        EarlyStoppingRecord(
          bestStep: stopping.bestStep, bestLossBits: bitString(stopping.bestLoss),
          evaluationsWithoutImprovement: stopping.evaluationsWithoutImprovement, history: stopping.history))
    }
    m[CheckpointKey.rng] =
      "xoshiro256++: step k draws from Xoshiro256(seed: \(configuration.seed), stream: k); "
      + "initial weights from stream 2^64-1; evaluation from stream 2^64-2"
    return m
  }

  /// Writes the training state to one safetensors file, atomically (a temporary file renamed
  /// into place, so the previous checkpoint survives any failure), in the precision `Scalar`.
  ///
  /// - Parameter url: the file.
  /// - Throws: ``TrainingError/nonFiniteParameters(step:tensor:)`` (and writes nothing) when a
  ///   weight is not finite; ``TrainingError/checkpointFile(path:_:)`` when the file cannot be written.
  public func saveCheckpoint(to url: URL) throws(TrainingError) {
    if let bad = state.firstNonFiniteTensor() {
      throw .nonFiniteParameters(step: state.step, tensor: bad)
    }
    do {
      try SafeTensors.write(checkpointTensors, metadata: checkpointMetadata, to: url)
    } catch {
      throw .checkpointFile(path: url.relativePath, error)
    }
  }

  /// A trainer that continues the run saved in a checkpoint: same configuration, weights,
  /// averaged weights, optimizer state, step and loss statistics. Training on from it gives
  /// bit-identical results to the uninterrupted run, provided `process` and `source` are the
  /// ones the run used (the process and the source's columns are checked) and BLAS runs with the
  /// same kernels and thread count (a matrix product's rounding may depend on its partitioning).
  ///
  /// ```swift
  /// var trainer = try Trainer(resumingFrom: ckpt, process: VPSDE<Float>(), source: source)
  /// try trainer.train()
  /// ```
  ///
  /// - Parameters:
  ///   - url: a file written by ``saveCheckpoint(to:)``.
  ///   - network: the network's type (it must be the architecture the file names).
  ///   - process: the forward SDE of the run.
  ///   - source: the run's data source.
  /// - Throws: ``TrainingError/checkpointFile(path:_:)`` for an unreadable or malformed file or
  ///   misshapen tensors; ``TrainingError/incompatibleCheckpoint(path:reason:)`` for another
  ///   precision, process, data layout, or missing or invalid metadata.
  public init(
    resumingFrom url: URL, network: Network.Type, process: Process, source: Source
  ) throws(TrainingError) {
    let path = url.relativePath
    let tensors: NamedTensors<Scalar>
    let metadata: [String: String]
    do {
      (tensors, metadata) = try SafeTensors.read(from: url, as: Scalar.self)
    } catch {
      throw .checkpointFile(path: url.relativePath, error)
    }
    // saveCheckpoint never writes a NaN or ±∞: one here is damage, refused before it can
    // poison the run.
    do {
      try ModelFileCheck.checkFinite(tensors, path: path)
    } catch {
      throw .incompatibleCheckpoint(path: path, reason: error.description)
    }
    func value(_ key: String) throws(TrainingError) -> String {
      guard let v = metadata[key] else {
        throw .incompatibleCheckpoint(
          path: path, reason: "metadata \(key) is missing (not a ScoreSDE checkpoint?)")
      }
      return v
    }
    func decode<T: Decodable>(_ type: T.Type, _ key: String) throws(TrainingError) -> T {
      let json = try value(key)
      do {
        return try JSONDecoder().decode(T.self, from: Data(json.utf8))
      } catch {
        throw .incompatibleCheckpoint(path: path, reason: "metadata \(key) is not valid: \(error)")
      }
    }
    func integer(_ key: String) throws(TrainingError) -> Int {
      guard let n = Int(try value(key)), n >= 0 else {
        throw .incompatibleCheckpoint(path: path, reason: "metadata \(key) is not a count")
      }
      return n
    }
    func bits(_ key: String) throws(TrainingError) -> Double {
      guard let b = UInt64(try value(key), radix: 16) else {
        throw .incompatibleCheckpoint(path: path, reason: "metadata \(key) is not 16 hexadecimal digits")
      }
      return Double(bitPattern: b)
    }

    guard try value(CheckpointKey.format) == "1" else {
      throw .incompatibleCheckpoint(
        path: path, reason: "unknown checkpoint format \(metadata[CheckpointKey.format]!)")
    }
    let precision = try value(CheckpointKey.precision)
    guard precision == Scalar.precisionName else {
      throw .incompatibleCheckpoint(
        path: path, reason: "it holds \(precision) weights, this trainer is \(Scalar.precisionName)")
    }
    let configuration = try decode(TrainingConfiguration.self, CheckpointKey.configuration)
    if let failure = configuration.validationFailure {
      throw .incompatibleCheckpoint(path: path, reason: "metadata \(CheckpointKey.configuration): \(failure)")
    }
    let storedArchitecture = metadata[Network.architectureMetadataKey] ?? MLP<Scalar>.architectureName
    guard storedArchitecture == Network.architectureName else {
      throw .incompatibleCheckpoint(
        path: path,
        reason: "it holds a '\(storedArchitecture)' network, this trainer's is '\(Network.architectureName)'")
    }
    let architecture = try decode(Network.Configuration.self, Network.configurationMetadataKey)
    let standardizer: Standardizer? =
      metadata[CheckpointKey.standardizer] == nil
      ? nil : try decode(Standardizer.self, CheckpointKey.standardizer)
    let encoding = try decode(ConditionEncoding.self, CheckpointKey.conditionEncoding)
    let columns = try integer(CheckpointKey.dataColumns)
    if let standardizer,
      let failure = ModelFileCheck.standardizerFailure(standardizer, columns: columns)
    {
      throw .incompatibleCheckpoint(path: path, reason: "metadata \(CheckpointKey.standardizer): \(failure)")
    }
    guard columns == source.columns else {
      throw .incompatibleCheckpoint(
        path: path, reason: "the run's data had \(columns) columns, this source has \(source.columns)")
    }
    // A pre-standardised source carries its standardisation; resuming on rows standardised
    // otherwise would silently train on other data.
    let sourceStandardizer: Standardizer? =
      metadata[CheckpointKey.sourceStandardizer] == nil
      ? nil : try decode(Standardizer.self, CheckpointKey.sourceStandardizer)
    guard sourceStandardizer == source.appliedStandardizer else {
      throw .incompatibleCheckpoint(
        path: path,
        reason: "the run's source was standardised with "
          + "\(sourceStandardizer.map { "μ \($0.means), σ \($0.standardDeviations)" } ?? "nothing"), "
          + "this source with "
          + "\(source.appliedStandardizer.map { "μ \($0.means), σ \($0.standardDeviations)" } ?? "nothing")")
    }
    guard String(describing: process) == (try value(CheckpointKey.process)) else {
      throw .incompatibleCheckpoint(
        path: path,
        reason: "the run used \(metadata[CheckpointKey.process]!), not \(String(describing: process))")
    }
    if let failure = Network.validationFailure(of: architecture) {
      throw .incompatibleCheckpoint(path: path, reason: "the stored architecture is invalid: \(failure)")
    }
    var probe = Xoshiro256(seed: 0)
    let stored = Network(configuration: architecture, using: &probe)
    guard stored.inputDimension == source.dataColumns, stored.conditionDimension == encoding.networkColumns
    else {
      throw .incompatibleCheckpoint(
        path: path, reason: "the stored architecture does not fit the source and condition encoding")
    }
    try self.init(
      process: process, network: Network.self, architecture: architecture, source: source,
      configuration: configuration, standardizer: standardizer)
    guard conditionEncoding == encoding else {
      throw .incompatibleCheckpoint(
        path: path, reason: "the stored condition encoding differs from the run's")
    }

    var model = NamedTensors<Scalar>()
    for t in tensors.entries where t.name.hasPrefix("model.") {
      model.append(name: String(t.name.dropFirst("model.".count)), shape: t.shape, values: t.values)
    }
    do {
      try state.network.load(from: model)
      try state.ema.load(from: tensors)
      let optimizerStep = try integer(CheckpointKey.optimizerStep)
      if optimizerStep > 0 {
        try state.optimizer.loadState(tensors, for: state.network.parameters)
        state.optimizer.step = optimizerStep
      }
    } catch let error as SafeTensorsError {
      throw .checkpointFile(path: url.relativePath, error)
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .incompatibleCheckpoint(path: path, reason: "\(error)")
    }
    if metadata[CheckpointKey.earlyStopping] != nil {
      let record = try decode(EarlyStoppingRecord.self, CheckpointKey.earlyStopping)
      guard let bits = UInt64(record.bestLossBits, radix: 16), record.bestStep >= 0,
        record.evaluationsWithoutImprovement >= 0
      else {
        throw .incompatibleCheckpoint(
          path: path, reason: "metadata \(CheckpointKey.earlyStopping) holds an invalid step, count or loss")
      }
      var stopping = EarlyStoppingState(parameters: state.ema.average, step: record.bestStep)
      do {
        try stopping.bestParameters.load(from: tensors, prefix: "best.")
      } catch {
        throw .checkpointFile(path: url.relativePath, error)
      }
      stopping.bestLoss = Double(bitPattern: bits)
      stopping.evaluationsWithoutImprovement = record.evaluationsWithoutImprovement
      stopping.history = record.history
      state.earlyStopping = stopping
    }
    state.ema.updateCount = try integer(CheckpointKey.emaUpdates)
    state.step = try integer(CheckpointKey.step)
    state.lossAccumulator = try bits(CheckpointKey.lossAccumulator)
    state.lossCount = try integer(CheckpointKey.lossCount)
    state.lastLoss = try bits(CheckpointKey.lastLoss)
    state.lastGradientNorm = try bits(CheckpointKey.lastGradientNorm)
    state.lastLearningRate = try bits(CheckpointKey.lastLearningRate)
    // The statistics are finite once a step has been recorded, and NaN (never ±∞) before.
    guard state.lossAccumulator.isFinite else {
      throw .incompatibleCheckpoint(
        path: path,
        reason: "metadata \(CheckpointKey.lossAccumulator) is \(state.lossAccumulator), not finite")
    }
    for (key, value) in [
      (CheckpointKey.lastLoss, state.lastLoss), (CheckpointKey.lastGradientNorm, state.lastGradientNorm),
      (CheckpointKey.lastLearningRate, state.lastLearningRate),
    ] where !(value.isFinite || (value.isNaN && state.lossCount == 0)) {
      throw .incompatibleCheckpoint(
        path: path,
        reason: "metadata \(key) is \(value), "
          + (state.lossCount == 0
            ? "neither finite nor NaN" : "not finite after \(state.lossCount) recorded steps"))
    }
  }
}

extension Trainer {
  /// A trainer of an ``MLP`` that continues the run saved in a checkpoint (see
  /// ``init(resumingFrom:network:process:source:)``).
  ///
  /// - Parameters:
  ///   - url: a file written by ``saveCheckpoint(to:)``.
  ///   - process: the forward SDE of the run.
  ///   - source: the run's data source.
  /// - Throws: as ``init(resumingFrom:network:process:source:)``.
  public init(resumingFrom url: URL, process: Process, source: Source) throws(TrainingError)
  where Network == MLP<Process.Scalar> {
    try self.init(resumingFrom: url, network: MLP<Scalar>.self, process: process, source: source)
  }
}
