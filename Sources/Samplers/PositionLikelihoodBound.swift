import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// A lower bound on the log-likelihood of data `x` under a model of the augmented state
/// `u = (x, v)`, such as critically-damped Langevin diffusion (Dockhorn, Vahdat & Kreis 2022,
/// App. on likelihoods): the model's density is of `(x, v)`, and for any density `q(v)`, Jensen's
/// inequality gives
///
///     log p(x) = log ∫ p(x, v) dv = log E_{v~q}[p(x, v)/q(v)] ≥ E_{v~q}[log p(x, v)] + H(q),
///
/// with equality when `q(v) = p(v | x)`. With `q = N(0, γM I_d)`, the law of the initial
/// velocities the model was trained with, the bound is tight for a perfect model (whose `p(x, v)`
/// at `t = 0` is `p_data(x)·q(v)`), and `H(q) = (d/2) log(2πe γM)`.
///
/// The expectation is estimated with `k` velocity draws per point, each a probability-flow
/// log-likelihood of `(x, vⱼ)`:
///
///     B̂(x) = (1/k) Σⱼ log p(x, vⱼ) + H(q),   SE = s/√k
///
/// (`s` the draws' sample standard deviation). `B̂` is unbiased for the bound, so its mean over
/// points estimates `E_x[bound]` with the usual standard error across points, which includes the
/// velocity noise.
public struct PositionLikelihoodBound<Scalar: BLASScalar>: Sendable {
  /// `B̂(xᵢ)`, one per point.
  public let bounds: [Scalar]
  /// The Monte Carlo standard error of each `B̂(xᵢ)` over its draws (NaN with one draw).
  public let standardErrors: [Scalar]
  /// `H(q) = (d/2) log(2πe s²)`.
  public let entropy: Scalar
  /// Velocity draws per point, `k`.
  public let draws: Int
  /// The exact probability-flow `log p(xᵢ, vᵢⱼ)`, point-major (`n·k` values).
  public let jointLogLikelihoods: [Scalar]
}

extension ProbabilityFlowLikelihood {
  /// The bound `E_{v~N(0, s² I)}[log p(x, v)] + H(N(0, s² I))` on `log p(x)` for a model of the
  /// state `(x, v)` (the first `d` columns positions, the last `d` velocities), with `draws`
  /// velocities per point (see ``PositionLikelihoodBound``).
  ///
  /// The velocities of point `i` (global row `firstRow + i`) come from
  /// `Xoshiro256(seed: seed, stream: firstRow + i)`, so a point's bound does not depend on how the
  /// points are batched, sharded or threaded.
  ///
  /// - Parameters:
  ///   - positions: `n × d` points `x`.
  ///   - velocityStandardDeviation: `s = √(γM)` for critically-damped Langevin diffusion.
  ///   - draws: `k ≥ 1` velocities per point.
  ///   - seed: the velocities' seed.
  ///   - firstRow: the global index of the first point.
  ///   - blockRows: rows of `(x, v)` per integration block.
  ///   - threads: blocks integrated at once.
  /// - Returns: the per-point bounds, their standard errors and the joint log-likelihoods.
  /// - Throws: ``SamplingError`` when a solve fails.
  public func positionLogLikelihoodBound(
    of positions: Matrix<Scalar>, velocityStandardDeviation: Scalar, draws: Int, seed: UInt64,
    firstRow: Int = 0, blockRows: Int = 125, threads: Int = 1
  ) throws(SamplingError) -> PositionLikelihoodBound<Scalar> {
    precondition(draws >= 1, "positionLogLikelihoodBound: draws must be at least 1, got \(draws)")
    precondition(
      velocityStandardDeviation > 0 && velocityStandardDeviation.isFinite,
      "positionLogLikelihoodBound: the velocity standard deviation must be positive, got \(velocityStandardDeviation)"
    )
    let (n, d) = (positions.rows, positions.columns)
    var states = Matrix<Scalar>(rows: n * draws, columns: 2 * d)
    for i in 0..<n {
      var rng = Xoshiro256(seed: seed, stream: UInt64(firstRow + i))
      for j in 0..<draws {
        let row = i * draws + j
        for c in 0..<d {
          states[row, c] = positions[i, c]
          states[row, d + c] = velocityStandardDeviation * Scalar.randomNormal(using: &rng)
        }
      }
    }
    let joint = try logLikelihood(
      of: states, firstRow: firstRow * draws, blockRows: blockRows, threads: threads
    ).logLikelihoods
    let s2 = Double(velocityStandardDeviation) * Double(velocityStandardDeviation)
    let entropy = Double(d) / 2 * Double.log(2 * Double.pi * Double.exp(1) * s2)
    var bounds: [Scalar] = []
    var errors: [Scalar] = []
    for i in 0..<n {
      let values = joint[(i * draws)..<((i + 1) * draws)].map(Double.init)
      let mean = values.reduce(0, +) / Double(draws)
      bounds.append(Scalar(mean + entropy))
      if draws > 1 {
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws - 1)
        errors.append(Scalar((variance / Double(draws)).squareRoot()))
      } else {
        errors.append(.nan)
      }
    }
    return PositionLikelihoodBound(
      bounds: bounds, standardErrors: errors, entropy: Scalar(entropy), draws: draws,
      jointLogLikelihoods: joint)
  }
}
