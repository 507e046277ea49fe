public import LinearAlgebra

/// A score model conditioned on side information `c` (a class, a physical parameter):
/// `s(x, t, c) ≈ ∇ₓ log p_t(x | c)`, and with the null condition `∅` the unconditional score
/// `∇ₓ log p_t(x)` — the two heads of a network trained with condition dropout (Ho & Salimans
/// 2021, "Classifier-Free Diffusion Guidance").
///
/// Samplers see it through `ConditionedScore` (a fixed condition) or `ClassifierFreeGuidance`,
/// both ordinary ``ScoreModel``s; ScoreMatching's `NetworkScoreModel` conforms.
///
/// ```swift
/// struct MyConditional: ConditionalScoreModel {
///   var conditionDimension: Int { 1 }
///   func score(_ x: Matrix<Double>, at t: Double, condition: Matrix<Double>?,
///              into out: inout Matrix<Double>, workspace: inout Void) { … }
/// }
/// ```
public protocol ConditionalScoreModel<Scalar>: Sendable {
  /// The floating-point precision.
  associatedtype Scalar: BLASScalar
  /// Scratch memory reused across calls; `Void` for closed forms.
  associatedtype Workspace = Void

  /// The number of condition columns `c`.
  var conditionDimension: Int { get }

  /// Scratch memory for batches of up to `rows` points.
  func makeWorkspace(rows: Int) -> Workspace

  /// Writes `s(xᵢ, t, cᵢ)` into row `i` of `out`, with `cᵢ` row `i` of `condition`
  /// (`x.rows × conditionDimension`), or the unconditional score when `condition` is `nil` (∅).
  func score(
    _ x: Matrix<Scalar>, at t: Scalar, condition: Matrix<Scalar>?, into out: inout Matrix<Scalar>,
    workspace: inout Workspace)
}

extension ConditionalScoreModel where Workspace == Void {
  /// No scratch memory.
  @inlinable
  public func makeWorkspace(rows: Int) {}
}
