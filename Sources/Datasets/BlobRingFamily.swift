public import LinearAlgebra
import RealModule

/// A four-parameter family of 2-D densities: `K` anisotropic Gaussian blobs evenly spaced on a
/// ring, `θ = (r, s, e, φ)` = (radius, radial thickness, ellipticity, orientation), with an exact
/// log-density (a Gaussian mixture with full covariances).
///
/// Blob `k` sits at angle `αₖ = φ + 2πk/K`, mean `μₖ = r (cos αₖ, sin αₖ)`, covariance
/// `Σₖ = R(αₖ) diag(s², (e s)²) R(αₖ)ᵀ`: standard deviation `s` across the ring and `e·s`
/// along it. With equal weights,
///
///     log p(x | θ) = log Σₖ (1/K) 𝒩(x; μₖ, Σₖ),    E‖x‖² = r² + s²(1 + e²),
///
/// and for `K ≥ 3` the covariance is `½ E‖x‖² I`. A test bed for conditioning on many physical
/// parameters (ρ-Diffusion's setting): one model must learn how the density moves with all four.
///
/// ```swift
/// let family = BlobRingFamily()
/// let theta: [Double] = [2, 0.2, 2, 0.3]
/// let x: Matrix<Double> = family.sample(parameters: Matrix([theta, theta]), using: &rng)
/// let logp = family.logDensity(x, parameters: Matrix([theta, theta]))
/// ```
public struct BlobRingFamily: Sendable, CustomStringConvertible {
  /// `K`, the number of blobs (≥ 1).
  public let blobs: Int
  /// The training ranges of `(r, s, e, φ)`.
  public let parameterRanges: [ClosedRange<Double>]

  /// The names of the four parameters, in column order.
  public static let parameterNames = ["radius", "thickness", "ellipticity", "orientation"]

  /// A family of `blobs` blobs whose training θ ranges over `parameterRanges`.
  ///
  /// - Parameters:
  ///   - blobs: `K ≥ 1`.
  ///   - parameterRanges: four ranges, for `r ≥ 0`, `s > 0`, `e > 0` and any `φ`; the defaults are
  ///     `r ∈ [1.5, 3]`, `s ∈ [0.1, 0.3]`, `e ∈ [1, 3]`, `φ ∈ [0, π/6]` (half the period `2π/K`
  ///     for six blobs).
  public init(
    blobs: Int = 6, parameterRanges: [ClosedRange<Double>] = [1.5...3, 0.1...0.3, 1...3, 0...(Double.pi / 6)]
  ) {
    precondition(blobs >= 1, "BlobRingFamily: need at least one blob, got \(blobs)")
    precondition(
      parameterRanges.count == 4, "BlobRingFamily: need 4 parameter ranges, got \(parameterRanges.count)")
    precondition(
      parameterRanges.allSatisfy { $0.lowerBound.isFinite && $0.upperBound.isFinite }
        && parameterRanges[0].lowerBound >= 0 && parameterRanges[1].lowerBound > 0
        && parameterRanges[2].lowerBound > 0,
      "BlobRingFamily: need finite ranges with r ≥ 0, s > 0, e > 0; got \(parameterRanges)")
    self.blobs = blobs
    self.parameterRanges = parameterRanges
  }

  /// The data dimension, 2.
  public var dimension: Int { 2 }
  /// The number of parameters, 4.
  public var parameterCount: Int { 4 }
  /// The blob count and the ranges.
  public var description: String {
    "ring of \(blobs) anisotropic Gaussian blobs, θ = (r, s, e, φ) in \(parameterRanges)"
  }

  /// Stops unless θ is a valid parameter row (finite, `r ≥ 0`, `s > 0`, `e > 0`).
  func check(_ theta: [Double], row: Int) {
    precondition(
      theta.count == 4 && theta.allSatisfy(\.isFinite) && theta[0] >= 0 && theta[1] > 0 && theta[2] > 0,
      "BlobRingFamily: parameter row \(row) is \(theta); need finite (r ≥ 0, s > 0, e > 0, φ)")
  }

  /// One sample per row of `parameters`: blob `k` uniform, then `μₖ + R(αₖ)(s z₁, e s z₂)`,
  /// `z ~ N(0, I)`.
  ///
  /// - Parameters:
  ///   - parameters: `n × 4` rows θ, inside the training ranges or not.
  ///   - rng: the source of randomness.
  /// - Returns: an `n × 2` matrix.
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(
    parameters: Matrix<Double>, using rng: inout G
  ) -> Matrix<S> {
    precondition(
      parameters.columns == 4, "BlobRingFamily: parameters \(parameters.shapeDescription); need n×4")
    var out = Matrix<S>(rows: parameters.rows, columns: 2)
    for i in 0..<parameters.rows {
      let theta = parameters.row(i)
      check(theta, row: i)
      let k = min(Int(Double(blobs) * (1 - Double.randomOpenUnit(using: &rng))), blobs - 1)
      let (z1, z2) = Double.randomNormalPair(using: &rng)
      let alpha = theta[3] + 2 * Double.pi * Double(k) / Double(blobs)
      let (c, s) = (Double.cos(alpha), Double.sin(alpha))
      let (u, v) = (theta[0] + theta[1] * z1, theta[2] * theta[1] * z2)
      out[i, 0] = S(c * u - s * v)
      out[i, 1] = S(s * u + c * v)
    }
    return out
  }

  /// log p(xᵢ | θᵢ) for each row, by log-sum-exp over the blobs.
  ///
  /// - Parameters:
  ///   - x: `n × 2` points.
  ///   - parameters: `n × 4` rows θ.
  /// - Returns: `n` log-densities.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>, parameters: Matrix<Double>) -> [S] {
    precondition(x.columns == 2, "BlobRingFamily needs 2 columns, got a \(x.shapeDescription) matrix")
    precondition(
      parameters.columns == 4 && parameters.rows == x.rows,
      "BlobRingFamily: parameters \(parameters.shapeDescription) for \(x.rows) points; need \(x.rows)×4")
    var terms = [Double](repeating: 0, count: blobs)
    return (0..<x.rows).map { i in
      let theta = parameters.row(i)
      check(theta, row: i)
      let (r, s, e, phi) = (theta[0], theta[1], theta[2], theta[3])
      let logNormalizer =
        -Double.log(Double(blobs)) - Double.log(2 * Double.pi) - 2 * Double.log(s) - Double.log(e)
      let (x1, x2) = (Double(x[i, 0]), Double(x[i, 1]))
      for k in 0..<blobs {
        let alpha = phi + 2 * Double.pi * Double(k) / Double(blobs)
        let (c, sn) = (Double.cos(alpha), Double.sin(alpha))
        // Radial and tangential coordinates of x − μₖ.
        let u = c * x1 + sn * x2 - r
        let v = -sn * x1 + c * x2
        terms[k] = logNormalizer - 0.5 * (u * u / (s * s) + v * v / (e * e * s * s))
      }
      return S(logSumExp(terms))
    }
  }

  /// The training distribution: θ uniform on the box of ``parameterRanges`` (or on a finite set
  /// of training parameters), then x ~ p(x | θ); rows `(x₁, x₂, r, s, e, φ)`.
  public var joint: BlobRingJoint { BlobRingJoint(family: self, trainingParameters: nil) }

  /// The training distribution with θ drawn uniformly from the rows of `trainingParameters`
  /// (`M × 4`): a model trained on it has seen only those M members of the family.
  public func joint(trainingParameters: Matrix<Double>) -> BlobRingJoint {
    BlobRingJoint(family: self, trainingParameters: trainingParameters)
  }
}

/// The joint distribution of `(x, θ)` for a ``BlobRingFamily``: θ uniform on the family's box of
/// ranges (or on a finite set of rows), then x ~ p(x | θ). Samples are rows `(x₁, x₂, r, s, e, φ)`
/// with four conditioning columns.
public struct BlobRingJoint: KnownDensity {
  /// The family.
  public let family: BlobRingFamily
  /// The finite set of training θ (`M × 4`), or `nil` for the box.
  public let trainingParameters: Matrix<Double>?

  /// The joint distribution of `family` with θ uniform on the box, or on the rows of
  /// `trainingParameters`.
  public init(family: BlobRingFamily, trainingParameters: Matrix<Double>?) {
    if let t = trainingParameters {
      precondition(
        t.columns == 4 && t.rows >= 1, "BlobRingJoint: training parameters \(t.shapeDescription); need M×4")
      for i in 0..<t.rows { family.check(t.row(i), row: i) }
    }
    self.family = family
    self.trainingParameters = trainingParameters
  }

  /// 6: two data columns and four parameters.
  public var dimension: Int { 6 }
  /// 4.
  public var conditioningColumns: Int { 4 }
  /// The family and how θ is drawn.
  public var description: String {
    trainingParameters.map { "\(family) at \($0.rows) training parameter rows" }
      ?? "\(family), θ uniform on the box"
  }

  /// `count` rows `(x, θ)`: the θs first (4 uniforms each, or one row index each), then the xs.
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    var thetas = Matrix<Double>(rows: count, columns: 4)
    for i in 0..<count {
      if let t = trainingParameters {
        let m = min(Int(Double(t.rows) * (1 - Double.randomOpenUnit(using: &rng))), t.rows - 1)
        for j in 0..<4 { thetas[i, j] = t[m, j] }
      } else {
        for j in 0..<4 {
          let range = family.parameterRanges[j]
          thetas[i, j] =
            range.lowerBound + (range.upperBound - range.lowerBound)
            * (1 - Double.randomOpenUnit(using: &rng))
        }
      }
    }
    let x: Matrix<S> = family.sample(parameters: thetas, using: &rng)
    var out = Matrix<S>(rows: count, columns: 6)
    for i in 0..<count {
      out[i, 0] = x[i, 0]
      out[i, 1] = x[i, 1]
      for j in 0..<4 { out[i, 2 + j] = S(thetas[i, j]) }
    }
    return out
  }

  /// log p(x, θ) = log p(x | θ) − Σⱼ log(widthⱼ) on the box (−∞ outside it), or
  /// log p(x | θ) − log M at one of the M training rows (a density in x, a probability in θ;
  /// −∞ elsewhere).
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(x.columns == 6, "\(self) needs 6 columns, got a \(x.shapeDescription) matrix")
    var data = Matrix<S>(rows: x.rows, columns: 2)
    var thetas = Matrix<Double>(rows: x.rows, columns: 4)
    var inside = [Bool](repeating: true, count: x.rows)
    for i in 0..<x.rows {
      data[i, 0] = x[i, 0]
      data[i, 1] = x[i, 1]
      for j in 0..<4 { thetas[i, j] = Double(x[i, 2 + j]) }
      let theta = thetas.row(i)
      if let t = trainingParameters {
        inside[i] = (0..<t.rows).contains { m in (0..<4).allSatisfy { S(t[m, $0]) == S(theta[$0]) } }
      } else {
        // Compared in S, so that a bound rounded to S (π/6 as a Float) stays inside.
        inside[i] = (0..<4).allSatisfy { j in
          let range = family.parameterRanges[j]
          return S(range.lowerBound) <= x[i, 2 + j] && x[i, 2 + j] <= S(range.upperBound)
        }
      }
      // Keep the family's checks from stopping on a row that is outside anyway.
      if !inside[i] { thetas.setRow(i, to: [1, 1, 1, 0]) }
    }
    let logVolume =
      trainingParameters.map { Double.log(Double($0.rows)) }
      ?? family.parameterRanges.reduce(0) { $0 + Double.log($1.upperBound - $1.lowerBound) }
    let conditional = family.logDensity(data, parameters: thetas)
    return (0..<x.rows).map { inside[$0] ? conditional[$0] - S(logVolume) : -S.infinity }
  }
}
