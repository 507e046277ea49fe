public import ScoreNetworks

/// Why a model file could not be written or loaded: the safetensors layer's error (unreadable,
/// malformed, corrupted — its checksum does not match — or tensors of another architecture), a
/// tensor holding NaN or ±∞, or metadata that is missing or does not make sense. Each names the
/// file and the tensor or metadata key.
///
/// ```swift
/// do { _ = try TrainedModel<Float>.load(from: url) } catch { print(error) }
/// // "model.safetensors: metadata score_sde.model.process is missing (not a ScoreSDE model file?)"
/// ```
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file could not be read or written, is not valid safetensors, or its tensors do not fit
  /// the architecture its metadata states (the safetensors error names the tensor).
  case file(path: String, SafeTensorsError)
  /// A metadata entry a model file must have is absent.
  case missingMetadata(path: String, key: String)
  /// A metadata entry cannot be parsed or contradicts another (what is wrong).
  case invalidMetadata(path: String, key: String, reason: String)
  /// The process has no `SDEDescription` (a custom `GaussianSDE`), so a model file could not
  /// rebuild it.
  case unsupportedProcess(String)
  /// A tensor of the file holds NaN or ±∞ (`count` of its entries, the first at flat index
  /// `index`): a layer's weight or bias, or any other tensor (the Fourier frequencies of the
  /// time embedding, a LayerNorm's γ or β). Such a model can only give non-finite scores, so it is
  /// refused on load (every tensor is checked before the network is built) and never written.
  case nonFiniteParameters(path: String, tensor: String, index: Int, count: Int)
  /// The environment variable `SOURCE_DATE_EPOCH` holds `value`, which is not a whole number of
  /// seconds since 1970-01-01 00:00 UTC (see ``TrainingSummary/sourceDateEpoch(in:)``).
  case invalidSourceDateEpoch(value: String)

  /// A sentence naming the file and the problem.
  public var description: String {
    switch self {
    case .file(let path, .unreadable(_, let reason)), .file(let path, .unwritable(_, let reason)):
      return "\(path): \(reason)"
    case .file(let path, let error): return "\(path): \(error)"
    case .missingMetadata(let path, let key):
      return "\(path): metadata \(key) is missing (not a ScoreSDE model file?)"
    case .invalidMetadata(let path, let key, let reason): return "\(path): metadata \(key): \(reason)"
    case .nonFiniteParameters(let path, let tensor, let index, let count):
      return
        "\(path): tensor \(tensor) holds \(count) non-finite values (NaN or infinite), the first at entry \(index)"
    case .invalidSourceDateEpoch(let value):
      return
        "SOURCE_DATE_EPOCH is '\(value)', not a whole number of seconds since 1970-01-01 00:00 UTC "
        + "(unset it, or set it to the output of `date +%s`)"
    case .unsupportedProcess(let process):
      return
        "The process \(process) cannot be stored in a model file (use VP, sub-VP, VE or Ornstein–Uhlenbeck)"
    }
  }
}
