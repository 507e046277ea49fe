/// Why a ``GaussianScore`` or ``GaussianMixtureScore`` could not be built from its parameters.
///
/// Components are numbered from 0 (a ``GaussianScore`` is component 0).
public enum ScoreOracleError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A mean or covariance entry is NaN or infinite.
  case nonFinite(component: Int, parameter: String)
  /// The covariance differs from its transpose at `(row, column)` by more than rounding.
  case covarianceNotSymmetric(component: Int, row: Int, column: Int)
  /// The covariance is not positive definite (Cholesky failed at the leading minor of order
  /// `leadingMinor`, or an eigenvalue is not positive).
  case covarianceNotPositiveDefinite(component: Int, leadingMinor: Int)
  /// LAPACK could not factor the covariance (`reason` is its message).
  case factorizationFailed(component: Int, reason: String)
  /// A mixture weight is negative or not finite, or the weights sum to zero.
  case invalidWeights(reason: String)

  /// A sentence saying what was wrong and where.
  public var description: String {
    switch self {
    case .nonFinite(let k, let parameter):
      return "Component \(k): the \(parameter) contains NaN or infinite entries"
    case .covarianceNotSymmetric(let k, let i, let j):
      return "Component \(k): the covariance is not symmetric (entries (\(i), \(j)) and (\(j), \(i)) differ)"
    case .covarianceNotPositiveDefinite(let k, let minor):
      return
        "Component \(k): the covariance is not positive definite (leading minor \(minor) is not positive)"
    case .factorizationFailed(let k, let reason):
      return "Component \(k): the covariance could not be factored: \(reason)"
    case .invalidWeights(let reason):
      return "Invalid mixture weights: \(reason)"
    }
  }
}
