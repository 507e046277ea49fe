public import DiffusionProcesses
public import LinearAlgebra
import RealModule

/// The speciation (symmetry-breaking) time of a diffusion model: the time above which the
/// noised density `p_t` has one basin, below which the reverse dynamics commits to one class
/// (Biroli, Bonnaire, de Bortoli & Mézard 2024, "Dynamical regimes of diffusion models";
/// Ambrogioni 2023, "The statistical thermodynamics of generative diffusion models").
///
/// **Estimate from the data covariance.** Biroli et al. (§2, for the VP/OU process
/// `x_t = e^{−t}x₀ + √(1 − e^{−2t}) z`) find `t_S = ½ log Λ` with `Λ` the largest eigenvalue of
/// the data covariance: the time at which the signal left along the top principal direction,
/// `e^{−2t}Λ`, falls to the noise. In the process's own time, with `(a, σ) = marginal(t)`, the
/// condition reads `a(t)²Λ = σ(t)²`, i.e. the signal-to-noise ratio `SNR(t) = 1/Λ`:
///
///     t_S = λ⁻¹(−log Λ),     λ(t) = log(a²/σ²)        (``estimatedTime(process:largestEigenvalue:)``)
///
/// which reduces to theirs (`e^{B} = Λ + 1` for VP with `B = ∫β = 2t`) at large `Λ`.
///
/// **Closed form for a symmetric mixture.** For data `½N(c + m, σ₀²I) + ½N(c − m, σ₀²I)`, `p_t`
/// is the same mixture with `m → a·m`, `σ₀² → a²σ₀² + σ² =: v`, and along `m̂` at the saddle
/// `a·c + shift(t)` the Hessian of `log p_t` is `−1/v + a²‖m‖²/v²` (from `log cosh`); every other
/// direction has `−1/v`. The largest eigenvalue changes sign where `a²(‖m‖² − σ₀²) = σ²`:
///
///     t_S = λ⁻¹(−log(‖m‖² − σ₀²))          (``symmetricMixtureTime(process:halfSeparation:componentVariance:)``)
///
/// against Biroli's `Λ = ‖m‖² + σ₀²`: the two agree to `Δλ = log((‖m‖² + σ₀²)/(‖m‖² − σ₀²)) ≈
/// 2σ₀²/‖m‖²`, the high-dimensional regime (`‖m‖² ∝ d`) in which their estimate is derived.
///
/// **Measurement from a score model.** ``measuredTime(process:score:saddle:steps:tolerance:)``
/// follows the largest eigenvalue of the Hessian `∇²log p_t = ∂s/∂x` at the saddle (central
/// differences of the model's score, symmetrised) and bisects for its sign change: any model, no
/// closed form needed.
public enum Speciation {
  /// Biroli et al.'s speciation time in the process's own time: the `t` with
  /// `SNR(t) = scale(t)²/std(t)² = 1/Λ`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - largestEigenvalue: `Λ > 0`, the largest eigenvalue of the data covariance.
  /// - Returns: `t_S` (by ``GaussianSDE/time(atLogSignalToNoiseRatio:)``).
  public static func estimatedTime<P: GaussianSDE>(process: P, largestEigenvalue: P.Scalar) -> P.Scalar {
    precondition(largestEigenvalue > 0, "Speciation.estimatedTime needs Λ > 0, got \(largestEigenvalue)")
    return process.time(atLogSignalToNoiseRatio: -P.Scalar.log(largestEigenvalue))
  }

  /// Biroli et al.'s speciation time from samples of the data: `Λ` is the largest eigenvalue of
  /// their sample covariance.
  /// - Throws: the eigendecomposition's error for non-finite data.
  public static func estimatedTime<P: GaussianSDE>(process: P, data: Matrix<P.Scalar>) throws -> P.Scalar {
    precondition(data.rows > 1, "Speciation.estimatedTime needs at least two data points")
    let values = try data.covariance().symmetricEigendecomposition().values
    return estimatedTime(process: process, largestEigenvalue: values.last!)
  }

  /// The exact speciation time of the symmetric mixture `½N(c ± m, σ₀²I)`: the `t` with
  /// `SNR(t)·(‖m‖² − σ₀²) = 1`.
  /// - Parameters:
  ///   - process: the forward process.
  ///   - halfSeparation: `m`, half the vector between the two means.
  ///   - componentVariance: `σ₀²`, each component's isotropic variance; the data are bimodal only
  ///     if `‖m‖² > σ₀²`.
  /// - Returns: `t_S`, or `nil` when the data themselves are unimodal.
  public static func symmetricMixtureTime<P: GaussianSDE>(
    process: P, halfSeparation: [P.Scalar], componentVariance: P.Scalar
  ) -> P.Scalar? {
    let squared = halfSeparation.reduce(0) { $0 + $1 * $1 }
    guard squared > componentVariance else { return nil }
    return process.time(atLogSignalToNoiseRatio: -P.Scalar.log(squared - componentVariance))
  }

  /// `∇²log p_t(x) = ∂s/∂x` at one point by central differences of the score,
  /// `Hᵢⱼ ≈ (sᵢ(x + h eⱼ) − sᵢ(x − h eⱼ))/(2h)`, symmetrised; all `2d` points in one batch.
  /// - Parameters:
  ///   - model: any score model.
  ///   - point: `x`, `d` entries.
  ///   - t: the time.
  ///   - step: `h`; by default `∛ulp(1)·max(1, ‖x‖∞)` (balances truncation `h²` and rounding `ulp/h`).
  public static func hessian<M: ScoreModel>(
    score model: M, at point: [M.Scalar], time t: M.Scalar, step: M.Scalar? = nil
  ) -> Matrix<M.Scalar> {
    let d = point.count
    let h =
      step ?? M.Scalar.pow(M.Scalar.ulpOfOne, M.Scalar(1) / 3) * Swift.max(1, point.map(abs).max() ?? 1)
    var x = Matrix<M.Scalar>(rows: 2 * d, columns: d)
    for j in 0..<d {
      x.setRow(2 * j, to: point)
      x.setRow(2 * j + 1, to: point)
      x[2 * j, j] += h
      x[2 * j + 1, j] -= h
    }
    let s = model.score(x, at: t)
    var hessian = Matrix<M.Scalar>(rows: d, columns: d)
    for j in 0..<d {
      for i in 0..<d { hessian[i, j] = (s[2 * j, i] - s[2 * j + 1, i]) / (2 * h) }
    }
    let symmetric = (hessian + hessian.transposed()) * (1 / 2 as M.Scalar)
    return symmetric
  }

  /// The largest eigenvalue of ``hessian(score:at:time:step:)``.
  /// - Throws: the eigendecomposition's error for a non-finite Hessian.
  public static func largestCurvature<M: ScoreModel>(score model: M, at point: [M.Scalar], time t: M.Scalar)
    throws
    -> M.Scalar
  {
    try hessian(score: model, at: point, time: t).symmetricEigendecomposition().values.last!
  }

  /// The speciation time measured from a score model: where the largest eigenvalue of
  /// `∇²log p_t` at the moving saddle `scale(t)·x⋆ + shift(t)` changes sign from positive
  /// (two basins, the saddle is a saddle) to negative (one basin).
  ///
  /// `steps` times evenly spaced on `[ε, T]` bracket the first sign change, then bisection
  /// narrows it to `tolerance`.
  ///
  /// - Parameters:
  ///   - process: the forward process (moves the saddle with the kernel's mean).
  ///   - model: any score model.
  ///   - saddle: `x⋆` in data space (for a symmetric mixture, the midpoint of the two means).
  ///   - steps: bracketing grid size (≥ 2).
  ///   - tolerance: the width of the final bracket.
  /// - Returns: the time, or `nil` if the curvature does not change sign on `[ε, T]`.
  /// - Throws: the eigendecomposition's error for a non-finite score.
  public static func measuredTime<P: GaussianSDE, M: ScoreModel>(
    process: P, score model: M, saddle: [P.Scalar], steps: Int = 64, tolerance: P.Scalar? = nil
  ) throws -> P.Scalar? where M.Scalar == P.Scalar {
    precondition(steps >= 2, "Speciation.measuredTime needs at least 2 steps, got \(steps)")
    func curvature(_ t: P.Scalar) throws -> P.Scalar {
      let a = process.marginal(at: t).scale
      let b = process.marginalShift(at: t)
      return try largestCurvature(score: model, at: saddle.map { a * $0 + b }, time: t)
    }
    let (lo0, hi0) = (process.smallTimeCutoff, process.endTime)
    let width = tolerance ?? (hi0 - lo0) * 1e-6
    var previous = (t: lo0, value: try curvature(lo0))
    for k in 1...steps {
      let t = lo0 + (hi0 - lo0) * P.Scalar(k) / P.Scalar(steps)
      let value = try curvature(t)
      if previous.value > 0 && value <= 0 {
        var (lo, hi) = (previous.t, t)
        while hi - lo > width {
          let mid = lo + (hi - lo) / 2
          if mid <= lo || mid >= hi { break }
          if try curvature(mid) > 0 { lo = mid } else { hi = mid }
        }
        return lo + (hi - lo) / 2
      }
      previous = (t, value)
    }
    return nil
  }
}
