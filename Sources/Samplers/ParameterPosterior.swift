public import LinearAlgebra

/// A prior over the parameters `θ = (θ₁, …, θ_p)` of a ``ParameterGridPosterior``.
///
/// ```swift
/// let flat = ParameterPrior<Double>.uniform
/// let informed = ParameterPrior<Double>.gaussian(mean: [0], standardDeviation: [2])
/// ```
public enum ParameterPrior<Scalar: BLASScalar>: Sendable, Equatable {
  /// A constant density over the grid's box.
  case uniform
  /// Independent normals, `log π(θ) = −Σₖ [(θₖ − μₖ)²/(2σₖ²) + log σₖ + ½ log 2π]`: one
  /// `(μₖ, σₖ)` per parameter, or a single pair for all of them.
  case gaussian(mean: [Scalar], standardDeviation: [Scalar])

  /// `log π(θ)` (up to a constant for ``uniform``, which is 0).
  ///
  /// - Parameter theta: `p` parameters.
  /// - Returns: the log prior density.
  public func logDensity(_ theta: [Scalar]) -> Scalar {
    switch self {
    case .uniform: return 0
    case .gaussian(let mean, let deviation):
      precondition(
        mean.count == deviation.count && (mean.count == 1 || mean.count == theta.count),
        "ParameterPrior: \(mean.count) mean(s) and \(deviation.count) deviation(s) for \(theta.count) parameter(s)"
      )
      var total: Scalar = 0
      for (k, t) in theta.enumerated() {
        let mu = mean[mean.count == 1 ? 0 : k]
        let sigma = deviation[deviation.count == 1 ? 0 : k]
        let z = (t - mu) / sigma
        total -= z * z / 2 + Scalar.log(sigma) + Scalar.log(2 * Scalar.pi) / 2
      }
      return total
    }
  }
}

/// The posterior of a model's parameters on a regular grid, from the likelihood of observed
/// points under each grid value: likelihood-free (simulation-based) inference with a
/// conditional density model `p(x | θ)` that a score model learned from simulations
/// (Cranmer, Brehmer & Louppe 2020, "The frontier of simulation-based inference", PNAS 117).
///
/// For observations `x₁, …, x_n` (independent given `θ`) and grid nodes `θ_r`,
///
///     log p(θ_r | x) = Σᵢ log p(xᵢ | θ_r) + log π(θ_r) − log Z,
///     Z = Σ_r W_r exp(Σᵢ log p(xᵢ | θ_r) + log π(θ_r)),
///
/// with `W_r` the trapezoid weights (``DensityGrid/trapezoidIntegral(of:)``), so that
/// ``logPosterior`` is a density on the grid's box that integrates to 1 by the trapezoid rule.
/// One-parameter summaries come from the marginal density on each axis, read as the piecewise
/// linear function through its nodes (the function the trapezoid rule integrates exactly): its
/// CDF is piecewise quadratic and the central interval `[F⁻¹((1 − c)/2), F⁻¹((1 + c)/2)]` is
/// solved from it. The grid must hold the posterior's mass; the results are accurate to the
/// trapezoid rule's `O(h²)`.
///
/// ```swift
/// let posterior = try ParameterGridPosterior(
///   observations: x, axes: [GridAxis(-3, 3, count: 121)], prior: .uniform
/// ) { points, conditions in try likelihood(points, conditions) }    // one batched call
/// print(posterior.mean, posterior.centralInterval(probability: 0.9, axis: 0))
/// ```
public struct ParameterGridPosterior<Scalar: BLASScalar>: Sendable {
  /// The parameter axes; the grid's nodes are numbered with the first axis fastest.
  public let axes: [GridAxis<Scalar>]
  /// The grid's nodes as the rows of an `m × p` matrix.
  public let parameters: Matrix<Scalar>
  /// `Σᵢ log p(xᵢ | θ_r)`, one per node.
  public let logLikelihoods: [Scalar]
  /// `log π(θ_r)`, one per node.
  public let logPriors: [Scalar]
  /// `log p(θ_r | x)`, the normalised posterior density, one per node.
  public let logPosterior: [Scalar]

  /// The posterior from the summed log-likelihoods at the nodes.
  ///
  /// - Parameters:
  ///   - axes: the parameter axes (at least one).
  ///   - logLikelihoods: `Σᵢ log p(xᵢ | θ_r)` at each node, in node order.
  ///   - prior: the prior (uniform by default).
  public init(axes: [GridAxis<Scalar>], logLikelihoods: [Scalar], prior: ParameterPrior<Scalar> = .uniform) {
    precondition(!axes.isEmpty, "ParameterGridPosterior needs at least one axis")
    let parameters = Self.nodes(of: axes)
    precondition(
      logLikelihoods.count == parameters.rows,
      "ParameterGridPosterior: \(logLikelihoods.count) log-likelihoods for \(parameters.rows) nodes")
    self.axes = axes
    self.parameters = parameters
    self.logLikelihoods = logLikelihoods
    let logPriors = (0..<parameters.rows).map { prior.logDensity(Array(parameters.row($0))) }
    self.logPriors = logPriors
    let joint = zip(logLikelihoods, logPriors).map { $0 + $1 }
    let top = joint.filter(\.isFinite).max() ?? 0
    var z: Scalar = 0
    for (r, l) in joint.enumerated() where l.isFinite {
      z += Self.trapezoidWeight(r, axes: axes) * Scalar.exp(l - top)
    }
    let logZ = top + Scalar.log(z)
    logPosterior = joint.map { $0 - logZ }
  }

  /// The posterior of `θ` given `observations`, each node's log-likelihood summed over the
  /// observations from one batched call to `logLikelihood`
  /// (``summedLogLikelihoods(of:at:logLikelihood:)``).
  ///
  /// - Parameters:
  ///   - observations: `n × d` points, independent given `θ`.
  ///   - axes: the parameter axes.
  ///   - prior: the prior (uniform by default).
  ///   - logLikelihood: `log p(x | θ)` of each row of `points` given the same row of `conditions`.
  /// - Throws: what `logLikelihood` throws.
  public init(
    observations: Matrix<Scalar>, axes: [GridAxis<Scalar>], prior: ParameterPrior<Scalar> = .uniform,
    logLikelihood: (_ points: Matrix<Scalar>, _ conditions: Matrix<Scalar>) throws -> [Scalar]
  ) rethrows {
    let sums = try Self.summedLogLikelihoods(
      of: observations, at: Self.nodes(of: axes), logLikelihood: logLikelihood)
    self.init(axes: axes, logLikelihoods: sums, prior: prior)
  }

  /// `Σᵢ log p(xᵢ | θ_r)` for every row `θ_r` of `parameters`, from one call to `logLikelihood`
  /// on all `m·n` pairs: row `r·n + i` of the points is `xᵢ`, of the conditions `θ_r`.
  ///
  /// - Parameters:
  ///   - observations: `n × d` points.
  ///   - parameters: `m × p` parameter values.
  ///   - logLikelihood: `log p(x | θ)` of each row of `points` given the same row of `conditions`.
  /// - Returns: `m` sums.
  /// - Throws: what `logLikelihood` throws.
  public static func summedLogLikelihoods(
    of observations: Matrix<Scalar>, at parameters: Matrix<Scalar>,
    logLikelihood: (_ points: Matrix<Scalar>, _ conditions: Matrix<Scalar>) throws -> [Scalar]
  ) rethrows -> [Scalar] {
    let n = observations.rows
    let m = parameters.rows
    var points = Matrix<Scalar>(rows: m * n, columns: observations.columns)
    var conditions = Matrix<Scalar>(rows: m * n, columns: parameters.columns)
    for r in 0..<m {
      points.copyRows(0..<n, of: observations, to: r * n)
      let theta = Array(parameters.row(r))
      for i in 0..<n { conditions.setRow(r * n + i, to: theta) }
    }
    let values = try logLikelihood(points, conditions)
    precondition(
      values.count == m * n, "ParameterGridPosterior: \(values.count) log-likelihoods for \(m * n) pairs")
    return (0..<m).map { r in values[(r * n)..<((r + 1) * n)].reduce(0, +) }
  }

  /// The nodes of a grid of `axes`, first axis fastest, as the rows of a matrix.
  public static func nodes(of axes: [GridAxis<Scalar>]) -> Matrix<Scalar> {
    let m = axes.reduce(1) { $0 * $1.count }
    var out = Matrix<Scalar>(rows: m, columns: axes.count)
    let values = axes.map(\.values)
    for r in 0..<m {
      var rest = r
      for (k, a) in axes.enumerated() {
        out[r, k] = values[k][rest % a.count]
        rest /= a.count
      }
    }
    return out
  }

  /// The trapezoid weight of node `r`: the product of the axes' weights.
  static func trapezoidWeight(_ r: Int, axes: [GridAxis<Scalar>]) -> Scalar {
    var rest = r
    var w: Scalar = 1
    for a in axes {
      w *= a.trapezoidWeight(at: rest % a.count)
      rest /= a.count
    }
    return w
  }

  /// The posterior mass of each node, `W_r·p(θ_r | x)`: they add up to 1.
  public var probabilities: [Scalar] {
    logPosterior.enumerated().map { r, l in Self.trapezoidWeight(r, axes: axes) * Scalar.exp(l) }
  }

  /// The node of largest posterior density (the grid's maximum a posteriori estimate).
  public var maximumAPosteriori: [Scalar] {
    let r = logPosterior.indices.max { logPosterior[$0] < logPosterior[$1] } ?? 0
    return Array(parameters.row(r))
  }

  /// The posterior mean `E[θ | x] = Σ_r W_r p(θ_r | x) θ_r`.
  public var mean: [Scalar] {
    let p = probabilities
    return (0..<axes.count).map { k in
      (0..<parameters.rows).reduce(Scalar(0)) { $0 + p[$1] * parameters[$1, k] }
    }
  }

  /// The marginal posterior density of `θ_axis` at that axis's nodes, the others integrated out
  /// by the trapezoid rule; it integrates to 1 by the trapezoid rule.
  ///
  /// - Parameter axis: the parameter, `0..<p`.
  /// - Returns: the axis's nodes and the density there.
  public func marginal(axis: Int) -> (nodes: [Scalar], density: [Scalar]) {
    precondition(axis >= 0 && axis < axes.count, "ParameterGridPosterior: no axis \(axis) of \(axes.count)")
    var density = [Scalar](repeating: 0, count: axes[axis].count)
    for (r, l) in logPosterior.enumerated() {
      var rest = r
      var w: Scalar = 1
      var node = 0
      for (k, a) in axes.enumerated() {
        let i = rest % a.count
        rest /= a.count
        if k == axis { node = i } else { w *= a.trapezoidWeight(at: i) }
      }
      density[node] += w * Scalar.exp(l)
    }
    return (axes[axis].values, density)
  }

  /// The central credible interval of `θ_axis` holding posterior probability `probability`:
  /// `[F⁻¹((1 − c)/2), F⁻¹((1 + c)/2)]` with `F` the CDF of the piecewise linear marginal density
  /// through its nodes (exact for that function: a quadratic solved on the interval's cell).
  ///
  /// - Parameters:
  ///   - probability: `c ∈ (0, 1)`, for example 0.9.
  ///   - axis: the parameter, `0..<p` (0 by default).
  /// - Returns: the interval.
  public func centralInterval(probability: Scalar, axis: Int = 0) -> ClosedRange<Scalar> {
    precondition(
      probability > 0 && probability < 1, "centralInterval: probability \(probability) outside (0, 1)")
    return quantile((1 - probability) / 2, axis: axis)...quantile((1 + probability) / 2, axis: axis)
  }

  /// `F⁻¹(q)` of the marginal of `θ_axis` (see ``centralInterval(probability:axis:)``).
  ///
  /// - Parameters:
  ///   - q: the probability, in `[0, 1]`.
  ///   - axis: the parameter, `0..<p`.
  /// - Returns: the quantile, inside the axis's range.
  public func quantile(_ q: Scalar, axis: Int = 0) -> Scalar {
    precondition(q >= 0 && q <= 1, "quantile: probability \(q) outside [0, 1]")
    let (nodes, f) = marginal(axis: axis)
    let h = axes[axis].spacing
    // F at the nodes: the trapezoid rule's partial sums, rescaled so that F(hi) = 1 exactly.
    var cdf: [Scalar] = [0]
    for j in 1..<f.count { cdf.append(cdf[j - 1] + h * (f[j - 1] + f[j]) / 2) }
    let total = cdf[cdf.count - 1]
    let target = q * total
    guard let j = cdf.indices.dropFirst().first(where: { cdf[$0] >= target }) else {
      return nodes[nodes.count - 1]
    }
    // On [θ_{j−1}, θ_j], f(θ_{j−1} + s·h) = f₀ + (f₁ − f₀)·s and
    // F = F_{j−1} + h·(f₀·s + (f₁ − f₀)·s²/2): solve for s in the stable form.
    let (f0, f1) = (f[j - 1], f[j])
    let delta = Swift.max(target - cdf[j - 1], 0)
    let a = h * (f1 - f0) / 2
    let b = h * f0
    let root = (b * b + 4 * a * delta).squareRoot()
    let s = b + root > 0 ? 2 * delta / (b + root) : 0
    return nodes[j - 1] + Swift.min(Swift.max(s, 0), 1) * h
  }
}
