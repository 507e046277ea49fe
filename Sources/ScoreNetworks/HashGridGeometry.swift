import Foundation

/// The grids of a multiresolution hash encoding (Müller, Evans, Schied & Keller 2022, "Instant
/// Neural Graphics Primitives with a Multiresolution Hash Encoding", §3): for each level `l`, its
/// resolution `N_l`, its table size `T_l` and whether it is indexed densely or by hashing.
///
/// A point `z ∈ [0, 1]ᵏ` lies at level `l` in the grid cell whose lower corner is
/// `c = ⌊z·N_l⌋` (kept ≤ `N_l − 1`, so that `z = 1` falls in the last cell) with local
/// coordinates `t = z·N_l − c ∈ [0, 1]ᵏ`. The `2ᵏ` corners `v = c + s`, `s ∈ {0, 1}ᵏ`, carry the
/// d-linear interpolation weights `w_s = Πⱼ (sⱼ ? tⱼ : 1 − tⱼ)` and the table rows
///
///     dense  ((N_l + 1)ᵏ ≤ T):  index(v) = Σⱼ vⱼ (N_l + 1)ʲ          (T_l = (N_l + 1)ᵏ)
///     hashed (otherwise):       index(v) = (⊕ⱼ vⱼ πⱼ) mod T           (T_l = T)
///
/// with the paper's primes `π = (1, 2654435761, 805459861, …)` and ⊕ the bitwise XOR, computed in
/// 32-bit unsigned arithmetic as tiny-cuda-nn does. Resolutions grow geometrically:
/// `N_l = ⌊N_min · bˡ⌋` with `b = exp((ln N_max − ln N_min)/(L − 1))` (`b = 1` when `L = 1`).
public struct HashGridGeometry: Sendable, Equatable {
  /// The primes of the spatial hash, one per dimension (tiny-cuda-nn's list; the first is 1 for
  /// cache coherence, as in the paper).
  public static let primes: [UInt32] = [
    1, 2_654_435_761, 805_459_861, 3_674_653_429, 2_097_192_037, 1_434_869_437, 2_165_219_737,
  ]

  /// `k`, the dimension of the grid.
  public let dimension: Int
  /// `F`, the features per table entry.
  public let featuresPerLevel: Int
  /// `N_l`, the resolution of each level.
  public let resolutions: [Int]
  /// `T_l`, the rows of each level's table.
  public let tableSizes: [Int]
  /// Whether each level is indexed densely (its whole grid fits in `T`).
  public let isDense: [Bool]

  /// The grids of a `.hashGrid` encoding of `dimension` parameters.
  ///
  /// - Parameters:
  ///   - dimension: `k` (1 … 7).
  ///   - levels: `L`.
  ///   - tableSize: `T`.
  ///   - featuresPerLevel: `F`.
  ///   - coarsestResolution: `N_min`.
  ///   - finestResolution: `N_max`.
  public init(
    dimension: Int, levels: Int, tableSize: Int, featuresPerLevel: Int, coarsestResolution: Int,
    finestResolution: Int
  ) {
    precondition(
      ParameterEncoding.hashGrid(
        levels: levels, tableSize: tableSize, featuresPerLevel: featuresPerLevel,
        coarsestResolution: coarsestResolution, finestResolution: finestResolution
      ).validationFailure(parameters: dimension) == nil, "HashGridGeometry: invalid settings")
    self.dimension = dimension
    self.featuresPerLevel = featuresPerLevel
    let growth =
      levels > 1
      ? Foundation.exp(
        (Foundation.log(Double(finestResolution)) - Foundation.log(Double(coarsestResolution)))
          / Double(levels - 1))
      : 1
    var resolutions: [Int] = []
    var sizes: [Int] = []
    var dense: [Bool] = []
    for l in 0..<levels {
      // The product can round just below an integer (2·√2² = 3.9999…); a relative nudge keeps
      // exact powers exact.
      let n = max(
        1, Int((Double(coarsestResolution) * Foundation.pow(growth, Double(l)) * (1 + 1e-12)).rounded(.down)))
      resolutions.append(n)
      var vertices = 1
      var fits = true
      for _ in 0..<dimension {
        let (product, overflow) = vertices.multipliedReportingOverflow(by: n + 1)
        if overflow || product > tableSize {
          fits = false
          break
        }
        vertices = product
      }
      dense.append(fits)
      sizes.append(fits ? vertices : tableSize)
    }
    self.resolutions = resolutions
    self.tableSizes = sizes
    self.isDense = dense
  }

  /// The geometry of `encoding` for `dimension` parameters, or `nil` when it is not a hash grid.
  public init?(_ encoding: ParameterEncoding, dimension: Int) {
    guard case .hashGrid(let levels, let t, let f, let coarse, let fine) = encoding else { return nil }
    self.init(
      dimension: dimension, levels: levels, tableSize: t, featuresPerLevel: f, coarsestResolution: coarse,
      finestResolution: fine)
  }

  /// `L`.
  public var levels: Int { resolutions.count }

  /// The table row of grid vertex `vertex` (integer coordinates in `0 … N_l`) at `level`.
  ///
  /// - Parameters:
  ///   - vertex: `k` coordinates.
  ///   - level: `l`.
  /// - Returns: a row in `0 ..< T_l`.
  public func index(of vertex: [Int], level: Int) -> Int {
    precondition(
      vertex.count == dimension, "HashGridGeometry.index: \(vertex.count) coordinates for \(dimension)")
    return vertex.withUnsafeBufferPointer { index(of: $0.baseAddress!, offset: nil, level: level) }
  }

  /// The table row of the vertex `base + offset` (offset bits: bit j adds 1 to coordinate j), or
  /// of `base` when `offset` is `nil`.
  @inlinable
  func index(of base: UnsafePointer<Int>, offset: Int?, level: Int) -> Int {
    let s = offset ?? 0
    if isDense[level] {
      let stride = resolutions[level] + 1
      var index = 0
      var scale = 1
      for j in 0..<dimension {
        index += (base[j] + ((s >> j) & 1)) * scale
        scale *= stride
      }
      return index
    }
    var hash: UInt32 = 0
    for j in 0..<dimension {
      hash ^= UInt32(truncatingIfNeeded: base[j] + ((s >> j) & 1)) &* Self.primes[j]
    }
    return Int(hash % UInt32(tableSizes[level]))
  }
}
