public import RealModule

/// A floating-point type that has BLAS and LAPACK kernels: `Float` (the `s` routines) and
/// `Double` (the `d` routines).
///
/// Everything in ScoreSDE is written once, generic over `BLASScalar`; each precision names its
/// cblas / LAPACKE routines once, in a table (``BLASRoutines``) in `Float+BLASScalar.swift` and
/// `Double+BLASScalar.swift`, and `BLASRoutines.swift` calls them. The underscored kernels are
/// the raw routines on row-major storage; call the `Matrix` API instead of them.
public protocol BLASScalar: BinaryFloatingPoint, Real, Sendable, Codable
where RawSignificand: FixedWidthInteger {
  /// A short name of the precision: `"float"` or `"double"`.
  static var precisionName: String { get }

  /// The precision's cblas and LAPACKE routines, the only thing a conformance maps; the
  /// underscored kernels below call them with ScoreSDE's conventions (row-major storage, the
  /// lower triangle), written once for both precisions.
  static var _routines: BLASRoutines<Self> { get }
}
