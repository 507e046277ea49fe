public import LinearAlgebra
import RealModule

/// The kernel of `u_t = (x_t, v_t)` given the data `x₀` alone, per coordinate, on which hybrid
/// score matching regresses (Dockhorn, Vahdat & Kreis 2022, §3.2 and App. B.1–B.2).
///
/// With `v₀ ~ N(0, γM I)` integrated out, `u_t | x₀ ~ N(Φ (x₀, 0), Σ_t)` where `Φ` is the
/// per-coordinate transition (``CriticallyDampedLangevin/closedFormTransition(integratedBeta:)``)
/// and `Σ_t` the closed-form covariance from `Σ₀ = diag(0, γM)`
/// (``CriticallyDampedLangevin/closedFormCovariance(integratedBeta:initialPositionVariance:initialVelocityVariance:)``).
/// Its lower Cholesky factor
///
///     C = [ ℓˣˣ   0  ],   ℓˣˣ = √Σˣˣ,  ℓᵛˣ = Σˣᵛ/ℓˣˣ,  ℓᵛᵛ = √(Σᵛᵛ − (Σˣᵛ)²/Σˣˣ),
///         [ ℓᵛˣ  ℓᵛᵛ ]
///
/// gives `u_t = Φ(x₀, 0) + C (zˣ, zᵛ)` and the velocity score `∇_v log p(u_t | x₀) = −zᵛ/ℓᵛᵛ`
/// (the last row of `−C⁻ᵀ z`). The paper writes `ℓ_t = 1/ℓᵛᵛ = √(Σˣˣ/(ΣˣˣΣᵛᵛ − (Σˣᵛ)²))` and
/// parameterises the score `s_θ = −ℓ_t α_θ`; here `s_θ = −α_θ/ℓᵛᵛ`, the same map.
public struct HybridScoreKernel: Sendable, Hashable {
  /// `Φˣˣ`: the mean of `x_t` is `Φˣˣ x₀`.
  public var positionMean: Double
  /// `Φᵛˣ`: the mean of `v_t` is `Φᵛˣ x₀`.
  public var velocityMean: Double
  /// `Σˣˣ`, `Σˣᵛ`, `Σᵛᵛ`.
  public var covariance: (xx: Double, xv: Double, vv: Double) {
    (lxx * lxx, lxx * lvx, lvx * lvx + lvv * lvv)
  }
  /// `ℓˣˣ`.
  public var lxx: Double
  /// `ℓᵛˣ`.
  public var lvx: Double
  /// `ℓᵛᵛ`, the factor of the velocity score.
  public var lvv: Double

  /// Equal when every entry is.
  public static func == (a: Self, b: Self) -> Bool {
    (a.positionMean, a.velocityMean, a.lxx, a.lvx, a.lvv) == (
      b.positionMean, b.velocityMean, b.lxx, b.lvx, b.lvv
    )
  }

  /// Hashes every entry.
  public func hash(into hasher: inout Hasher) {
    for v in [positionMean, velocityMean, lxx, lvx, lvv] { hasher.combine(v) }
  }
}

extension CriticallyDampedLangevin {
  /// The kernel of `(x_t, v_t)` given `x₀` at `t` (see ``HybridScoreKernel``), in `Double`.
  ///
  /// `Σˣˣ = e^{−4B/Γ}(e^{4B/Γ} − 1 − 4B/Γ − 8B²/Γ² + 16B²γM/Γ⁴)` cancels to `O(B³)` for small `B`
  /// when `γ = 0`; its first part is summed as the series `Σ_{k≥3}(4B/Γ)ᵏ/k!` for `4B/Γ < 1/2`.
  public func hybridKernel(at t: Scalar) -> HybridScoreKernel {
    let b = Double(process.schedule.integratedBeta(at: t))
    let g = 2 * Double(mass).squareRoot()
    let svv = Double(initialVelocityScale) * Double(mass)
    let r = b / g
    let e = Double.exp(-2 * r)
    let positionMean = e * (1 + 2 * r)
    let velocityMean = -e * b
    let x = 4 * r
    var remainder: Double  // e^x − 1 − x − x²/2
    if x < 0.5 {
      remainder = 0
      var term = x * x * x / 6
      var k = 3.0
      while term > 1e-18 * Swift.max(remainder, .leastNormalMagnitude) {
        remainder += term
        k += 1
        term *= x / k
      }
    } else {
      remainder = Double.expMinusOne(x) - x - x * x / 2
    }
    let decay = Double.exp(-x)
    let g2 = g * g
    let xx = decay * (remainder + 16 * r * r / g2 * svv)
    let xv = decay * (4 * b / g2 * svv + 4 * r * r * g - 8 * r * r / g * svv)
    let vv = decay * (g2 / 4 * Double.expMinusOne(x) + b * g + svv * (1 + 4 * r * r - 4 * r) - 2 * b * b)
    let lxx = xx.squareRoot()
    let lvx = xv / lxx
    let lvv = Swift.max(0, vv - lvx * lvx).squareRoot()
    return HybridScoreKernel(
      positionMean: positionMean, velocityMean: velocityMean, lxx: lxx, lvx: lvx, lvv: lvv)
  }

  /// `2d` columns `(x, v)` for `d` data columns, or 0 (no state) for data of another width.
  @inlinable
  public func stateDimension(dataDimension: Int) -> Int {
    dataDimension == dimension ? 2 * dimension : 0
  }

  /// The velocities, `d..<2d`: hybrid score matching learns only `∇_v log p`, since the reverse
  /// drift multiplies the score by `L Lᵀ`, which is zero in the position block.
  @inlinable
  public func learnedScoreColumns(stateDimension: Int) -> Range<Int> { dimension..<stateDimension }

  /// Hybrid score matching's perturbation of data `x₀` (`n × d`) with `v₀` integrated out:
  /// `xᵢ = Φˣˣ x₀ + ℓˣˣ zˣ`, `vᵢ = Φᵛˣ x₀ + ℓᵛˣ zˣ + ℓᵛᵛ zᵛ` per coordinate, with `noise` `n × 2d`
  /// (`zˣ` then `zᵛ`); each distinct time's kernel is computed once.
  public func denoisingPerturbation(
    _ x0: Matrix<Scalar>, at times: [Scalar], noise: Matrix<Scalar>, into state: inout Matrix<Scalar>
  ) {
    let d = dimension
    precondition(
      x0.columns == d && noise.rows == x0.rows && noise.columns == 2 * d && state.hasShape(of: noise)
        && times.count == x0.rows,
      "CriticallyDampedLangevin.denoisingPerturbation: data \(x0.shapeDescription), noise "
        + "\(noise.shapeDescription), state \(state.shapeDescription), \(times.count) times for dimension \(d)"
    )
    var last: (Scalar, HybridScoreKernel)? = nil
    x0.withUnsafeBufferPointer { p0 in
      noise.withUnsafeBufferPointer { z in
        state.withUnsafeMutableBufferPointer { u in
          for i in 0..<x0.rows {
            let k: HybridScoreKernel
            if let (t, cached) = last, t == times[i] {
              k = cached
            } else {
              k = hybridKernel(at: times[i])
              last = (times[i], k)
            }
            let (ax, av) = (Scalar(k.positionMean), Scalar(k.velocityMean))
            let (lxx, lvx, lvv) = (Scalar(k.lxx), Scalar(k.lvx), Scalar(k.lvv))
            for j in 0..<d {
              let x = p0[i * d + j]
              let zx = z[i * 2 * d + j]
              let zv = z[i * 2 * d + d + j]
              u[i * 2 * d + j] = ax * x + lxx * zx
              u[i * 2 * d + d + j] = av * x + lvx * zx + lvv * zv
            }
          }
        }
      }
    }
  }

  /// `K = diag(0, …, 0, −1/ℓᵛᵛ, …, −1/ℓᵛᵛ)`: the paper's `s_θ = −ℓ_t α_θ` on the velocities and a
  /// zero position score.
  public func noisePredictionScoreMatrix(at t: Scalar, dimension: Int) -> Matrix<Scalar> {
    precondition(
      dimension == 2 * self.dimension,
      "CriticallyDampedLangevin: a score matrix of dimension \(dimension) for a state of \(2 * self.dimension)"
    )
    let c = -1 / Scalar(hybridKernel(at: t).lvv)
    var diagonal = [Scalar](repeating: 0, count: dimension)
    for j in self.dimension..<dimension { diagonal[j] = c }
    return Matrix(diagonal: diagonal)
  }
}
