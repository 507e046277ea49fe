import Datasets
import DiffusionProcesses
public import Foundation
import LinearAlgebra

extension Trainer {
  /// The model to sample with: the EMA weights, the process, the parameterisation, the
  /// standardisation (``effectiveStandardizer``, whether the trainer or the source applied it,
  /// split into data and condition columns) and a training summary.
  ///
  /// The summary records a date only when `date` is given or `environment` sets
  /// `SOURCE_DATE_EPOCH` (see ``TrainingSummary/sourceDateEpoch(in:)``); otherwise it has none,
  /// so that two runs with the same seed, data and steps save byte-identical model files.
  ///
  /// - Parameters:
  ///   - data: a description of the training data for the summary.
  ///   - date: the date to record, which takes precedence over `SOURCE_DATE_EPOCH`; `nil` (the
  ///     default) for `SOURCE_DATE_EPOCH`'s date, or none.
  ///   - environment: where to look for `SOURCE_DATE_EPOCH` (the process's environment).
  /// - Returns: the model.
  /// - Throws: ``ModelFileError/unsupportedProcess(_:)`` for a process without an
  ///   ``SDEDescription``; ``ModelFileError/invalidSourceDateEpoch(value:)`` when no `date` is
  ///   given and `SOURCE_DATE_EPOCH` is malformed.
  public func trainedModel(
    data: String? = nil, date: Date? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(ModelFileError) -> TrainedModel<Network> {
    guard let description = SDEDescription(objective.process) else {
      throw .unsupportedProcess(String(describing: objective.process))
    }
    let d = source.dataColumns
    let standardizer = effectiveStandardizer
    let dataStandardizer = standardizer.map {
      Standardizer(means: Array($0.means[..<d]), standardDeviations: Array($0.standardDeviations[..<d]))
    }
    let conditionStandardizer: Standardizer? =
      conditionEncoding.dimension == 0
      ? nil
      : standardizer.map {
        Standardizer(means: Array($0.means[d...]), standardDeviations: Array($0.standardDeviations[d...]))
      }
    let recorded: Date?
    if let date {
      recorded = date
    } else {
      recorded = try TrainingSummary.sourceDateEpoch(in: environment)
    }
    let summary = TrainingSummary(
      steps: completedSteps, seed: configuration.seed, finalLoss: smoothedLoss.isFinite ? smoothedLoss : nil,
      date: recorded.map(TrainingSummary.dateString), configuration: configuration, data: data)
    return TrainedModel(
      network: averagedNetwork, process: description, parameterization: configuration.loss.parameterization,
      conditionEncoding: conditionEncoding, standardizer: dataStandardizer,
      conditionStandardizer: conditionStandardizer, training: summary)
  }
}
