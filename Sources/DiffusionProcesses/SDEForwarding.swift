public import LinearAlgebra

/// A forward process chosen at run time among concrete ``SDE``s — ``StandardSDE`` (the
/// scalar-kernel processes), ``StandardLinearSDE`` (the matrix-kernel ones) — that forwards the
/// ``SDE`` requirements every such process shares (`T`, `f`, `g`, the prior and its density) to
/// the process it wraps, through its one `switch` (``withSDE(_:)``). Once inlined, each case calls
/// its process's specialised methods.
///
/// ```swift
/// let process = StandardSDE<Double>(.init(.ve(sigmaMin: 0.01, sigmaMax: 50)))
/// let g = process.diffusion(at: 0.5)   // VESDE's g(0.5), forwarded
/// ```
public protocol SDEForwarding: SDE {
  /// Calls `body` with the wrapped process.
  ///
  /// - Parameter body: what to do with the process.
  /// - Returns: `body`'s result.
  func withSDE<Result>(_ body: (any SDE<Scalar>) -> Result) -> Result
}

extension SDEForwarding {
  /// The wrapped process's `T`.
  @inlinable
  public var endTime: Scalar { withSDE { $0.endTime } }

  /// The wrapped process's drift `f(x, t)`.
  @inlinable
  public func drift(_ x: Matrix<Scalar>, at t: Scalar, into out: inout Matrix<Scalar>) {
    withSDE { $0.drift(x, at: t, into: &out) }
  }

  /// The wrapped process's `g(t)`.
  @inlinable
  public func diffusion(at t: Scalar) -> Scalar { withSDE { $0.diffusion(at: t) } }

  /// Draws from the wrapped process's prior.
  @inlinable
  public func samplePrior<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G)
    -> Matrix<Scalar>
  {
    withSDE { $0.samplePrior(count: count, dimension: dimension, using: &rng) }
  }

  /// The wrapped process's prior log-density of each row.
  @inlinable
  public func priorLogDensity(_ x: Matrix<Scalar>) -> [Scalar] { withSDE { $0.priorLogDensity(x) } }
}
