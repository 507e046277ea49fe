import Datasets
import DiffusionProcesses
public import Foundation
import LinearAlgebra
import ScoreNetworks

/// The metadata keys of a model file.
enum ModelKey {
  static let format = "score_sde.model.format"
  static let process = "score_sde.model.process"
  static let parameterization = "score_sde.model.parameterization"
  static let conditionEncoding = "score_sde.model.condition_encoding"
  static let standardizer = "score_sde.model.standardizer"
  static let conditionStandardizer = "score_sde.model.condition_standardizer"
  static let training = "score_sde.model.training"
  static let gaussianBaseline = "score_sde.model.gaussian_baseline"
  static let dequantization = "score_sde.model.dequantization"
  static let columnTransforms = "score_sde.model.column_transforms"
  static let dataRange = "score_sde.model.data_range"
}

extension TrainedModel {
  /// The metadata written with the network's tensors: JSON with sorted keys, so the same model
  /// always gives the same text. Its numbers must be finite (JSON has no NaN or ∞), as
  /// ``save(to:)`` checks before writing.
  public var metadata: [String: String] {
    var m: [String: String] = [:]
    m[ModelKey.format] = "1"
    m[ModelKey.process] = metadataJSON(process)
    m[ModelKey.parameterization] = parameterization.fileName
    m[ModelKey.conditionEncoding] = metadataJSON(conditionEncoding)
    if let standardizer { m[ModelKey.standardizer] = metadataJSON(standardizer) }
    if let conditionStandardizer { m[ModelKey.conditionStandardizer] = metadataJSON(conditionStandardizer) }
    m[ModelKey.training] = metadataJSON(training)
    if let gaussianBaseline { m[ModelKey.gaussianBaseline] = metadataJSON(gaussianBaseline) }
    if let dequantization { m[ModelKey.dequantization] = metadataJSON(dequantization) }
    if let columnTransforms { m[ModelKey.columnTransforms] = metadataJSON(columnTransforms) }
    if let dataRange { m[ModelKey.dataRange] = metadataJSON(dataRange) }
    return m
  }

  /// Writes the model to one safetensors file, atomically, in the precision `Scalar`.
  ///
  /// The file is a function of the model alone: the same model gives the same bytes (the JSON
  /// keys are sorted, and no date is added beyond ``TrainingSummary/date``), and it records the
  /// CRC-32 of its tensor data (``SafeTensors/checksumMetadataKey``), which ``load(from:)``
  /// verifies.
  ///
  /// - Parameter url: the file, such as `model.safetensors`.
  /// - Throws: ``ModelFileError/nonFiniteParameters(path:tensor:index:count:)`` for a tensor
  ///   holding NaN or ±∞ and ``ModelFileError/invalidMetadata(path:key:reason:)`` for an invalid
  ///   process or training summary (nothing is written then: ``load(from:)`` would refuse the
  ///   file); ``ModelFileError/file(path:_:)`` when it cannot be written.
  public func save(to url: URL) throws(ModelFileError) {
    let path = url.relativePath
    try ModelFileCheck.checkFinite(network.namedTensors(), path: path)
    if let failure = process.validationFailure {
      throw .invalidMetadata(path: path, key: ModelKey.process, reason: failure)
    }
    if let failure = training.validationFailure {
      throw .invalidMetadata(path: path, key: ModelKey.training, reason: failure)
    }
    if let failure = gaussianBaseline?.validationFailure {
      throw .invalidMetadata(path: path, key: ModelKey.gaussianBaseline, reason: failure)
    }
    if let failure = dequantization?.validationFailure(dimension: dimension) {
      throw .invalidMetadata(path: path, key: ModelKey.dequantization, reason: failure)
    }
    if let failure = columnTransforms?.validationFailure(dimension: dimension) {
      throw .invalidMetadata(path: path, key: ModelKey.columnTransforms, reason: failure)
    }
    if let failure = dataRange?.validationFailure(dimension: dimension) {
      throw .invalidMetadata(path: path, key: ModelKey.dataRange, reason: failure)
    }
    do {
      try network.save(to: url, extraMetadata: metadata)
    } catch {
      throw .file(path: path, error)
    }
  }

  /// The bytes ``save(to:)`` writes: the network's tensors and all the metadata.
  public var fileContents: Data { network.fileContents(extraMetadata: metadata) }

  /// The model in a file written by ``save(to:)`` (converted to `Scalar` if the file has the
  /// other precision).
  ///
  /// Nothing is built from the file before it is checked: the CRC-32 of its tensor data, every
  /// tensor (not only the layers' weights) for NaN and ±∞ once read as `Scalar`, and every number
  /// of the metadata for being finite in `Scalar` and making sense. A damaged file is refused
  /// here, naming the file and the tensor or key, rather than giving NaN samples later.
  ///
  /// - Parameter url: the file.
  /// - Returns: the model.
  /// - Throws: ``ModelFileError/file(path:_:)`` for an unreadable or malformed file, a file whose
  ///   tensor data do not match their recorded CRC-32
  ///   (``SafeTensorsError/checksumMismatch(expected:found:)``; files without one, from other
  ///   tools, are not checked), or tensors that do not fit the stored architecture (naming the
  ///   tensor); ``ModelFileError/nonFiniteParameters(path:tensor:index:count:)`` for any tensor
  ///   holding NaN or ±∞ in `Scalar` (weights, Fourier frequencies, LayerNorm parameters, …);
  ///   ``ModelFileError/missingMetadata(path:key:)`` and
  ///   ``ModelFileError/invalidMetadata(path:key:reason:)`` for metadata that is absent or
  ///   makes no sense (naming the key): a number that is not finite in `Scalar`, an invalid
  ///   process, standard deviations that are not positive, an invalid training summary.
  public static func load(from url: URL) throws(ModelFileError) -> TrainedModel {
    let path = url.relativePath
    let tensors: NamedTensors<Scalar>
    let metadata: [String: String]
    do {
      (tensors, metadata) = try SafeTensors.read(from: url, as: Scalar.self)
    } catch {
      throw .file(path: path, error)
    }
    // Non-finite tensors would only give NaN scores (and NaN samples) later, far from the cause.
    try ModelFileCheck.checkFinite(tensors, path: path)
    try ModelFileCheck.checkNumbers(
      in: metadata,
      keys: [
        ModelKey.process, ModelKey.conditionEncoding, ModelKey.training, Network.configurationMetadataKey,
      ],
      as: Scalar.self, path: path)
    // The standardisations are applied in Double whatever the model's precision (data at 1e39 or
    // 1e-50 scales are fine in a Float model), so their numbers are checked in Double.
    try ModelFileCheck.checkNumbers(
      in: metadata,
      keys: [
        ModelKey.standardizer, ModelKey.conditionStandardizer, ModelKey.gaussianBaseline,
        ModelKey.dequantization, ModelKey.columnTransforms, ModelKey.dataRange,
      ],
      as: Double.self, path: path)
    let network: Network
    do {
      network = try Network.network(tensors: tensors, metadata: metadata)
    } catch {
      throw .file(path: path, error)
    }
    func value(_ key: String) throws(ModelFileError) -> String {
      guard let v = metadata[key] else { throw .missingMetadata(path: path, key: key) }
      return v
    }
    /// The JSON value at `key`, decoded and then checked by `failure` (a reason, or nil when valid).
    func decode<T: Decodable>(
      _ type: T.Type, _ key: String, failure: (T) -> String? = { _ in nil }
    ) throws(ModelFileError) -> T {
      let json = try value(key)
      let decoded: T
      do {
        decoded = try JSONDecoder().decode(T.self, from: Data(json.utf8))
      } catch {
        throw .invalidMetadata(path: path, key: key, reason: "not valid JSON for \(T.self): \(error)")
      }
      if let reason = failure(decoded) { throw .invalidMetadata(path: path, key: key, reason: reason) }
      return decoded
    }
    /// `decode`, or nil when the file has no `key` (an optional part of the model).
    func decodeIfPresent<T: Decodable>(
      _ type: T.Type, _ key: String, failure: (T) -> String?
    ) throws(ModelFileError) -> T? {
      guard metadata[key] != nil else { return nil }
      return try decode(type, key, failure: failure)
    }
    let format = try value(ModelKey.format)
    guard format == "1" else {
      throw .invalidMetadata(
        path: path, key: ModelKey.format, reason: "unknown format '\(format)' (this library reads 1)")
    }
    let process = try decode(SDEDescription.self, ModelKey.process) {
      ModelFileCheck.processFailure($0, as: Scalar.self)
    }
    let name = try value(ModelKey.parameterization)
    guard let parameterization = Parameterization(fileName: name) else {
      throw .invalidMetadata(
        path: path, key: ModelKey.parameterization,
        reason: "'\(name)' is not score, noise, data, edm or edm:σ_data")
    }
    let encoding = try decode(ConditionEncoding.self, ModelKey.conditionEncoding)
    guard encoding.dimension >= 0, encoding.networkColumns == network.conditionDimension,
      !(encoding.hasMaskColumn && encoding.dimension == 0)
    else {
      throw .invalidMetadata(
        path: path, key: ModelKey.conditionEncoding,
        reason: "\(encoding.dimension) conditions (mask: \(encoding.hasMaskColumn)) for a network taking "
          + "\(network.conditionDimension) condition columns")
    }
    func standardizer(_ key: String, columns: Int) throws(ModelFileError) -> Standardizer? {
      // The decoder does not go through Standardizer's checked initializer: check here.
      try decodeIfPresent(Standardizer.self, key) { ModelFileCheck.standardizerFailure($0, columns: columns) }
    }
    if let width = process.stateDimension, width != network.inputDimension {
      throw .invalidMetadata(
        path: path, key: ModelKey.process,
        reason: "a \(process.name) process on \(width) columns for a network of \(network.inputDimension)")
    }
    if !process.hasIsotropicKernel && parameterization != .noise {
      throw .invalidMetadata(
        path: path, key: ModelKey.parameterization,
        reason:
          "a \(process.name) model predicts the noise; '\(parameterization.fileName)' is not defined for it")
    }
    let dataDimension = process.dataDimension(stateDimension: network.inputDimension)
    let data = try standardizer(ModelKey.standardizer, columns: dataDimension)
    let conditions = try standardizer(ModelKey.conditionStandardizer, columns: encoding.dimension)
    let training = try decode(TrainingSummary.self, ModelKey.training) { $0.validationFailure }
    var model = TrainedModel(
      network: network, process: process, parameterization: parameterization, conditionEncoding: encoding,
      standardizer: data, conditionStandardizer: conditions, training: training)
    model.gaussianBaseline = try decodeIfPresent(GaussianBaseline.self, ModelKey.gaussianBaseline) {
      $0.validationFailure
        ?? ($0.dimension == dataDimension
          ? nil : "a baseline of dimension \($0.dimension) for a model of dimension \(dataDimension)")
    }
    model.dequantization = try decodeIfPresent(Dequantization.self, ModelKey.dequantization) {
      $0.validationFailure(dimension: dataDimension)
    }
    model.columnTransforms = try decodeIfPresent(ColumnTransforms.self, ModelKey.columnTransforms) {
      $0.validationFailure(dimension: dataDimension)
    }
    model.dataRange = try decodeIfPresent(DataRange.self, ModelKey.dataRange) {
      $0.validationFailure(dimension: dataDimension)
    }
    return model
  }
}

/// What a model file holds, read before choosing the type to load it as.
public enum ModelFile {
  /// The architecture name of the network in a model (or network) file: `"mlp"`, `"resmlp"`,
  /// or a user network's ``ScoreNetwork/architectureName``; files written before networks were
  /// pluggable hold an `"mlp"`.
  ///
  /// ```swift
  /// switch try ModelFile.architecture(of: url) {
  /// case MLP<Float>.architectureName: use(try TrainedModel<MLP<Float>>.load(from: url))
  /// case ResidualMLP<Float>.architectureName: use(try TrainedModel<ResidualMLP<Float>>.load(from: url))
  /// case let other: print("unknown architecture \(other)")
  /// }
  /// ```
  /// - Parameter url: the file.
  /// - Returns: the architecture's name.
  /// - Throws: ``ModelFileError/file(path:_:)`` when the file cannot be read as safetensors.
  public static func architecture(of url: URL) throws(ModelFileError) -> String {
    do {
      let metadata = try SafeTensors.metadata(from: url)
      return metadata[MLP<Float>.architectureMetadataKey] ?? MLP<Float>.architectureName
    } catch {
      throw .file(path: url.relativePath, error)
    }
  }
}
