import Datasets
import DiffusionProcesses
public import Foundation
import LinearAlgebra

extension Trainer {
  /// The model to sample with: the EMA weights, the process, the parameterisation, the
  /// standardisation (``effectiveStandardizer``, whether the trainer or the source applied it,
  /// split into data and condition columns) and a training summary.
  ///
  /// - Parameters:
  ///   - data: a description of the training data for the summary.
  ///   - date: the date recorded (now by default).
  /// - Returns: the model.
  /// - Throws: ``ModelFileError/unsupportedProcess(_:)`` for a process without an
  ///   ``SDEDescription``.
  public func trainedModel(data: String? = nil, date: Date = Date()) throws(ModelFileError) -> TrainedModel<
    Network
  > {
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
