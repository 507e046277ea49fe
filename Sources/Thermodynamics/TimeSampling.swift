import DiffusionProcesses
import LinearAlgebra

/// Where the times of a time-integral estimator come from, and how its standard error is taken.
///
/// An integral `∫ₐᵇ h(t) dt` of an expectation is estimated without bias by averaging
/// `(b − a)·h(t)` over random times. Every estimator here draws one time per *round* and
/// evaluates a whole batch of points at it (score models take one time per call). The times are
/// *stratified*: round `m` of `M` draws `t_m` uniformly in the `m`-th of `M` equal strata, so the
/// smooth variation of `h` over `[a, b]` — most of a uniform draw's variance (the likelihood
/// bound's integrand changes sign along `t`) — no longer enters the error, which falls like
/// `M^{−3/2}` instead of `M^{−1/2}` for smooth `h`. The standard error is the collapsed-strata
/// estimate (Cochran 1977, *Sampling Techniques*, §5A.12): with one value per stratum,
///
///     Var̂(ȳ) = (1/M²) Σ_k (y_{2k} − y_{2k+1})²,
///
/// over pairs of adjacent strata; it is unbiased up to the squared difference of the pairs'
/// means, so conservative.
@usableFromInline
enum TimeSampling {
  /// `count` (even, ≥ 2) stratified uniform times on `[a, b]`, in increasing order.
  @usableFromInline
  static func stratifiedTimes<Scalar: BLASScalar, G: RandomNumberGenerator>(
    _ count: Int, from a: Scalar, to b: Scalar, using rng: inout G
  ) -> [Scalar] {
    precondition(count >= 2 && count % 2 == 0, "stratified times need an even count ≥ 2, got \(count)")
    let width = (b - a) / Scalar(count)
    return (0..<count).map { m in a + (Scalar(m) + Scalar.randomOpenUnit(using: &rng)) * width }
  }

  /// The mean of one value per stratum and its collapsed-strata standard error.
  @usableFromInline
  static func stratifiedEstimate(_ values: [Double]) -> MonteCarloEstimate {
    precondition(values.count >= 2 && values.count % 2 == 0, "stratified estimate needs an even count ≥ 2")
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    var squares = 0.0
    for k in stride(from: 0, to: values.count, by: 2) {
      let d = values[k] - values[k + 1]
      squares += d * d
    }
    return MonteCarloEstimate(mean: mean, standardError: squares.squareRoot() / n, count: values.count)
  }
}

/// A two-stage time-integral estimate over a *fixed* set of `n` data points: every round (one
/// stratified time, fresh noise) evaluates all the points.
///
/// The rounds' standard error (collapsed strata) covers the times and the noise but not the
/// points, which every round reuses: conditional on them the estimate targets the empirical
/// average `(1/n)Σᵢ E[h | x₀ᵢ]`, not the data distribution's `E[h]`. Their sampling error is
/// estimated from the spread of the per-point averages over rounds, `h̄ᵢ`:
///
///     SE² = SE²_rounds + Var̂ᵢ(h̄ᵢ)/n,
///
/// conservative (the noise's share of `Var̂ᵢ(h̄ᵢ)` is counted in both terms), so that `k` standard
/// errors bound the distance to the distribution's value.
@usableFromInline
struct RoundsOverPoints {
  private(set) var roundMeans: [Double] = []
  private(set) var pointSums: [Double]

  init(points: Int) { pointSums = [Double](repeating: 0, count: points) }

  /// One round's per-point values, each multiplied by `scale`.
  mutating func add(_ values: [Double], scale: Double) {
    precondition(
      values.count == pointSums.count, "RoundsOverPoints: \(values.count) values for \(pointSums.count)")
    var sum = 0.0
    for (i, v) in values.enumerated() {
      pointSums[i] += scale * v
      sum += scale * v
    }
    roundMeans.append(sum / Double(values.count))
  }

  /// `∫_{t₀}^{t₁}` of `terms` per-point integrands over `rounds` stratified times: every round
  /// perturbs all of `data` (samples of `p_0`) to its time through `process`'s kernel with fresh
  /// noise from `rng` and adds `(t₁ − t₀)·h_k(x_t, t)` for each term `k`, so each estimate has
  /// both shares of the standard error.
  ///
  /// - Parameters:
  ///   - estimator: the caller's name, for the messages of the preconditions.
  ///   - process: the forward process, whose `endTime` bounds `t₁`.
  ///   - start: `t₀ > 0`.
  ///   - end: `t₁ ≤ T`.
  ///   - data: `n × d` samples of `p_0`.
  ///   - rounds: the number of stratified times (even, ≥ 2).
  ///   - terms: how many per-point arrays `integrand` returns.
  ///   - rng: the source of times and noise.
  ///   - integrand: the `terms` arrays of `n` per-point values at points of `p_t`.
  /// - Returns: one estimate per term.
  @usableFromInline
  static func integrate<Process: GaussianSDE, G: RandomNumberGenerator>(
    _ estimator: String, process: Process, from start: Process.Scalar, to end: Process.Scalar,
    data: Matrix<Process.Scalar>, rounds: Int, terms: Int, using rng: inout G,
    _ integrand: (Matrix<Process.Scalar>, Process.Scalar) -> [[Double]]
  ) -> [MonteCarloEstimate] {
    precondition(
      start > 0 && start < end && end <= process.endTime,
      "\(estimator): need 0 < t₀ < t₁ ≤ T, got [\(start), \(end)], T = \(process.endTime)")
    precondition(rounds >= 2, "\(estimator) needs at least 2 rounds, got \(rounds)")
    let width = Double(end - start)
    var sums = [RoundsOverPoints](repeating: RoundsOverPoints(points: data.rows), count: terms)
    for t in TimeSampling.stratifiedTimes(rounds, from: start, to: end, using: &rng) {
      let values = integrand(process.perturb(data, at: t, using: &rng).perturbed, t)
      precondition(values.count == terms, "\(estimator): \(values.count) integrands, expected \(terms)")
      for k in 0..<terms { sums[k].add(values[k], scale: width) }
    }
    return sums.map(\.estimate)
  }

  /// The estimate with both shares of the standard error.
  var estimate: MonteCarloEstimate {
    let rounds = TimeSampling.stratifiedEstimate(roundMeans)
    let m = Double(roundMeans.count)
    let n = Double(pointSums.count)
    var pointsVariance = 0.0
    if pointSums.count > 1 {
      let averages = pointSums.map { $0 / m }
      let mean = averages.reduce(0, +) / n
      pointsVariance = averages.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) / n
    }
    return MonteCarloEstimate(
      mean: rounds.mean,
      standardError: (rounds.standardError * rounds.standardError + pointsVariance).squareRoot(),
      count: roundMeans.count)
  }
}
