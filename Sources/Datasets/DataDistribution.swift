public import LinearAlgebra
import RealModule

/// A probability distribution on ℝᵈ that draws fresh samples from a seeded generator: the data
/// a score model learns from.
///
/// Conforming types store their parameters in `Double` and sample in any precision; rows are
/// samples and columns are dimensions.
///
/// ```swift
/// var rng = Xoshiro256(seed: 1)
/// let x: Matrix<Float> = Checkerboard().sample(count: 1024, using: &rng)   // 1024 × 2
/// let y = EightGaussians().sample(count: 10, as: Double.self, using: &rng)
/// ```
///
/// Distributions whose normalised log-density is known conform to ``KnownDensity`` as well.
public protocol DataDistribution: Sendable, CustomStringConvertible {
  /// The number of columns of a sample (conditioning columns included).
  var dimension: Int { get }

  /// The number of trailing columns of each sample that are conditioning parameters rather
  /// than data (0 for an unconditional distribution; see ``ParameterizedFamily``).
  var conditioningColumns: Int { get }

  /// `count` independent samples, one per row of a `count × dimension` matrix.
  ///
  /// - Parameters:
  ///   - count: the number of samples (rows), `≥ 0`.
  ///   - rng: the source of randomness; the same seed gives the same samples.
  /// - Returns: a `count × dimension` matrix.
  func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S>
}

extension DataDistribution {
  /// No conditioning columns.
  public var conditioningColumns: Int { 0 }

  /// `count` samples in precision `S`: ``sample(count:using:)`` with the type spelled out, for
  /// call sites without a type annotation (and for `any DataDistribution`).
  ///
  /// - Parameters:
  ///   - count: the number of samples (rows).
  ///   - type: the precision, `Float.self` or `Double.self`.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × dimension` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(
    count: Int, as type: S.Type, using rng: inout G
  ) -> Matrix<S> {
    sample(count: count, using: &rng)
  }
}

/// A ``DataDistribution`` whose normalised log-density log p(x) is known, in closed form or to
/// quadrature accuracy: the reference that learned likelihoods are compared against.
///
/// ```swift
/// let logp: [Double] = EightGaussians().logDensity(x)   // one value per row of x
/// let nll = meanNegativeLogLikelihood(logp)             // the entropy, estimated
/// ```
public protocol KnownDensity: DataDistribution {
  /// log p(xᵢ) for each row `xᵢ` of `x` (−∞ outside the support).
  ///
  /// - Parameter x: points, one per row; `x.columns == dimension`.
  /// - Returns: `x.rows` log-densities.
  func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S]
}

/// A family of distributions p(x | θ) indexed by a scalar physical parameter θ (a radius, a
/// temperature), for conditional score models that take θ as an input.
///
/// Each member can be sampled at any θ, including values never seen in training;
/// ``joint`` gives the training distribution, in which θ is uniform on ``parameterRange``
/// and every sample carries its θ as the last column.
///
/// ```swift
/// let family = RingFamily()
/// let atTwo: Matrix<Double> = family.sample(count: 100, parameter: 2.0, using: &rng)   // 100 × 2
/// let training: Matrix<Double> = family.joint.sample(count: 100, using: &rng)         // 100 × 3
/// ```
public protocol ParameterizedFamily: Sendable, CustomStringConvertible {
  /// The dimension of x (the parameter not included).
  var dimension: Int { get }
  /// The parameter's name, such as `"radius"` or `"temperature"`.
  var parameterName: String { get }
  /// The parameter values used for training (the joint distribution draws θ uniformly here).
  var parameterRange: ClosedRange<Double> { get }

  /// One sample per entry of `parameters`: row `i` is x ~ p(x | θ = parameters[i]), without a
  /// parameter column.
  ///
  /// - Parameters:
  ///   - parameters: θ for each row; any value where the family is defined, inside the training
  ///     range or not.
  ///   - rng: the source of randomness.
  /// - Returns: a `parameters.count × dimension` matrix.
  func sample<S: BLASScalar, G: RandomNumberGenerator>(parameters: [Double], using rng: inout G) -> Matrix<S>

  /// log p(xᵢ | θᵢ) for each row `xᵢ` of `x` (without a parameter column) and θᵢ = `parameters[i]`.
  ///
  /// - Parameters:
  ///   - x: points, one per row; `x.columns == dimension`.
  ///   - parameters: θ for each row; `parameters.count == x.rows`.
  /// - Returns: `x.rows` log-densities.
  func logDensity<S: BLASScalar>(_ x: Matrix<S>, parameters: [Double]) -> [S]
}

extension ParameterizedFamily {
  /// The training distribution: θ ~ Uniform(``parameterRange``), x ~ p(x | θ), returned as
  /// rows `(x, θ)` with one conditioning column.
  public var joint: JointFamilyDistribution<Self> { JointFamilyDistribution(family: self) }

  /// `count` samples of x ~ p(x | θ = parameter), without a parameter column.
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - parameter: θ, inside the training range or not.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × dimension` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(
    count: Int, parameter: Double, using rng: inout G
  ) -> Matrix<S> {
    sample(parameters: [Double](repeating: parameter, count: count), using: &rng)
  }

  /// log p(xᵢ | θ = parameter) for each row `xᵢ` of `x`.
  ///
  /// - Parameters:
  ///   - x: points, one per row; `x.columns == dimension`.
  ///   - parameter: θ.
  /// - Returns: `x.rows` log-densities.
  @inlinable
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>, parameter: Double) -> [S] {
    logDensity(x, parameters: [Double](repeating: parameter, count: x.rows))
  }
}

/// The joint distribution of (x, θ) for a ``ParameterizedFamily``: θ uniform on the family's
/// parameter range, then x ~ p(x | θ). Samples are rows `(x₁, …, x_d, θ)`.
///
/// ```swift
/// let training: Matrix<Float> = DoubleWellFamily().joint.sample(count: 4096, using: &rng)
/// ```
public struct JointFamilyDistribution<Family: ParameterizedFamily>: DataDistribution {
  /// The family sampled.
  public let family: Family

  /// The joint distribution of `family` over its parameter range.
  public init(family: Family) { self.family = family }

  /// `family.dimension + 1`: the data columns and the parameter column.
  public var dimension: Int { family.dimension + 1 }
  /// One: the last column is θ.
  public var conditioningColumns: Int { 1 }
  /// The family and the parameter range.
  public var description: String {
    "\(family) with \(family.parameterName) uniform on \(family.parameterRange)"
  }

  /// `count` rows `(x, θ)` with θ ~ Uniform(parameterRange), x ~ p(x | θ).
  ///
  /// The `count` parameters are drawn first, then the `x`s, so the result is a deterministic
  /// function of the seed.
  ///
  /// - Parameters:
  ///   - count: the number of samples.
  ///   - rng: the source of randomness.
  /// - Returns: a `count × (dimension + 1)` matrix.
  @inlinable
  public func sample<S: BLASScalar, G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Matrix<S> {
    let low = family.parameterRange.lowerBound
    let width = family.parameterRange.upperBound - low
    let thetas = (0..<count).map { _ in low + width * (1 - Double.randomOpenUnit(using: &rng)) }
    let x: Matrix<S> = family.sample(parameters: thetas, using: &rng)
    return x.appendingColumn(thetas.map { S($0) })
  }
}

extension JointFamilyDistribution: KnownDensity {
  /// The joint log-density log p(x, θ) = log p(x | θ) − log(θ_max − θ_min) for rows `(x, θ)`
  /// (−∞ when θ is outside the parameter range).
  ///
  /// - Parameter x: rows `(x₁, …, x_d, θ)`.
  /// - Returns: one log-density per row.
  public func logDensity<S: BLASScalar>(_ x: Matrix<S>) -> [S] {
    precondition(
      x.columns == dimension, "\(self) needs \(dimension) columns, got a \(x.shapeDescription) matrix")
    let d = family.dimension
    let thetas = x.column(d).map { Double($0) }
    var data = Matrix<S>(rows: x.rows, columns: d)
    for i in 0..<x.rows {
      for j in 0..<d { data[i, j] = x[i, j] }
    }
    let range = family.parameterRange
    let logWidth = S(Double.log(range.upperBound - range.lowerBound))
    let conditional = family.logDensity(data, parameters: thetas)
    return (0..<x.rows).map { i in
      range.contains(thetas[i]) ? conditional[i] - logWidth : -S.infinity
    }
  }
}

extension Matrix {
  /// This matrix with `values` appended as a new last column.
  @usableFromInline
  func appendingColumn(_ values: [Scalar]) -> Matrix {
    precondition(values.count == rows, "A column of \(values.count) values for a \(shapeDescription) matrix")
    var out = Matrix(rows: rows, columns: columns + 1)
    for i in 0..<rows {
      for j in 0..<columns { out[i, j] = self[i, j] }
      out[i, columns] = values[i]
    }
    return out
  }
}
