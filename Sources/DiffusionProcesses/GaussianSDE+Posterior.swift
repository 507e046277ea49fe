extension GaussianSDE {
  /// The forward process's posterior one step back, the exact ancestral update of DDPM (Ho et
  /// al. 2020, eq. 6–7) and SMLD (Song et al. 2021, appendix F) for any Gaussian SDE:
  ///
  ///     q(x_s | x_t, x₀) = N(dataCoefficient·x₀ + stateCoefficient·x_t + offset, std² I),
  ///
  /// for `s < t`, with `x_t | x_s ~ N(A·x_s + B, V)` the ``transition(from:to:)`` kernel and
  /// `v_s = std_s²`, `v_t = V + A²·v_s`:
  ///
  ///     dataCoefficient  = V·scale_s / v_t,     stateCoefficient = A·v_s / v_t,
  ///     offset           = (V·shift_s − A·v_s·B) / v_t,   std² = v_s·V / v_t.
  ///
  /// An ancestral sampler plugs in a predicted `x₀` (see ``convert(_:from:to:given:at:)-(_,_,_,_,Self.Scalar)``).
  ///
  /// - Parameters:
  ///   - t: the current (later) time.
  ///   - s: the earlier time, `0 ≤ s < t`.
  /// - Returns: the posterior's coefficients; at `s = 0` the mean is `x₀` and `std = 0`.
  @inlinable
  public func posterior(from t: Scalar, to s: Scalar) -> (
    dataCoefficient: Scalar, stateCoefficient: Scalar, offset: Scalar, standardDeviation: Scalar
  ) {
    precondition(s >= 0 && s < t, "posterior(from: \(t), to: \(s)) needs 0 ≤ s < t")
    let (scaleS, stdS) = marginal(at: s)
    let shiftS = marginalShift(at: s)
    let (a, b, stdTS) = transition(from: s, to: t)
    let vs = stdS * stdS
    let v = stdTS * stdTS
    let vt = v + a * a * vs
    return (v * scaleS / vt, a * vs / vt, (v * shiftS - a * vs * b) / vt, (vs * v / vt).squareRoot())
  }
}
