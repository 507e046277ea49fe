/// A failure of a matrix factorisation that depends on the data, not on the caller's code.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Cholesky failed: the leading minor of order `leadingMinor` of an `order × order` matrix
  /// is not positive, so the matrix is not symmetric positive definite.
  case notPositiveDefinite(order: Int, leadingMinor: Int)
  /// LU found an exactly zero pivot at (1-based) position `pivot`: the matrix is singular.
  case singular(order: Int, pivot: Int)
  /// The input contains NaN or infinity.
  case nonFinite(operation: String)
  /// LAPACK's iterative routine did not converge (`info` is LAPACK's code).
  case noConvergence(operation: String, info: Int)

  /// A sentence saying what failed, in which operation, with the sizes or LAPACK code involved.
  public var description: String {
    switch self {
    case .notPositiveDefinite(let n, let minor):
      return "The \(n)×\(n) matrix is not positive definite (leading minor \(minor) is not positive)"
    case .singular(let n, let pivot):
      return "The \(n)×\(n) matrix is singular (zero pivot at position \(pivot))"
    case .nonFinite(let operation):
      return "\(operation): the matrix contains NaN or infinite entries"
    case .noConvergence(let operation, let info):
      return "\(operation): LAPACK did not converge (info = \(info))"
    }
  }
}
