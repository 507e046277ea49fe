/// The times at which a network is evaluated: one per row (training, where each sample has
/// its own diffusion time) or one for the whole batch (sampling, where all particles share the
/// solver's time). Neither copies: `.perRow` holds the caller's array.
///
/// ```swift
/// model.forward(x, times: .perRow(t), into: &out, workspace: &ws)     // training
/// model.forward(x, times: .shared(0.5), into: &out, workspace: &ws)   // sampling
/// ```
public enum Times<Scalar: Sendable>: Sendable {
  /// Every row at time `t`.
  case shared(Scalar)
  /// Row `i` at time `times[i]`; the array has one entry per row.
  case perRow([Scalar])
}

extension Times {
  /// Whether one time serves every row.
  @inlinable
  public var isShared: Bool {
    if case .shared = self { return true }
    return false
  }
}
