public import LinearAlgebra

/// What a denoising model predicts about a perturbed point `x = scale·x₀ + shift + std·ε`.
///
/// The three are interchangeable given `(scale, shift, std)` at the point's time (Ho et al. 2020;
/// Kingma et al. 2021; Song et al. 2021, appendix): `score = −ε/std` and
/// `x₀ = (x − shift − std·ε)/scale`. Every ``ScoreModel`` in ScoreSDE returns the **score**; use
/// ``GaussianSDE/convert(_:from:to:given:at:)-(_,_,_,_,Self.Scalar)`` to wrap a model that predicts noise or data.
public enum Parameterization: Sendable, Hashable, CaseIterable {
  /// The score `∇ₓ log p_t(x) = −ε/std` (Song et al. 2021).
  case score
  /// The noise `ε` that was added (ε-prediction, Ho et al. 2020).
  case noise
  /// The clean data `x₀` (x₀-prediction); `E[x₀ | x]` is Tweedie's formula
  /// `(x − shift + std²·score)/scale`.
  case data
  /// Karras et al.'s (2022, EDM, Table 1 and §5) preconditioned output `F`, for data whose
  /// coordinates have standard deviation `σ_data`: the denoiser is
  /// `D = x̂₀ = c_skip·x̃ + c_out·F(c_in·x̃; c_noise)` in the scaled variable `x̃ = (x − shift)/a`
  /// at noise level `σ̃ = σ/a` (see ``edmCoefficients(scale:standardDeviation:)``). The network
  /// sees the conditioned input and time of ``networkInput(at:scale:standardDeviation:shift:)``.
  /// `σ_data = 1` suits standardised data (what `score-sde train` feeds); Karras et al. use 0.5
  /// for images in `[−1, 1]`.
  case edm(dataStandardDeviation: Double = 1)

  /// `.score`, `.noise`, `.data` and `.edm` with `σ_data = 1`.
  public static var allCases: [Parameterization] { [.score, .noise, .data, .edm()] }
}

extension GaussianSDE {
  /// Converts a prediction in place from one parameterisation to another, all rows at time `t`:
  ///
  ///     score = −ε/std,        ε = −std·score,
  ///     x₀ = (x − shift − std·ε)/scale = (x − shift + std²·score)/scale,
  ///     ε = (x − shift − scale·x₀)/std,   score = −(x − shift − scale·x₀)/std².
  ///
  /// ```swift
  /// network.predictNoise(x, at: t, into: &out)          // ε̂
  /// sde.convert(&out, from: .noise, to: .score, given: x, at: t)
  /// ```
  ///
  /// - Parameters:
  ///   - prediction: `n × d`, overwritten by the converted prediction.
  ///   - source: what `prediction` holds now.
  ///   - target: what it should hold.
  ///   - x: the perturbed points the prediction is about, `n × d` (read only when converting to
  ///     or from `.data`).
  ///   - t: their time, `> 0` (and `scale(t) > 0` for `.data`).
  /// - Returns: the coefficients `(c_p, c_x)` used (see
  ///   ``Parameterization/coefficients(from:to:scale:standardDeviation:)``); a score model's input
  ///   Jacobian follows from them.
  @inlinable
  @discardableResult
  public func convert(
    _ prediction: inout Matrix<Scalar>, from source: Parameterization, to target: Parameterization,
    given x: Matrix<Scalar>, at t: Scalar
  ) -> (prediction: Scalar, offset: Scalar) {
    precondition(
      prediction.hasShape(of: x),
      "convert: prediction \(prediction.shapeDescription) but points \(x.shapeDescription)")
    let (a, s) = marginal(at: t)
    let (cm, cx) = Parameterization.coefficients(from: source, to: target, scale: a, standardDeviation: s)
    Parameterization.apply(&prediction, prediction: cm, offset: cx, given: x, shift: marginalShift(at: t))
    return (cm, cx)
  }

  /// ``convert(_:from:to:given:at:)-(_,_,_,_,Self.Scalar)`` with one time per row (as in a training batch).
  @inlinable
  public func convert(
    _ prediction: inout Matrix<Scalar>, from source: Parameterization, to target: Parameterization,
    given x: Matrix<Scalar>, at times: [Scalar]
  ) {
    forEachRowKernel("convert", at: times, reading: x, into: &prediction) { _, row, px, p, a, s, b in
      let (cm, cx) = Parameterization.coefficients(from: source, to: target, scale: a, standardDeviation: s)
      for j in row { p[j] = cm * p[j] + cx * (px[j] - b) }
    }
  }
}

extension Parameterization {
  /// The one table of conversions between parameterisations at a time with kernel
  /// `x = a·x₀ + shift + σ·ε` (scale `a`, std `σ`): the coefficients `(c_p, c_x)` of
  ///
  ///     target = c_p·source + c_x·(x − shift),
  ///
  /// from `score = −ε/σ` and `x₀ = (x − shift − σ·ε)/a` (Ho et al. 2020; Song et al. 2021;
  /// Kingma et al. 2021). Every entry, `(c_p, c_x)`, row `source`, column `target`:
  ///
  ///     source \ target   .score             .noise          .data
  ///     .score             (1, 0)             (−σ, 0)         (σ²/a, 1/a)
  ///     .noise             (−1/σ, 0)          (1, 0)          (−σ/a, 1/a)
  ///     .data              (a/σ², −1/σ²)      (−a/σ, 1/σ)     (1, 0)
  ///
  /// `.edm` enters through `.data`: `x̂₀ = c_out·F + (c_skip/a)·(x − shift)`, composed with the
  /// table (``edmCoefficients(scale:standardDeviation:)``).
  ///
  /// Tweedie's formula is the `.score → .data` entry, `E[x₀ | x] = (x − shift + σ²·score)/a`;
  /// DPM-Solver's data prediction is the `.noise → .data` one. The `.score` column gives a score
  /// model's input Jacobian from the network's, `∂s/∂x = c_p·∂f/∂x + c_x·I`.
  ///
  /// ```swift
  /// let (a, s) = sde.marginal(at: t)
  /// let (cp, cx) = Parameterization.coefficients(from: .noise, to: .data, scale: a, standardDeviation: s)
  /// // x̂₀ = cp·ε̂ + cx·(x − shift)
  /// ```
  ///
  /// - Parameters:
  ///   - source: what the prediction is.
  ///   - target: what it should become.
  ///   - a: `scale(t)`, positive when either side is `.data`.
  ///   - s: `std(t)`, positive unless both sides are `.noise`, both `.score`, or `.score` and
  ///     `.noise`.
  /// - Returns: `(prediction: c_p, offset: c_x)`.
  @inlinable
  public static func coefficients<Scalar: BLASScalar>(
    from source: Parameterization, to target: Parameterization, scale a: Scalar, standardDeviation s: Scalar
  ) -> (prediction: Scalar, offset: Scalar) {
    switch (source, target) {
    case (.edm, _), (_, .edm):
      return preconditionedCoefficients(from: source, to: target, scale: a, standardDeviation: s)
    case (.score, .score), (.noise, .noise), (.data, .data): return (1, 0)
    case (.score, .noise): return (-s, 0)
    case (.score, .data): return (s * s / a, 1 / a)
    case (.noise, .score): return (-1 / s, 0)
    case (.noise, .data): return (-s / a, 1 / a)
    case (.data, .score): return (a / (s * s), -1 / (s * s))
    case (.data, .noise): return (-a / s, 1 / s)
    }
  }

  /// `prediction ← c_p·prediction + c_x·(x − shift)` entry by entry, the conversion
  /// ``coefficients(from:to:scale:standardDeviation:)`` describes, for one time (one `shift`);
  /// with `c_x = 0` the points are not read.
  ///
  /// - Parameters:
  ///   - prediction: the source prediction, overwritten by the target.
  ///   - cp: `c_p`.
  ///   - cx: `c_x`.
  ///   - x: the points, `prediction`'s shape.
  ///   - shift: the marginal's shift `b(t)`.
  @inlinable
  public static func apply<Scalar: BLASScalar>(
    _ prediction: inout Matrix<Scalar>, prediction cp: Scalar, offset cx: Scalar, given x: Matrix<Scalar>,
    shift: Scalar
  ) {
    x.withUnsafeBufferPointer { px in
      prediction.withUnsafeMutableBufferPointer { p in
        if cx == 0 {
          for j in p.indices { p[j] = cp * p[j] }
        } else {
          for j in p.indices { p[j] = cp * p[j] + cx * (px[j] - shift) }
        }
      }
    }
  }

  /// What this parameterisation is as a function of the clean data and the noise that made
  /// `x = a·x₀ + shift + σ·ε`: the coefficients `(c₀, c_ε)` of
  ///
  ///     prediction = c₀·x₀ + c_ε·ε,   .score: (0, −1/σ)   .noise: (0, 1)   .data: (1, 0),
  ///     .edm: ((1 − c_skip)/c_out, −c_skip·σ̃/c_out),
  ///
  /// the regression target of denoising score matching (Song et al. 2021, eq. 7; Ho et al. 2020;
  /// Karras et al. 2022, eq. 8: `F = (x₀ − c_skip·x̃)/c_out` with `x̃ = x₀ + σ̃·ε`).
  ///
  /// ```swift
  /// let (c0, cz) = options.parameterization.targetCoefficients(scale: a, standardDeviation: s)
  /// // target = c0·x₀ + cz·z
  /// ```
  ///
  /// - Parameters:
  ///   - a: `scale(t)`, positive for `.edm`.
  ///   - s: `std(t)`, positive for `.score` and `.edm`.
  /// - Returns: `(data: c₀, noise: c_ε)`.
  @inlinable
  public func targetCoefficients<Scalar: BLASScalar>(scale a: Scalar, standardDeviation s: Scalar) -> (
    data: Scalar, noise: Scalar
  ) {
    switch self {
    case .score:
      return (0, Self.coefficients(from: .noise, to: .score, scale: 1, standardDeviation: s).prediction)
    case .noise: return (0, 1)
    case .data: return (1, 0)
    case .edm:
      // 1 − c_skip = σ̃²/(σ̃² + σ_d²), written so that it does not cancel at small σ̃.
      let c = edmCoefficients(scale: a, standardDeviation: s)
      let sigma = s / a
      let sd = Scalar(dataStandardDeviation ?? 1)
      return (sigma * sigma / (sigma * sigma + sd * sd) / c.output, -c.skip * sigma / c.output)
    }
  }

  /// ``targetCoefficients(scale:standardDeviation:)`` at scale 1, for the parameterisations
  /// whose target does not depend on the scale (`.score`, `.noise`, `.data`).
  @inlinable
  public func targetCoefficients<Scalar: BLASScalar>(standardDeviation s: Scalar) -> (
    data: Scalar, noise: Scalar
  ) {
    if case .edm = self {
      preconditionFailure("targetCoefficients(standardDeviation:): .edm needs the scale too")
    }
    return targetCoefficients(scale: 1, standardDeviation: s)
  }

  /// The `.score` column of ``coefficients(from:to:scale:standardDeviation:)``: the coefficients
  /// `(c_out, c_x)` of `score = c_out·f + c_x·(x − shift)` for a network output `f` in this
  /// parameterisation,
  ///
  ///     .score: (1, 0)      .noise: (−1/σ, 0)      .data: (a/σ², −1/σ²)
  ///     .edm: (a·c_out/σ², (c_skip − 1)/σ²).
  ///
  /// They give the score's input Jacobian from the network's: `∂s/∂x = c_out·∂f/∂x + c_x·I`.
  ///
  /// ```swift
  /// let (a, s) = sde.marginal(at: t)
  /// let (cOut, cX) = Parameterization.noise.scoreCoefficients(scale: a, standardDeviation: s)
  /// ```
  ///
  /// - Parameters:
  ///   - a: `scale(t)`, positive for `.data`.
  ///   - s: `std(t)`, positive for `.noise` and `.data`.
  /// - Returns: `(c_out, c_x)`.
  @inlinable
  public func scoreCoefficients<Scalar: BLASScalar>(scale a: Scalar, standardDeviation s: Scalar) -> (
    output: Scalar, state: Scalar
  ) {
    let (output, state) = Self.coefficients(from: self, to: .score, scale: a, standardDeviation: s)
    return (output, state)
  }
}
