public import LinearAlgebra

/// Why a grid specification was refused: what was wrong and in which entry, in words a user can
/// act on (`"entry 2 ('4:-4:100'): the lower bound 4 is not below the upper bound -4"`).
public struct GridSpecificationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong.
  public enum Problem: Sendable, Equatable {
    /// The text is not `lo:hi:count` (or, where allowed, a single number).
    case malformed
    /// A bound or a fixed value is NaN or infinite.
    case nonFinite
    /// `lo ≥ hi`.
    case emptyRange
    /// The count is below 2 (an axis needs two nodes for a spacing) or above the limit.
    case count
    /// The grid has more points than the limit.
    case tooManyPoints
    /// The number of entries differs from the dimension, or no entry is an axis.
    case dimension
  }

  /// What is wrong.
  public let problem: Problem
  /// The sentence, naming the entry.
  public let description: String

  /// An error from its problem and its sentence.
  public init(_ problem: Problem, _ description: String) {
    self.problem = problem
    self.description = description
  }
}

/// One axis of a regular grid: `count ≥ 2` equally spaced nodes from `lowerBound` to `upperBound`,
/// both included,
///
///     xₖ = lo + k·(hi − lo)/(count − 1),   k = 0, …, count − 1,
///
/// as NumPy's `linspace(lo, hi, count)`. The text form is `lo:hi:count` (`-4:4:200`).
///
/// ```swift
/// let axis = try GridAxis<Double>(parsing: "-4:4:201")    // spacing 0.04
/// axis.value(at: 100)                                      // 0
/// ```
public struct GridAxis<Scalar: BLASScalar>: Sendable, Equatable {
  /// The first node.
  public let lowerBound: Scalar
  /// The last node.
  public let upperBound: Scalar
  /// The number of nodes.
  public let count: Int

  /// The most nodes one axis may have (the grid's total is limited separately).
  public static var maximumCount: Int { 100_000_000 }

  /// An axis from its bounds and node count.
  ///
  /// - Throws: ``GridSpecificationError`` when a bound is not finite, `lo ≥ hi`, or the count is
  ///   below 2 or above ``maximumCount``.
  public init(_ lowerBound: Scalar, _ upperBound: Scalar, count: Int) throws(GridSpecificationError) {
    guard lowerBound.isFinite && upperBound.isFinite else {
      throw GridSpecificationError(
        .nonFinite, "the bounds must be finite numbers, got \(lowerBound) and \(upperBound)")
    }
    guard lowerBound < upperBound else {
      throw GridSpecificationError(
        .emptyRange, "the lower bound \(lowerBound) is not below the upper bound \(upperBound)")
    }
    guard count >= 2 && count <= Self.maximumCount else {
      throw GridSpecificationError(
        .count,
        "the count \(count) is not between 2 and \(Self.maximumCount) (an axis needs two nodes; "
          + "fix a coordinate with a single number instead)")
    }
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    self.count = count
  }

  /// An axis from `lo:hi:count`.
  ///
  /// - Throws: ``GridSpecificationError`` saying what is wrong with `text`.
  public init(parsing text: some StringProtocol) throws(GridSpecificationError) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 3 else {
      throw GridSpecificationError(
        .malformed, "'\(text)' is not lo:hi:count (\(parts.count) part(s) separated by ':')")
    }
    guard let lo = parseScalar(parts[0]), let hi = parseScalar(parts[1]) else {
      throw GridSpecificationError(.malformed, "'\(text)': the bounds must be numbers")
    }
    guard let count = Int(parts[2].trimmed) else {
      throw GridSpecificationError(.malformed, "'\(text)': the count '\(parts[2])' is not a whole number")
    }
    try self.init(Scalar(lo), Scalar(hi), count: count)
  }

  /// The distance between neighbouring nodes, `(hi − lo)/(count − 1)`.
  @inlinable
  public var spacing: Scalar { (upperBound - lowerBound) / Scalar(count - 1) }

  /// Node `k`: `lo + k·(hi − lo)/(count − 1)`, exactly `hi` at the last node.
  @inlinable
  public func value(at k: Int) -> Scalar {
    precondition(k >= 0 && k < count, "GridAxis: node \(k) outside 0..<\(count)")
    if k == count - 1 { return upperBound }
    return lowerBound + Scalar(k) * (upperBound - lowerBound) / Scalar(count - 1)
  }

  /// Every node, in order.
  @inlinable
  public var values: [Scalar] { (0..<count).map(value(at:)) }

  /// The trapezoid-rule weight of node `k`: the spacing `h`, or `h/2` at the two ends, so that
  /// `Σₖ wₖ f(xₖ) ≈ ∫_lo^hi f(x) dx` with error `−(hi − lo)·h²/12·f″(ξ)`.
  @inlinable
  public func trapezoidWeight(at k: Int) -> Scalar {
    k == 0 || k == count - 1 ? spacing / 2 : spacing
  }
}

/// A regular grid over some coordinates of `ℝᵈ` with the others fixed: a 2-D grid of a 2-D
/// model, or a 2-D slice of a 3-D model at `z = 0.5`.
///
/// Each of the `d` coordinates is an axis (``GridAxis``) or a fixed value. The grid's points are
/// numbered with the **first axis fastest**: with axes `x` (nₓ nodes) and `y` (n_y nodes) point
/// `r = i_y·nₓ + iₓ` is `(x[iₓ], y[i_y])`, so values in point order, read as a C-order array of
/// ``shape`` `(n_y, nₓ)`, are `V[i_y, iₓ] = f(x[iₓ], y[i_y])`: the layout of NumPy's
/// `np.meshgrid(x, y)` (`indexing='xy'`).
///
/// ```swift
/// let grid = try DensityGrid<Double>(parsing: "-4:4:200,-4:4:200,0.5", dimension: 3)
/// grid.shape                                  // [200, 200]
/// let block = grid.points(0..<500)            // 500 × 3, z = 0.5 in every row
/// ```
public struct DensityGrid<Scalar: BLASScalar>: Sendable, Equatable {
  /// One coordinate of the grid's points.
  public enum Coordinate: Sendable, Equatable {
    /// The coordinate runs over the axis's nodes.
    case axis(GridAxis<Scalar>)
    /// The coordinate is this value at every point (a slice).
    case fixed(Scalar)
  }

  /// The `d` coordinates, in order.
  public let coordinates: [Coordinate]
  /// The coordinates that are axes (their indices in ``coordinates``), in order.
  public let axisDimensions: [Int]

  /// The default limit on the number of points: 4 000 000 (a 2000 × 2000 grid, 32 MB of values).
  public static var defaultMaximumPointCount: Int { 4_000_000 }

  /// A grid from its coordinates.
  ///
  /// - Parameters:
  ///   - coordinates: one entry per dimension; at least one must be an axis.
  ///   - maximumPointCount: the most points allowed.
  /// - Throws: ``GridSpecificationError`` when no coordinate is an axis, a fixed value is not
  ///   finite, or the grid has more than `maximumPointCount` points.
  public init(_ coordinates: [Coordinate], maximumPointCount: Int = defaultMaximumPointCount)
    throws(GridSpecificationError)
  {
    let axisDimensions = coordinates.indices.filter {
      if case .axis = coordinates[$0] { return true } else { return false }
    }
    guard !axisDimensions.isEmpty else {
      throw GridSpecificationError(.dimension, "no coordinate is an axis lo:hi:count")
    }
    var total = 1
    for (j, c) in coordinates.enumerated() {
      switch c {
      case .fixed(let v) where !v.isFinite:
        throw GridSpecificationError(.nonFinite, "coordinate \(j + 1): the fixed value \(v) is not finite")
      case .axis(let a):
        let (product, overflow) = total.multipliedReportingOverflow(by: a.count)
        total = overflow ? Int.max : product
      default: break
      }
    }
    guard total <= maximumPointCount else {
      let counts = axisDimensions.map { j -> String in
        if case .axis(let a) = coordinates[j] { return String(a.count) } else { return "" }
      }
      throw GridSpecificationError(
        .tooManyPoints,
        "the grid has \(counts.joined(separator: " × ")) = \(total == Int.max ? "too many" : String(total)) "
          + "points, more than the limit of \(maximumPointCount); use fewer nodes per axis")
    }
    self.coordinates = coordinates
    self.axisDimensions = axisDimensions
  }

  /// A grid from comma-separated entries, one per dimension: `lo:hi:count` for an axis or a
  /// single number for a fixed coordinate (`-4:4:200,-4:4:200,0.5`).
  ///
  /// - Parameters:
  ///   - text: the specification.
  ///   - dimension: `d`, the number of entries required.
  ///   - maximumPointCount: the most points allowed.
  /// - Throws: ``GridSpecificationError`` naming the entry that is wrong.
  public init(
    parsing text: some StringProtocol, dimension: Int, maximumPointCount: Int = defaultMaximumPointCount
  )
    throws(GridSpecificationError)
  {
    let entries = text.split(separator: ",", omittingEmptySubsequences: false)
    guard entries.count == dimension else {
      throw GridSpecificationError(
        .dimension,
        "'\(text)' has \(entries.count) entr\(entries.count == 1 ? "y" : "ies"), the model has \(dimension) "
          + "dimension(s): give one lo:hi:count (an axis) or one number (a fixed coordinate) per dimension")
    }
    var coordinates: [Coordinate] = []
    for (j, entry) in entries.enumerated() {
      if entry.contains(":") {
        do {
          coordinates.append(.axis(try GridAxis(parsing: entry)))
        } catch {
          throw GridSpecificationError(error.problem, "entry \(j + 1) ('\(entry)'): \(error.description)")
        }
      } else if let v = parseScalar(entry) {
        coordinates.append(.fixed(Scalar(v)))
      } else {
        throw GridSpecificationError(
          .malformed, "entry \(j + 1) ('\(entry)') is neither lo:hi:count nor a number")
      }
    }
    try self.init(coordinates, maximumPointCount: maximumPointCount)
  }

  /// `d`, the dimension of the points.
  @inlinable
  public var dimension: Int { coordinates.count }

  /// The axes, in order (the first varies fastest).
  public var axes: [GridAxis<Scalar>] {
    axisDimensions.map { j in
      guard case .axis(let a) = coordinates[j] else { preconditionFailure("not an axis") }
      return a
    }
  }

  /// The number of points, the product of the axes' counts.
  public var pointCount: Int { axes.reduce(1) { $0 * $1.count } }

  /// The array shape of values in point order: the axes' counts, **last axis first**
  /// (`[n_y, nₓ]` for two axes, as `np.meshgrid(x, y)`).
  public var shape: [Int] { axes.reversed().map(\.count) }

  /// The node index on each axis of point `r` (first axis fastest).
  public func nodeIndices(ofPoint r: Int) -> [Int] {
    precondition(r >= 0 && r < pointCount, "DensityGrid: point \(r) outside 0..<\(pointCount)")
    var rest = r
    return axes.map { a in
      defer { rest /= a.count }
      return rest % a.count
    }
  }

  /// Points `range` of the grid as the rows of a `range.count × d` matrix.
  public func points(_ range: Range<Int>) -> Matrix<Scalar> {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= pointCount,
      "DensityGrid: points \(range) outside 0..<\(pointCount)")
    let axes = self.axes
    let nodes = axes.map(\.values)
    var out = Matrix<Scalar>(rows: range.count, columns: dimension)
    for (i, r) in range.enumerated() {
      var rest = r
      var a = 0
      for (j, c) in coordinates.enumerated() {
        switch c {
        case .fixed(let v): out[i, j] = v
        case .axis(let axis):
          out[i, j] = nodes[a][rest % axis.count]
          rest /= axis.count
          a += 1
        }
      }
    }
    return out
  }

  /// Stops `values` that are not one per point of the grid, naming `caller` in the message.
  func requireOneValuePerPoint(_ values: [Scalar], in caller: String) {
    precondition(
      values.count == pointCount, "\(caller): \(values.count) values for a grid of \(pointCount) points")
  }

  /// The trapezoid rule over the axes, `Σ_r w_r f_r ≈ ∫ f` with `w_r` the product of the axes'
  /// ``GridAxis/trapezoidWeight(at:)`` (the fixed coordinates are not integrated over).
  ///
  /// - Parameter values: `f` at every point, in point order.
  /// - Returns: the integral over the box spanned by the axes.
  public func trapezoidIntegral(of values: [Scalar]) -> Scalar {
    requireOneValuePerPoint(values, in: "DensityGrid")
    let axes = self.axes
    var total: Scalar = 0
    for (r, v) in values.enumerated() {
      var rest = r
      var w: Scalar = 1
      for a in axes {
        w *= a.trapezoidWeight(at: rest % a.count)
        rest /= a.count
      }
      total += w * v
    }
    return total
  }
}

/// A number from text (surrounding spaces allowed; `nan` and `inf` parse, for the caller to
/// refuse with a precise message), or `nil`.
func parseScalar(_ text: some StringProtocol) -> Double? {
  Double(text.trimmed)
}

extension StringProtocol {
  /// The text without leading and trailing spaces.
  var trimmed: String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
