import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import Samplers

/// The `quality` rows of critically-damped Langevin diffusion (Dockhorn, Vahdat & Kreis 2022) on
/// the same 3-component 2-D mixture as the VP rows: the exact score of the augmented state
/// `(x, v)` (``CriticallyDampedLangevin/oracle(weights:means:covariances:)``), sampled from its
/// prior by the symmetric splitting sampler (SSCS, one score evaluation per step) and by
/// Euler–Maruyama on the augmented reverse SDE, at 10, 20 and 50 score evaluations on a uniform
/// grid to the process's cutoff, and scored on the positions `x` like every other row.
extension QualityBenchmark {
  func criticallyDampedRows(
    weights: [Double], means: [[Double]], standardDeviations: [Double], reference: Matrix<Double>
  ) throws -> [Row] {
    let cld = CriticallyDampedLangevin<Double>(dimension: 2)
    let covariances = standardDeviations.map { s in Matrix<Double>(diagonal: [s * s, s * s]) }
    let oracle = try cld.oracle(weights: weights, means: means, covariances: covariances)
    var rows: [Row] = []
    for steps in [10, 20, 50] {
      let grid = TimeGrid(spacing: .uniform, steps: steps, process: cld.process)
      for label in ["cld-sscs", "cld-em"] {
        var noise = RowStreams(seed: 11, count: reference.rows)
        var u = samplePrior(of: cld.process, dimension: 4, streams: &noise)
        let start = now()
        let evaluations: Int
        if label == "cld-sscs" {
          let sampler = SymmetricSplittingSampler(process: cld, score: oracle)
          var workspace = sampler.makeWorkspace(rows: u.rows, columns: 4)
          evaluations = try sampler.integrate(&u, over: grid, noise: &noise, workspace: &workspace)
        } else {
          let sampler = EulerMaruyama(process: cld.process, score: oracle)
          var workspace = sampler.makeWorkspace(rows: u.rows, columns: 4)
          evaluations = try sampler.integrate(&u, over: grid, noise: &noise, workspace: &workspace)
        }
        let seconds = now() - start
        rows.append(
          Row(
            kind: label, steps: steps, smallTime: Double(grid.end), denoise: false, evaluations: evaluations,
            distance: distance(cld.positions(u), reference), seconds: seconds))
      }
    }
    return rows
  }
}
