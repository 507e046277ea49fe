import LinearAlgebra

/// What the exact mixture oracles (``GaussianMixtureScore``, ``LinearGaussianMixtureScore``) hold:
/// the forward process and the data `Σₖ wₖ N(μₖ, Σₖ)`, validated and factored once.
@usableFromInline
struct MixtureOracleStorage<Forward: SDE>: Sendable {
  /// The forward process that noises the data.
  @usableFromInline let process: Forward
  /// The mixture weights `wₖ`, normalised to sum to 1.
  @usableFromInline let weights: [Forward.Scalar]
  /// The factored components `N(μₖ, Σₖ)`.
  @usableFromInline let components: [GaussianComponent<Forward.Scalar>]

  /// Validates and factors the mixture (see ``GaussianComponent/mixture(weights:means:covariances:of:)``);
  /// `oracle` names the oracle in the messages of the preconditions.
  init(
    weights: [Forward.Scalar], means: [[Forward.Scalar]], covariances: [Matrix<Forward.Scalar>],
    process: Forward, oracle: String
  ) throws(ScoreOracleError) {
    (self.weights, self.components) = try GaussianComponent.mixture(
      weights: weights, means: means, covariances: covariances, of: oracle)
    self.process = process
  }
}

/// An exact score oracle of Gaussian-mixture data under a forward process: its stored
/// ``MixtureOracleStorage`` gives the public face the mixture oracles share — the initialiser
/// from weights, means and covariances, the process, the weights, the dimension, the means and
/// the covariances — written once here.
@usableFromInline
protocol GaussianMixtureOracle: ScoreOracleShapes where Scalar == Forward.Scalar {
  /// The forward process's type.
  associatedtype Forward: SDE

  /// The process and the validated mixture.
  var storage: MixtureOracleStorage<Forward> { get }

  /// The oracle holding `storage`.
  init(storage: MixtureOracleStorage<Forward>)
}

extension GaussianMixtureOracle {
  /// The exact score of `Σₖ weights[k]·N(means[k], covariances[k])` under `process`.
  /// - Parameters:
  ///   - weights: non-negative, finite, with a positive sum; normalised to sum to 1.
  ///   - means: `K` means of `d` entries each.
  ///   - covariances: `K` symmetric positive-definite `d × d` matrices.
  ///   - process: the forward SDE.
  /// - Throws: ``ScoreOracleError`` naming the component with a bad mean or covariance, or
  ///   `.invalidWeights`.
  public init(
    weights: [Scalar], means: [[Scalar]], covariances: [Matrix<Scalar>], process: Forward
  ) throws(ScoreOracleError) {
    let oracle = String("\(Self.self)".prefix { $0 != "<" })
    self.init(
      storage: try MixtureOracleStorage(
        weights: weights, means: means, covariances: covariances, process: process, oracle: oracle))
  }

  /// The forward process that noises the data.
  @inlinable public var process: Forward { storage.process }
  /// The mixture weights `wₖ`, normalised to sum to 1.
  @inlinable public var weights: [Scalar] { storage.weights }
  /// The factored components.
  @inlinable var components: [GaussianComponent<Scalar>] { storage.components }
  /// The dimension `d`.
  @inlinable public var dimension: Int { components[0].dimension }
  /// The number of components `K`.
  @inlinable public var componentCount: Int { components.count }
  /// The component means `μₖ`.
  @inlinable public var means: [[Scalar]] { components.map(\.mean) }
  /// The component covariances `Σₖ` (symmetrised).
  @inlinable public var covariances: [Matrix<Scalar>] { components.map(\.covariance) }
}
