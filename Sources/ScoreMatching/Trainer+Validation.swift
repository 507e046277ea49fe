import Datasets
import DiffusionProcesses
public import Foundation
public import LinearAlgebra
import ScoreNetworks

extension Trainer {
  /// Trains until `finalStep` or until the held-out loss stops improving, keeping the best
  /// averaged weights (see ``ValidationPolicy``).
  ///
  /// After every `validation.interval` steps (and after the last) the EMA weights' denoising loss
  /// on the held-out rows is measured with the run's fixed times and noise. A loss below the best
  /// so far by more than ``ValidationPolicy/minimumImprovement`` makes those weights the best
  /// (copied); after ``ValidationPolicy/patience`` evaluations in a row without one, training
  /// stops. The trainer itself ends at the last step trained (a checkpoint is written there
  /// too, so the run can be resumed); the best weights are in the returned outcome, and
  /// ``trainedModel(keeping:data:date:environment:)`` writes them. Checkpoints hold the
  /// ``EarlyStoppingState`` (the best weights, their step and loss, the patience count and the
  /// curve): a run resumed from one, with the same held-out rows, continues where it stopped.
  ///
  /// With ``ValidationPolicy/likelihoodInterval`` set and a `likelihood` closure, every
  /// `likelihoodInterval`-th evaluation (the 1st, the (1 + k)-th, …) and the last also measure
  /// the held-out NLL of the averaged network, recorded in the ``ValidationPoint``.
  ///
  /// - Parameters:
  ///   - finalStep: the step to stop at if patience does not run out first
  ///     (``TrainingConfiguration/steps`` by default).
  ///   - validation: the held-out rows, the interval, the patience.
  ///   - checkpoint: where and how often to write checkpoints (`nil`: never).
  ///   - progressInterval: call `progress` after every this many steps (and after the last).
  ///   - likelihood: the held-out NLL of a network with the averaged weights (`nil`: never
  ///     measured).
  ///   - progress: receives a ``TrainingProgress``.
  ///   - validated: receives each ``ValidationPoint``.
  /// - Returns: the best averaged weights, their step and loss, and the curve. When no step is
  ///   left to train, the current averaged weights, evaluated once.
  /// - Throws: the ``TrainingError`` of a failed step or of a checkpoint that cannot be written.
  @discardableResult
  @inlinable
  public mutating func train(
    until finalStep: Int? = nil, validation: ValidationPolicy<Scalar>, checkpoint: CheckpointPolicy? = nil,
    progressInterval: Int = 1, likelihood: ((Network) -> Double)? = nil,
    progress: (TrainingProgress) -> Void = { _ in }, validated: (ValidationPoint) -> Void = { _ in }
  ) throws(TrainingError) -> ValidationOutcome<Network.Parameters> {
    precondition(
      validation.data.columns == source.columns,
      "Trainer.train: held-out rows \(validation.data.shapeDescription) for a \(source.columns)-column source"
    )
    let target = finalStep ?? configuration.steps
    var heldOut = heldOutBatch(validation.data, drawsPerRow: validation.drawsPerRow, stream: UInt64.max - 2)
    var stopping = state.earlyStopping ?? EarlyStoppingState(parameters: averagedParameters, step: state.step)
    var stoppedEarly = false

    func evaluate(last: Bool) {
      let loss = self.loss(of: averagedNetwork, on: &heldOut)
      let improved = loss < stopping.bestLoss - validation.minimumImprovement
      if improved {
        stopping.bestStep = state.step
        stopping.bestLoss = loss
        stopping.bestParameters = averagedParameters
        stopping.evaluationsWithoutImprovement = 0
      } else {
        stopping.evaluationsWithoutImprovement += 1
      }
      var nll: Double? = nil
      if let likelihood, let k = validation.likelihoodInterval, last || stopping.history.count % k == 0 {
        nll = likelihood(averagedNetwork)
      }
      let point = ValidationPoint(
        step: state.step, loss: loss, trainingLoss: smoothedLoss, isBest: improved, negativeLogLikelihood: nll
      )
      stopping.history.append(point)
      state.earlyStopping = stopping
      validated(point)
    }

    let clock = ContinuousClock()
    let start = clock.now
    let firstStep = state.step
    if firstStep >= target { evaluate(last: true) }
    while state.step < target {
      try step()
      let done = state.step
      if done % max(progressInterval, 1) == 0 || done == target {
        progress(progressReport(target: target, firstStep: firstStep, elapsed: clock.now - start))
      }
      if done % validation.interval == 0 || done == target {
        let patienceRunsOut =
          validation.patience.map { stopping.evaluationsWithoutImprovement + 1 >= $0 } ?? false
        // The NLL is also measured at the last evaluation, when the run may stop after it.
        evaluate(last: done == target || patienceRunsOut)
        if let patience = validation.patience, stopping.evaluationsWithoutImprovement >= patience,
          done < target
        {
          stoppedEarly = true
        }
      }
      if let checkpoint, done % checkpoint.interval == 0 || done == target || stoppedEarly {
        try saveCheckpoint(to: checkpoint.url)
      }
      if stoppedEarly { break }
    }
    return ValidationOutcome(stopping, stoppedEarly: stoppedEarly)
  }

  /// The denoising loss of the averaged (EMA) weights on held-out rows, each taken
  /// `drawsPerRow` times with times and noise from `Xoshiro256(seed: configuration.seed,
  /// stream: 2⁶⁴ − 3)` — the same draws whenever it is called with the same rows, so that losses
  /// at different steps differ only by the weights. No condition is dropped.
  ///
  /// - Parameters:
  ///   - heldOut: rows in the source's layout and units (see ``ValidationPolicy/data``).
  ///   - drawsPerRow: (time, noise) pairs per row (≥ 1).
  /// - Returns: the mean loss over the `m × drawsPerRow` pairs.
  @inlinable
  public func heldOutLoss(on heldOut: Matrix<Scalar>, drawsPerRow: Int = 8) -> Double {
    precondition(
      heldOut.columns == source.columns,
      "Trainer.heldOutLoss: held-out rows \(heldOut.shapeDescription) for a \(source.columns)-column source")
    precondition(drawsPerRow >= 1, "Trainer.heldOutLoss: drawsPerRow must be at least 1, got \(drawsPerRow)")
    var batch = heldOutBatch(heldOut, drawsPerRow: drawsPerRow, stream: UInt64.max - 2)
    return loss(of: averagedNetwork, on: &batch)
  }

  /// The held-out rows tiled `drawsPerRow` times, standardised, split and prepared (times, noise,
  /// targets) once, with the draws of `Xoshiro256(seed: configuration.seed, stream: stream)`.
  @inlinable
  func heldOutBatch(_ heldOut: Matrix<Scalar>, drawsPerRow: Int, stream: UInt64) -> TrainerBuffers<Network> {
    let m = heldOut.rows
    var rng = Xoshiro256(seed: configuration.seed, stream: stream)
    var scratch = TrainerBuffers<Network>(
      network: state.network, rows: m * drawsPerRow, columns: source.columns,
      dataColumns: source.dataColumns, conditionColumns: conditionEncoding.networkColumns,
      standardizer: standardizer)
    let c = source.columns
    heldOut.withUnsafeBufferPointer { src in
      scratch.raw.withUnsafeMutableBufferPointer { dst in
        for r in 0..<drawsPerRow {
          for e in 0..<(m * c) { dst[r * m * c + e] = src[e] }
        }
      }
    }
    scratch.split(encoding: conditionEncoding, dropout: 0, using: &rng)
    objective.prepare(scratch.x0, into: &scratch.loss.batch, using: &rng)
    return scratch
  }

  /// The loss of `network` on a batch from ``heldOutBatch(_:drawsPerRow:stream:)``.
  @inlinable
  func loss(of network: Network, on scratch: inout TrainerBuffers<Network>) -> Double {
    let condition: Matrix<Scalar>? = conditionEncoding.networkColumns > 0 ? scratch.loss.conditions : nil
    return Double(
      objective.loss(
        network: network, batch: scratch.loss.batch, condition: condition, workspace: &scratch.loss.workspace)
    )
  }

  /// The model of a validated run: ``trainedModel(data:date:environment:)`` with the best
  /// averaged weights of `outcome` instead of the last, and the outcome's
  /// ``ValidationSummary`` in ``TrainingSummary/validation``.
  ///
  /// - Parameters:
  ///   - outcome: what ``train(until:validation:checkpoint:progressInterval:likelihood:progress:validated:)``
  ///     returned.
  ///   - data: a description of the training data for the summary.
  ///   - date: the date to record (see ``trainedModel(data:date:environment:)``).
  ///   - environment: where to look for `SOURCE_DATE_EPOCH`.
  /// - Returns: the model.
  /// - Throws: the errors of ``trainedModel(data:date:environment:)``.
  public func trainedModel(
    keeping outcome: ValidationOutcome<Network.Parameters>, data: String? = nil, date: Date? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(ModelFileError) -> TrainedModel<Network> {
    var model = try trainedModel(data: data, date: date, environment: environment)
    model.network.parameters = outcome.bestParameters
    model.training.validation = outcome.summary
    return model
  }
}
