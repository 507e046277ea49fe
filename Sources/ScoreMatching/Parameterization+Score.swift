public import DiffusionProcesses
public import LinearAlgebra

extension Parameterization {
  /// The coefficients `(c_out, c_x)` of the score as an affine function of a network's output
  /// `f` in this parameterisation, at a time with kernel `(scale a, std σ)`:
  ///
  ///     score = c_out·f + c_x·(x − shift),
  ///     .score: (1, 0)      .noise: (−1/σ, 0)      .data: (a/σ², −1/σ²)
  ///
  /// from `score = −ε/σ` and `x = a·x₀ + shift + σ·ε` (Ho et al. 2020; Song et al. 2021). They
  /// give the score's input Jacobian from the network's: `∂s/∂x = c_out·∂f/∂x + c_x·I`.
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
    switch self {
    case .score: return (1, 0)
    case .noise: return (-1 / s, 0)
    case .data: return (a / (s * s), -1 / (s * s))
    }
  }

  /// The name written to model files and configurations: `"score"`, `"noise"` or `"data"`.
  public var fileName: String {
    switch self {
    case .score: return "score"
    case .noise: return "noise"
    case .data: return "data"
    }
  }

  /// The parameterisation called `fileName` (see ``fileName``), or `nil`.
  ///
  /// - Parameter fileName: `"score"`, `"noise"` or `"data"`.
  public init?(fileName: String) {
    switch fileName {
    case "score": self = .score
    case "noise": self = .noise
    case "data": self = .data
    default: return nil
    }
  }
}
