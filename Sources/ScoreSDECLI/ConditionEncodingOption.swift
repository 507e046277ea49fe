import ArgumentParser
import Datasets
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks

/// The parameter encoding chosen with `--condition-encoding`:
/// `identity` (the conditions as they are, today's network), `fourier[:m[:σ]]` (random Fourier
/// features) or `hash[:L[:T[:F]]]` (a learnable multiresolution hash grid, Müller et al. 2022).
struct ConditionEncodingOption: ExpressibleByArgument, Equatable {
  /// The encoding in front of the network, or `nil` for identity (no wrapper; the file holds a
  /// plain network as before).
  var encoding: ParameterEncoding?

  init?(argument: String) {
    let parts = argument.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    func number<T: LosslessStringConvertible>(_ i: Int, default value: T) -> T? {
      i < parts.count ? T(parts[i]) : value
    }
    switch parts[0] {
    case "identity" where parts.count == 1:
      encoding = nil
    case "fourier" where parts.count <= 3:
      guard case .fourier(let m0, let s0) = ParameterEncoding.defaultFourier,
        let m = number(1, default: m0), let s = number(2, default: s0)
      else { return nil }
      encoding = .fourier(features: m, scale: s)
    case "hash" where parts.count <= 4:
      guard case .hashGrid(let l0, let t0, let f0, let coarse, let fine) = ParameterEncoding.defaultHashGrid,
        let l = number(1, default: l0), let t = number(2, default: t0), let f = number(3, default: f0)
      else { return nil }
      encoding = .hashGrid(
        levels: l, tableSize: t, featuresPerLevel: f, coarsestResolution: coarse, finestResolution: fine)
    default:
      return nil
    }
    // Sizes are checked for one parameter here; the real count is checked once the data is known.
    if let encoding, encoding.validationFailure(parameters: 1) != nil { return nil }
  }

  /// No encoding.
  static let identity = ConditionEncodingOption(argument: "identity")!

  static var defaultValueDescription: String { "identity" }
}

extension ModelTraining {
  /// The encoding configuration for `source`'s conditions: `kind`, with each parameter's range
  /// taken as the minimum and maximum of 4096 rows drawn from the source and standardised as the
  /// trainer will (network units), and the mask column passed through when `passthrough` is 1.
  static func parameterEncoding<Source: TrainingDataSource>(
    _ kind: ParameterEncoding, source: Source, standardizer: Standardizer?, passthrough: Int, seed: UInt64
  ) throws -> ParameterEncodingConfiguration where Source.Scalar == Float {
    let (d, k) = (source.dataColumns, source.conditioningColumns)
    guard k > 0 else {
      throw CLIError("--condition-encoding \(kind.name) needs conditioning parameters; the data has none")
    }
    var probe = source
    var rows = Matrix<Float>(rows: 4096, columns: source.columns)
    var rng = Xoshiro256(seed: seed, stream: 7)
    probe.fill(&rows, step: 0, seed: seed, using: &rng)
    standardizer?.transform(&rows)
    var lower = [Double](repeating: .infinity, count: k)
    var upper = [Double](repeating: -.infinity, count: k)
    for i in 0..<rows.rows {
      for j in 0..<k {
        let v = Double(rows[i, d + j])
        lower[j] = min(lower[j], v)
        upper[j] = max(upper[j], v)
      }
    }
    for j in 0..<k where !(upper[j] > lower[j]) {
      throw CLIError(
        "--condition-encoding: condition \(j) takes a single value (\(lower[j])); nothing to encode")
    }
    let configuration = ParameterEncodingConfiguration(
      encoding: kind, lowerBounds: lower, upperBounds: upper, passthroughColumns: passthrough)
    if let failure = configuration.validationFailure { throw CLIError("--condition-encoding: \(failure)") }
    return configuration
  }
}

/// The encoded MLP, built by the tool from `--width`, `--depth` and the encoding.
extension EncodedConditionNetwork: CommandLineNetwork where Base == MLP<Float> {
  static func configuration(
    dimension: Int, conditionColumns: Int, width: Int, depth: Int, encoding: ParameterEncodingConfiguration?
  ) -> EncodedConditionConfiguration<MLPConfiguration> {
    guard let encoding else { preconditionFailure("the encoded MLP is built with its encoding") }
    precondition(
      encoding.inputColumns == conditionColumns, "encoded MLP: \(conditionColumns) condition columns")
    return EncodedConditionConfiguration(
      base: MLPConfiguration(
        inputDimension: dimension, conditionDimension: encoding.outputColumns, width: width, depth: depth),
      encoding: encoding)
  }
}

/// Counts condition rows outside the training range of a model's parameter encoding and warns
/// once, on standard error: the hash grid clamps such rows to the range's faces, the identity and
/// Fourier encodings extrapolate.
struct ConditionRangeCheck {
  private(set) var rows = 0
  private(set) var outside = 0
  private var example = ""
  private var encodingName = ""

  /// Checks condition rows in network units (`k` entries each; a mask column is ignored) against
  /// `network`'s encoding (only an encoded network is checked).
  mutating func check(_ network: some ScoreNetwork, conditions: [[Double]]) {
    guard let encoded = network as? any ParameterEncodedNetwork else { return }
    let e = encoded.parameterEncoding
    encodingName = e.encoding.name
    for row in conditions {
      rows += 1
      guard let first = e.outOfRange(Array(row.prefix(e.parameterCount))).first else { continue }
      if outside == 0 {
        example =
          "condition \(first.column) = \(first.value) (network units) is outside the training range "
          + "[\(first.range.lowerBound), \(first.range.upperBound)] of the model's \(encodingName) encoding"
      }
      outside += 1
    }
  }

  /// Writes the warning when some row was outside.
  func report() {
    guard outside > 0 else { return }
    let behaviour =
      encodingName == "hash" ? "the hash grid clamps it to the range's edge" : "the encoding extrapolates"
    let count = rows > 1 ? " (\(outside) of \(rows) rows)" : ""
    FileHandle.standardError.write(Data("warning: \(example)\(count); \(behaviour)\n".utf8))
  }
}
