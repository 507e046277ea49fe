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
  @inlinable
  public func convert(
    _ prediction: inout Matrix<Scalar>, from source: Parameterization, to target: Parameterization,
    given x: Matrix<Scalar>, at t: Scalar
  ) {
    precondition(
      prediction.rows == x.rows && prediction.columns == x.columns,
      "convert: prediction \(prediction.shapeDescription) but points \(x.shapeDescription)")
    let (a, s) = marginal(at: t)
    let (cm, cx) = Self.conversionCoefficients(from: source, to: target, scale: a, standardDeviation: s)
    let b = marginalShift(at: t)
    x.withUnsafeBufferPointer { px in
      prediction.withUnsafeMutableBufferPointer { p in
        if cx == 0 {
          for j in p.indices { p[j] = cm * p[j] }
        } else {
          for j in p.indices { p[j] = cm * p[j] + cx * (px[j] - b) }
        }
      }
    }
  }

  /// ``convert(_:from:to:given:at:)-(_,_,_,_,Self.Scalar)`` with one time per row (as in a training batch).
  @inlinable
  public func convert(
    _ prediction: inout Matrix<Scalar>, from source: Parameterization, to target: Parameterization,
    given x: Matrix<Scalar>, at times: [Scalar]
  ) {
    precondition(
      prediction.rows == x.rows && prediction.columns == x.columns,
      "convert: prediction \(prediction.shapeDescription) but points \(x.shapeDescription)")
    precondition(times.count == x.rows, "convert: \(times.count) times for \(x.rows) rows")
    let d = x.columns
    x.withUnsafeBufferPointer { px in
      prediction.withUnsafeMutableBufferPointer { p in
        for i in 0..<times.count {
          let (a, s) = marginal(at: times[i])
          let (cm, cx) = Self.conversionCoefficients(from: source, to: target, scale: a, standardDeviation: s)
          let b = marginalShift(at: times[i])
          for j in (i * d)..<((i + 1) * d) { p[j] = cm * p[j] + cx * (px[j] - b) }
        }
      }
    }
  }

  /// `(c_p, c_x)` with `target = c_p·source + c_x·(x − shift)`.
  @inlinable
  static func conversionCoefficients(
    from source: Parameterization, to target: Parameterization, scale a: Scalar, standardDeviation s: Scalar
  ) -> (Scalar, Scalar) {
    // Each source as (p, q) with ε = p·source + q·(x − shift); each target from ε likewise.
    let toNoise: (Scalar, Scalar)
    switch source {
    case .noise: toNoise = (1, 0)
    case .score: toNoise = (-s, 0)
    case .data: toNoise = (-a / s, 1 / s)
    }
    let fromNoise: (Scalar, Scalar)
    switch target {
    case .noise: fromNoise = (1, 0)
    case .score: fromNoise = (-1 / s, 0)
    case .data: fromNoise = (-s / a, 1 / a)
    }
    if source == target { return (1, 0) }
    // target = F.0·ε + F.1·y with ε = N.0·source + N.1·y, y = x − shift.
    return (fromNoise.0 * toNoise.0, fromNoise.0 * toNoise.1 + fromNoise.1)
  }
}
