public import LinearAlgebra
public import RealModule

/// The preconditioning of Karras et al. (2022, "Elucidating the Design Space of Diffusion-Based
/// Generative Models", Table 1, §5 and Appendix B.6), written for any Gaussian kernel
/// `x = a·x₀ + shift + σ·ε` through the scaled variable `x̃ = (x − shift)/a = x₀ + σ̃·ε` at the
/// noise level `σ̃ = σ/a`:
///
///     D(x̃; σ̃) = c_skip·x̃ + c_out·F(c_in·x̃; c_noise),
///     c_skip = σ_d²/(σ̃² + σ_d²),   c_out = σ̃·σ_d/√(σ̃² + σ_d²),
///     c_in = 1/√(σ̃² + σ_d²),       c_noise = ¼·ln σ̃.
///
/// The network's input and output then have unit variance at every noise level, and its output
/// error is amplified least (c_out is the smallest scale that makes the target `F` unit-variance).
extension Parameterization {
  /// `σ_data` of `.edm`, or `nil` for the other parameterisations.
  @inlinable
  public var dataStandardDeviation: Double? {
    if case .edm(let sigmaData) = self { return sigmaData }
    return nil
  }

  /// EDM's `(c_skip, c_out, c_in, c_noise)` at the kernel `(a, σ)`, with `σ̃ = σ/a` and the
  /// parameterisation's `σ_data` (1 for the others).
  ///
  /// ```swift
  /// let (a, s) = sde.marginal(at: t)
  /// let c = Parameterization.edm().edmCoefficients(scale: a, standardDeviation: s)
  /// // x̂₀ = c.skip·(x − shift)/a + c.output·F(c.input·(x − shift)/a; c.noise)
  /// ```
  @inlinable
  public func edmCoefficients<Scalar: BLASScalar>(scale a: Scalar, standardDeviation s: Scalar) -> (
    skip: Scalar, output: Scalar, input: Scalar, noise: Scalar
  ) {
    precondition(a > 0 && s > 0, "EDM preconditioning needs scale > 0 and std > 0, got \(a), \(s)")
    let sd = Scalar(dataStandardDeviation ?? 1)
    let sigma = s / a
    let norm = (sigma * sigma + sd * sd).squareRoot()
    return (sd * sd / (norm * norm), sigma * sd / norm, 1 / norm, Scalar.log(sigma) / 4)
  }

  /// What the network is fed for a point `x` at time `t`: the input `u = c·x + offset` and the
  /// time `τ` its time embedding sees. The identity `(1, 0, t)` for `.score`, `.noise` and
  /// `.data`; for `.edm`, `u = c_in·(x − shift)/a` and `τ = c_noise` (Karras et al. 2022,
  /// Table 1), so `(c_in/a, −c_in·shift/a, ¼·ln(σ/a))`.
  ///
  /// - Parameters:
  ///   - t: the time.
  ///   - a: `scale(t)`.
  ///   - s: `std(t)`.
  ///   - shift: `shift(t)`.
  /// - Returns: `(scale: c, offset, time: τ)`.
  @inlinable
  public func networkInput<Scalar: BLASScalar>(
    at t: Scalar, scale a: Scalar, standardDeviation s: Scalar, shift: Scalar
  ) -> (scale: Scalar, offset: Scalar, time: Scalar) {
    guard case .edm = self else { return (1, 0, t) }
    let c = edmCoefficients(scale: a, standardDeviation: s)
    return (c.input / a, -c.input * shift / a, c.noise)
  }

  /// Whether the network sees a conditioned input and time rather than `(x, t)` (`.edm`).
  @inlinable
  public var conditionsNetworkInput: Bool { dataStandardDeviation != nil }

  /// The conversion table's entries that involve `.edm`, from `x̂₀ = c_out·F + (c_skip/a)·(x − shift)`
  /// composed with the table, in closed form so that nothing cancels: with
  /// `r = 1 − c_skip = σ̃²/(σ̃² + σ_d²)`,
  ///
  ///     .edm → .data  (c_out, c_skip/a)         .data → .edm   (1/c_out, −c_skip/(a·c_out))
  ///     .edm → .score (a·c_out/σ², −r/σ²)        .score → .edm  (σ²/(a·c_out), r/(a·c_out))
  ///     .edm → .noise (−a·c_out/σ, r/σ)          .noise → .edm  (−σ/(a·c_out), r/(a·c_out))
  ///
  /// and between two `σ_data` through `.data`.
  @inlinable
  static func preconditionedCoefficients<Scalar: BLASScalar>(
    from source: Parameterization, to target: Parameterization, scale a: Scalar, standardDeviation s: Scalar
  ) -> (prediction: Scalar, offset: Scalar) {
    if source == target { return (1, 0) }
    func parts(_ p: Parameterization) -> (out: Scalar, skip: Scalar, residual: Scalar) {
      let c = p.edmCoefficients(scale: a, standardDeviation: s)
      let sigma = s / a
      let sd = Scalar(p.dataStandardDeviation ?? 1)
      return (c.output, c.skip, sigma * sigma / (sigma * sigma + sd * sd))
    }
    switch (source, target) {
    case (.edm, .edm):
      let toData = coefficients(from: source, to: .data, scale: a, standardDeviation: s)
      let fromData = coefficients(from: .data, to: target, scale: a, standardDeviation: s)
      return (fromData.prediction * toData.prediction, fromData.prediction * toData.offset + fromData.offset)
    case (.edm, .data):
      let e = parts(source)
      return (e.out, e.skip / a)
    case (.edm, .score):
      let e = parts(source)
      return (a * e.out / (s * s), -e.residual / (s * s))
    case (.edm, .noise):
      let e = parts(source)
      return (-a * e.out / s, e.residual / s)
    case (.data, .edm):
      let e = parts(target)
      return (1 / e.out, -e.skip / (a * e.out))
    case (.score, .edm):
      let e = parts(target)
      return (s * s / (a * e.out), e.residual / (a * e.out))
    case (.noise, .edm):
      let e = parts(target)
      return (-s / (a * e.out), e.residual / (a * e.out))
    default:
      preconditionFailure("preconditionedCoefficients: neither \(source) nor \(target) is .edm")
    }
  }
}
