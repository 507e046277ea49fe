import Datasets
import Foundation
import LinearAlgebra
import Samplers

/// The model-versus-baseline lines `train` and `nll` print, and the per-point NLL of rows under
/// a written model file.
enum LikelihoodReport {
  /// Each row's NLL in nats under the model in the file at `url` (read in `Double`, adaptive
  /// probability-flow ODE at the default tolerance, as `score-sde nll` computes it).
  static func modelNLL(of rows: Matrix<Double>, modelAt url: URL, source: String) throws -> [Double] {
    var nll: [Double] = []
    nll.reserveCapacity(rows.rows)
    _ = try Evaluation(points: .table(rows), integration: .standard, source: source) { values, _ in
      nll.append(contentsOf: values)
    }.run(modelAt: url)
    return nll
  }

  /// Prints the held-out (and training) NLL of the model and the baseline, then each warning on
  /// standard error after `warning:`. With `modelIsBound` (a critically-damped Langevin model,
  /// whose positions' NLL `nll` bounds from above with velocity draws) the model's numbers are
  /// written `model ≤ …` and a line says so.
  static func print(
    _ comparison: BaselineComparison, heldOutLabel: String, trainingLabel: String, modelIsBound: Bool = false
  ) {
    func line(_ label: String, _ model: NegativeLogLikelihood, _ baseline: NegativeLogLikelihood) -> String {
      String(
        format: "%@ NLL (%d rows): model %@%.4f ± %.4f, Gaussian baseline %.4f ± %.4f nats per point", label,
        model.count, modelIsBound ? "≤ " : "", model.mean, model.standardError, baseline.mean,
        baseline.standardError)
    }
    Swift.print(line(heldOutLabel, comparison.model, comparison.baseline))
    if let model = comparison.trainingModel, let baseline = comparison.trainingBaseline {
      Swift.print(line(trainingLabel, model, baseline))
    }
    if modelIsBound {
      Swift.print(
        "(the model's NLLs are upper bounds: its density is over positions and velocities, one velocity "
          + "draw per point; `score-sde nll --velocity-draws` tightens them)")
    }
    for warning in comparison.warnings {
      FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
  }
}
