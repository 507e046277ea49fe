import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreNetworks

/// The checks a model file passes before anything is built from it, so that a damaged or
/// hostile file is refused with an error naming the file and the tensor or metadata key, never
/// accepted to fail later (a NaN score at the first sampling step) or to trap:
///
/// - every tensor is finite — the layers' weights and biases and every other tensor of the file
///   (Fourier frequencies, LayerNorm γ and β), read in the model's precision, so that a `Double`
///   file's 10³⁰⁰ read as `Float` is caught too;
/// - every number in the JSON metadata this library reads (the process, the condition encoding,
///   the standardisers, the training summary, the network's configuration) is finite in the
///   model's precision (JSON itself cannot hold NaN or ±∞: the decoder refuses them), except
///   the standardisations', which are applied in `Double` and checked there;
/// - each entry makes sense: a process its ``SDEDescription/validationFailure`` accepts, also
///   with its parameters rounded to the model's precision; standard deviations positive with a
///   finite reciprocal; a training summary its ``TrainingSummary/validationFailure`` accepts.
enum ModelFileCheck {
  /// Throws ``ModelFileError/nonFiniteParameters(path:tensor:index:count:)`` for the first
  /// tensor (in file order) that holds NaN or ±∞.
  static func checkFinite<S: BLASScalar>(_ tensors: NamedTensors<S>, path: String) throws(ModelFileError) {
    for t in tensors.entries {
      if let report = t.values.nonFiniteReport() {
        throw .nonFiniteParameters(
          path: path, tensor: t.name, index: report.firstRow * t.values.columns + report.firstColumn,
          count: report.count)
      }
    }
  }

  /// Throws ``ModelFileError/invalidMetadata(path:key:reason:)`` for the first of `keys`
  /// whose JSON value holds a number that is not finite as `S` (a value that is not JSON is left
  /// to the entry's own decoder).
  static func checkNumbers<S: BLASScalar>(
    in metadata: [String: String], keys: [String], as _: S.Type, path: String
  ) throws(ModelFileError) {
    for key in keys {
      guard let json = metadata[key],
        let bad = firstNumber(inJSON: json, where: { !S($0).isFinite })
      else { continue }
      throw .invalidMetadata(
        path: path, key: key,
        reason: "\(bad.path.isEmpty ? "the value" : bad.path) is \(bad.value), "
          + (bad.value.isFinite ? "which overflows \(S.self)" : "not a finite number"))
    }
  }

  /// The first number in the JSON text `json` (keys in sorted order, arrays in order) for which
  /// `isBad` holds, with its path such as `kind.ve.sigmaMax` or `means[1]`; `nil` if there is
  /// none or `json` is not JSON.
  static func firstNumber(inJSON json: String, where isBad: (Double) -> Bool) -> (
    path: String, value: Double
  )? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    else { return nil }
    func search(_ value: Any, _ path: String) -> (path: String, value: Double)? {
      switch value {
      case let dictionary as [String: Any]:
        for key in dictionary.keys.sorted() {
          if let bad = search(dictionary[key]!, path.isEmpty ? key : "\(path).\(key)") { return bad }
        }
      case let array as [Any]:
        for (k, element) in array.enumerated() {
          if let bad = search(element, "\(path)[\(k)]") { return bad }
        }
      case let number as NSNumber:
        let x = number.doubleValue
        if isBad(x) { return (path, x) }
      default: break
      }
      return nil
    }
    return search(object, "")
  }

  /// Why `s` cannot standardise `columns` columns, or `nil`. Standardisation is computed in
  /// `Double` whatever the model's precision, so that is where its numbers must be usable.
  static func standardizerFailure(_ s: Standardizer, columns: Int) -> String? {
    guard s.means.count == columns, s.standardDeviations.count == columns else {
      return "\(s.means.count) means and \(s.standardDeviations.count) standard deviations for "
        + "\(columns) columns (needs \(columns) finite means and positive standard deviations)"
    }
    for (j, mean) in s.means.enumerated() where !mean.isFinite {
      return "means[\(j)] = \(mean) is not finite"
    }
    for (j, sigma) in s.standardDeviations.enumerated() {
      guard sigma > 0, sigma.isFinite, (1 / sigma).isFinite else {
        return "standardDeviations[\(j)] = \(sigma) is not a positive number with a finite reciprocal"
      }
    }
    return nil
  }

  /// Why `process` cannot be built in precision `S`: its own ``SDEDescription/validationFailure``,
  /// or that of its parameters rounded to `S` (a σ_min that underflows to 0 in `Float`).
  static func processFailure<S: BLASScalar>(_ process: SDEDescription, as _: S.Type) -> String? {
    if let failure = process.validationFailure { return failure }
    func r(_ x: Double) -> Double { Double(S(x)) }
    func rounded(_ s: SDEDescription.Schedule) -> SDEDescription.Schedule {
      switch s {
      case .linear(let b0, let b1): return .linear(betaMin: r(b0), betaMax: r(b1))
      case .cosine(let offset, let bmax): return .cosine(offset: r(offset), maximumBeta: r(bmax))
      }
    }
    let kind: SDEDescription.Kind
    switch process.kind {
    case .vp(let s): kind = .vp(schedule: rounded(s))
    case .subVP(let s): kind = .subVP(schedule: rounded(s))
    case .ve(let lo, let hi): kind = .ve(sigmaMin: r(lo), sigmaMax: r(hi))
    case .ornsteinUhlenbeck(let theta, let mean, let sigma):
      kind = .ornsteinUhlenbeck(theta: r(theta), mean: r(mean), sigma: r(sigma))
    case .linear(let drift, let offset, let noise, let s):
      kind = .linear(
        drift: drift.map { $0.map(r) }, offset: offset.map(r), noise: noise.map { $0.map(r) },
        schedule: rounded(s))
    case .criticallyDampedLangevin(let d, let mass, let gamma, let s):
      kind = .criticallyDampedLangevin(
        dimension: d, mass: r(mass), initialVelocityScale: r(gamma), schedule: rounded(s))
    }
    return SDEDescription(kind, endTime: r(process.endTime)).validationFailure.map { "in \(S.self): \($0)" }
  }
}

extension TrainingSummary {
  /// The first field that makes no sense, described, or `nil`: a negative step count, a final
  /// loss that is not finite or is negative (the loss is a weighted mean of squares), or a
  /// configuration its ``TrainingConfiguration/validationFailure`` refuses. A model file with
  /// such a summary is neither written nor loaded.
  public var validationFailure: String? {
    if steps < 0 { return "steps must be non-negative, got \(steps)" }
    if let loss = finalLoss, !(loss.isFinite && loss >= 0) {
      return "finalLoss must be finite and non-negative, got \(loss)"
    }
    if let failure = configuration?.validationFailure { return "configuration: \(failure)" }
    if let v = validation {
      if !(v.bestLoss.isFinite && v.bestLoss >= 0) {
        return "validation.bestLoss must be finite and non-negative, got \(v.bestLoss)"
      }
      if !(v.bestStep >= 0 && v.bestStep <= v.lastStep) {
        return "validation.bestStep must lie in [0, lastStep = \(v.lastStep)], got \(v.bestStep)"
      }
      if let f = v.heldOutFraction, !(f > 0 && f < 1) {
        return "validation.heldOutFraction must lie in (0, 1), got \(f)"
      }
    }
    return nil
  }
}
