public import DiffusionProcesses
public import LinearAlgebra

/// The score-based likelihood bound of Song, Durkan, Murray & Ermon (2021, "Maximum Likelihood
/// Training of Score-Based Diffusion Models", Theorem 2), per data point: an upper bound on the
/// negative log-likelihood of the *SDE* model (the reverse SDE driven by the score, started from
/// the prior), to put beside the exact negative log-likelihood of the *ODE* model
/// (`ProbabilityFlowLikelihood`).
///
/// For a point `y` treated as a sample at time `ε` and the forward kernel `x_t | x_ε = y` from
/// ``GaussianSDE/transition(from:to:)``:
///
///     −log p^SDE_ε(y) ≤ ℒ(y) = −E[log π(x_T) | y]
///                         + ∫_ε^T E[ ½g²‖s_θ(x_t, t)‖² + g² ∇·s_θ(x_t, t) − ∇·f(x_t, t) | y ] dt,
///
/// the implicit (Hyvärinen) form of the bound; its denoising form
/// `½∫g²E‖s_θ − ∇log p(x_t|y)‖² − ½∫(g²E‖∇log p(x_t|y)‖² + 2∇·f)` has the same value but each
/// half diverges like `1/(t − ε)`, so its Monte Carlo estimate has infinite variance; the
/// implicit form, with the model's exact divergence, has none of that. For an affine drift
/// `∇·f = d·a(t)`.
///
/// **Tightness.** The gap is the KL divergence between the forward path law conditioned on
/// `x_ε = y` and the model's reverse path law conditioned on its end point. With the exact score
/// and the exact terminal density `p_T` in place of `π`, the two path laws are equal (Anderson
/// 1982), so the bound is an *equality* for every `y`: `ℒ(y) = −log p_ε(y)`. With the prior `π`,
/// `ℒ(y) = −log p_ε(y) + E[log p_T(x_T) − log π(x_T) | y]` (closed form for Gaussian data:
/// `GaussianScore.scoreLikelihoodBound(of:startTime:)`). With a learned score it bounds the SDE
/// model's NLL, which is a different model from the ODE's: report the two side by side, do not
/// order them.
///
/// **Estimator.** Round `m` of `M` draws one time `t_m` uniformly in the `m`-th of `M` equal
/// strata of `[ε, T]` for the whole batch (score models take one time per call) and, per point, independent `z` for `x_{t_m}` and `z'` for
/// `x_T`; the value `−log π(x_T) + (T − ε)·[½g²‖s‖² + g²∇·s − d·a]` is unbiased for `ℒ(y)`. The
/// per-point standard error is the collapsed-strata one over rounds (stratification removes the
/// integrand's strong variation along `t`, most of a uniform draw's variance); the data-mean's is over the rounds' batch means
/// (the shared times make points dependent). Noise of point `i` comes from stream
/// `firstRow + i` of the seed, times from a stream of their own.
///
/// ```swift
/// let bound = ScoreLikelihoodBound(process: VPSDE<Double>(), score: oracle)
/// let result = bound.negativeLogLikelihoodBound(of: points, rounds: 256, seed: 1)
/// print(result.mean, result.perPoint[0])
/// ```
public struct ScoreLikelihoodBound<Process: GaussianSDE, Model: DivergenceScoreModel>: Sendable
where Process.Scalar == Model.Scalar {
  /// The precision.
  public typealias Scalar = Process.Scalar

  /// The forward process.
  public let process: Process
  /// The score model (with its exact divergence).
  public let model: Model
  /// `ε`: the data are treated as samples of `p_ε` (default ``SDE/smallTimeCutoff``), as in
  /// `ProbabilityFlowLikelihood`.
  public let startTime: Scalar

  /// The bound for the score `model` under `process`, for data at time `startTime`.
  public init(process: Process, score model: Model, startTime: Scalar? = nil) {
    self.process = process
    self.model = model
    self.startTime = startTime ?? process.smallTimeCutoff
    precondition(
      self.startTime >= 0 && self.startTime < process.endTime,
      "ScoreLikelihoodBound: start time \(self.startTime) outside [0, \(process.endTime))")
  }

  /// The score model.
  @available(*, deprecated, renamed: "model")
  public var score: Model { model }

  /// Monte Carlo estimates of `ℒ(yᵢ)` for every row `yᵢ` of `data`, in nats.
  ///
  /// - Parameters:
  ///   - data: `n × d` points.
  ///   - rounds: stratified random times (even, ≥ 2).
  ///   - seed: the seed of the times and of the per-point noise streams.
  ///   - firstRow: the global index of `data`'s first row (keys its noise streams).
  ///   - terminalLogDensity: `log` of the density the reverse SDE starts from; `nil` is the prior
  ///     `π` (``SDE/priorLogDensity(_:)``). Passing an oracle's exact `log p_T` makes the bound
  ///     tight for the exact score.
  @inlinable
  public func negativeLogLikelihoodBound(
    of data: Matrix<Scalar>, rounds: Int, seed: UInt64, firstRow: Int = 0,
    terminalLogDensity: ((Matrix<Scalar>) -> [Scalar])? = nil
  ) -> LikelihoodBoundResult {
    precondition(rounds >= 2, "ScoreLikelihoodBound needs at least 2 rounds, got \(rounds)")
    let (n, d) = (data.rows, data.columns)
    let end = process.endTime
    let width = Double(end - startTime)
    var timeStream = Xoshiro256(seed: seed, stream: UInt64.max)
    var streams = RowStreams(seed: seed, rows: firstRow..<(firstRow + n))
    var noise = Matrix<Scalar>(rows: n, columns: d)
    var xt = data
    var s = data
    var divergence = [Scalar](repeating: 0, count: n)
    var workspace = model.makeWorkspace(rows: n)
    let terminal = process.transition(from: startTime, to: end)
    var values = [[Double]](repeating: [], count: n)
    var roundMeans: [Double] = []
    for t in TimeSampling.stratifiedTimes(rounds, from: startTime, to: end, using: &timeStream) {
      let (scale, shift, std) = process.transition(from: startTime, to: t)
      streams.fillNormal(&noise)
      xt.assign(data, scaledBy: scale, offset: shift)
      xt.add(noise, scaledBy: std)
      model.scoreAndDivergence(xt, at: t, into: &s, divergence: &divergence, workspace: &workspace)
      streams.fillNormal(&noise)
      xt.assign(data, scaledBy: terminal.scale, offset: terminal.shift)
      xt.add(noise, scaledBy: terminal.standardDeviation)
      let logTerminal = terminalLogDensity?(xt) ?? process.priorLogDensity(xt)
      let g = Double(process.diffusion(at: t))
      let fieldDivergence = Double(d) * Double(process.linearDrift(at: t).coefficient)
      let norms = s.squaredRowNorms()
      var sum = 0.0
      for i in 0..<n {
        let integrand = g * g / 2 * Double(norms[i]) + g * g * Double(divergence[i]) - fieldDivergence
        let value = -Double(logTerminal[i]) + width * integrand
        values[i].append(value)
        sum += value
      }
      roundMeans.append(sum / Double(n))
    }
    return LikelihoodBoundResult(
      perPoint: values.map { TimeSampling.stratifiedEstimate($0) },
      mean: TimeSampling.stratifiedEstimate(roundMeans))
  }
}

extension GaussianScore {
  /// The exact likelihood bound of ``ScoreLikelihoodBound`` `ℒ(y)` for Gaussian data with the exact score and the prior `π`:
  ///
  ///     ℒ(y) = −log p_ε(y) + E[ log p_T(x_T) − log π(x_T) | x_ε = y ],   x_T | y ~ N(c, σ²I),
  ///
  /// (the bound is tight with `p_T` in place of `π`, see the type's notes). `q = log p_T − log π`
  /// is a quadratic for a Gaussian prior, so its expectation is exact on the `2d + 1` points
  /// `c, c ± σeⱼ`: `E q = q(c) + ½ Σⱼ [q(c + σeⱼ) + q(c − σeⱼ) − 2q(c)]`.
  ///
  /// ```swift
  /// let exact = oracle.scoreLikelihoodBound(of: points)   // beside the Monte Carlo estimate
  /// ```
  ///
  /// - Parameters:
  ///   - data: `n × d` points.
  ///   - startTime: `ε`, by default ``SDE/smallTimeCutoff``.
  /// - Returns: `ℒ(yᵢ)` per row, in nats.
  public func scoreLikelihoodBound(of data: Matrix<Scalar>, startTime: Scalar? = nil) -> [Double] {
    let oracle = self
    let epsilon = startTime ?? process.smallTimeCutoff
    let end = process.endTime
    let (scale, shift, std) = process.transition(from: epsilon, to: end)
    let nll = oracle.logDensity(data, at: epsilon).map { -Double($0) }
    func q(_ x: Matrix<Scalar>) -> [Double] {
      zip(oracle.logDensity(x, at: end), process.priorLogDensity(x)).map { Double($0) - Double($1) }
    }
    var center = data
    center.assign(data, scaledBy: scale, offset: shift)
    let qc = q(center)
    var expectation = qc
    for j in 0..<data.columns {
      for sign in [Scalar(1), -1] {
        var moved = center
        for i in 0..<data.rows { moved[i, j] += sign * std }
        for (i, value) in q(moved).enumerated() { expectation[i] += (value - qc[i]) / 2 }
      }
    }
    return zip(nll, expectation).map { $0 + $1 }
  }
}

/// Per-point and data-mean estimates of the likelihood bound (``ScoreLikelihoodBound``), in nats.
public struct LikelihoodBoundResult: Sendable, Hashable {
  /// `ℒ(yᵢ)` per point, each with its standard error over rounds.
  public let perPoint: [MonteCarloEstimate]
  /// The mean of `ℒ` over the points, its standard error over rounds.
  public let mean: MonteCarloEstimate

  /// A result from its parts.
  public init(perPoint: [MonteCarloEstimate], mean: MonteCarloEstimate) {
    self.perPoint = perPoint
    self.mean = mean
  }
}
