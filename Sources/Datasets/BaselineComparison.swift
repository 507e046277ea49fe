import Foundation
import RealModule

/// A model's per-point NLL set beside a baseline's (such as a ``GaussianBaseline``) on the same
/// held-out points and, when given, on training rows, with the two warnings a user needs: the
/// model is worse than the baseline, or it has memorised its training rows.
///
/// Every difference is paired point by point (the same points under both densities), so the
/// points' own spread, which both densities share, cancels from the standard errors:
///
/// - **excess** `e = mean(nll_model − nll_baseline)` on the held-out points, with its standard
///   error. The model is *worse than the baseline* when `e > 0`.
/// - **generalisation gap** beyond the baseline's: `g = e_held-out − e_training`, the amount by
///   which the model's held-out NLL exceeds its training NLL more than the baseline's does, with
///   standard error `√(se_h² + se_t²)` (the two sets are independent). A Gaussian has too few
///   parameters to memorise, so its own gap is the gap that honest fitting leaves. The model has
///   *memorised* when `g` exceeds both 3 standard errors and ``memorisationThreshold(dimension:)``
///   nats, `max(1, d/10)`.
///
/// ```swift
/// let comparison = BaselineComparison(
///   dimension: 13, heldOut: (model: nllTest, baseline: gaussianTest),
///   training: (model: nllTrain, baseline: gaussianTrain))
/// for warning in comparison.warnings { print("warning:", warning) }
/// ```
public struct BaselineComparison: Sendable, Equatable {
  /// The model's NLL on the held-out points.
  public let model: NegativeLogLikelihood
  /// The baseline's NLL on the same points.
  public let baseline: NegativeLogLikelihood
  /// The mean of `nll_model − nll_baseline` over the held-out points, and its standard error.
  public let excess: NegativeLogLikelihood
  /// The model's NLL on the training rows, when given.
  public let trainingModel: NegativeLogLikelihood?
  /// The baseline's NLL on the training rows, when given.
  public let trainingBaseline: NegativeLogLikelihood?
  /// `g`, the model's generalisation gap beyond the baseline's, when training rows are given.
  public let gapBeyondBaseline: Double?
  /// The standard error of `g`.
  public let gapStandardError: Double?
  /// `d`, the data's dimension.
  public let dimension: Int

  /// A comparison.
  ///
  /// - Parameters:
  ///   - dimension: `d`.
  ///   - heldOut: per-point NLL (nats) of the model and the baseline, on the same held-out points
  ///     in the same order.
  ///   - training: the same on training rows, or `nil`.
  public init(
    dimension: Int, heldOut: (model: [Double], baseline: [Double]),
    training: (model: [Double], baseline: [Double])? = nil
  ) {
    precondition(
      heldOut.model.count == heldOut.baseline.count && !heldOut.model.isEmpty,
      "BaselineComparison: \(heldOut.model.count) model and \(heldOut.baseline.count) baseline values")
    self.dimension = dimension
    model = NegativeLogLikelihood(logDensities: heldOut.model.map { -$0 })
    baseline = NegativeLogLikelihood(logDensities: heldOut.baseline.map { -$0 })
    excess = NegativeLogLikelihood(logDensities: zip(heldOut.model, heldOut.baseline).map { $1 - $0 })
    if let training {
      precondition(
        training.model.count == training.baseline.count && !training.model.isEmpty,
        "BaselineComparison: \(training.model.count) model and \(training.baseline.count) baseline training values"
      )
      trainingModel = NegativeLogLikelihood(logDensities: training.model.map { -$0 })
      trainingBaseline = NegativeLogLikelihood(logDensities: training.baseline.map { -$0 })
      let trainingExcess = NegativeLogLikelihood(
        logDensities: zip(training.model, training.baseline).map { $1 - $0 })
      gapBeyondBaseline = excess.mean - trainingExcess.mean
      let se =
        (excess.standardError * excess.standardError + trainingExcess.standardError
        * trainingExcess.standardError).squareRoot()
      gapStandardError = se.isNaN ? 0 : se
    } else {
      trainingModel = nil
      trainingBaseline = nil
      gapBeyondBaseline = nil
      gapStandardError = nil
    }
  }

  /// The gap beyond the baseline's, in nats, past which a model counts as memorising:
  /// `max(1, d/10)`.
  public static func memorisationThreshold(dimension: Int) -> Double { max(1, Double(dimension) / 10) }

  /// Whether the model's held-out NLL is above the baseline's (`e > 0`).
  public var isWorseThanBaseline: Bool { !(excess.mean <= 0) }

  /// Whether the model's held-out and training NLL part ways (see the type's discussion).
  public var isMemorising: Bool {
    guard let g = gapBeyondBaseline, let se = gapStandardError else { return false }
    return !(g <= max(3 * se, Self.memorisationThreshold(dimension: dimension)))
  }

  /// The warnings, as sentences (empty when there is nothing to warn of).
  public var warnings: [String] {
    var result: [String] = []
    if isWorseThanBaseline {
      result.append(
        "the model's held-out NLL is worse than a full-covariance Gaussian's by "
          + "\(formatted(excess.mean)) ± \(formatted(excess.standardError)) nats per point")
    }
    if isMemorising, let g = gapBeyondBaseline, let se = gapStandardError, let train = trainingModel {
      result.append(
        "the model has memorised its training rows: NLL \(formatted(train.mean)) on them, "
          + "\(formatted(model.mean)) on held-out rows (a gap \(formatted(g)) ± \(formatted(se)) nats above "
          + "the Gaussian's own); use fewer steps, --patience, or a smaller network")
    }
    return result
  }
}

/// `x` with 4 significant digits.
private func formatted(_ x: Double) -> String { String(format: "%.4g", x) }
