public import LinearAlgebra

/// One `d`-dimensional Brownian path per row, on a fixed interval `[lower, upper]`, that can be
/// queried on any time grid and always gives the same path: the increments over `[a, c]` equal
/// the sums over `[a, b]` and `[b, c]` exactly (up to rounding), so one path can be solved at
/// `h` and `h/2` (strong-order tests), and an adaptive solver that rejects a step and retries a
/// shorter one sees the Brownian bridge of the same path, not fresh noise (rejection sampling
/// with memory, Rackauckas & Nie 2017; torchsde's `BrownianTree`, Li et al. 2020, "Scalable
/// gradients for stochastic differential equations", §4 "virtual Brownian tree").
///
/// **What a path carries.** Stochastic Runge–Kutta methods for additive noise (Rößler 2010, SRA)
/// need, per step of length `h` from `s`, the pair
///
///     ΔW = W(s + h) − W(s),   ΔZ = I₍₁,₀₎ = ∫ₛ^{s+h} (W(u) − W(s)) du,
///
/// jointly Gaussian with `Var ΔW = h`, `Cov(ΔW, ΔZ) = h²/2`, `Var ΔZ = h³/3`. The tree carries
/// that joint law exactly: each node of the dyadic bisection of `[lower, upper]` holds its
/// increment `ΔW` and its space–time Lévy area `H = ΔZ/w − ΔW/2` (width `w`; `H ~ N(0, w/12)`,
/// independent of `ΔW`; Foster, Lyons & Oberhauser 2020, "An optimal polynomial approximation of
/// Brownian motion", SIAM J. Numer. Anal. 58(3)). A node is split at its midpoint by drawing its left half from the
/// exact conditional law given the parent (derived by Gaussian conditioning; the same formula as
/// torchsde's `BrownianInterval` with space–time Lévy area): with two standard normals `z₁, z₂`
/// and children of width `w' = w/2`,
///
///     D  = 3H + √(w'/2)·z₁,          S = 2H − D/2,          E = √(w'/6)·z₂,
///     ΔW_left = (ΔW + D)/2,   ΔW_right = (ΔW − D)/2,   H_left = (S + E)/2,   H_right = (S − E)/2,
///
/// which reassemble the parent exactly: `ΔW = ΔW_left + ΔW_right` and
/// `ΔZ = ΔZ_left + ΔZ_right + w'·ΔW_left` (the **composition rule**).
///
/// **Where the randomness comes from.** Row `i` has a 64-bit key (one draw from its own
/// ``RowStreams`` stream, or derived from the seed and its global index) and the normals of node
/// `n` (heap index: root 1, children `2n`, `2n + 1`) come from `Xoshiro256(seed: key, stream: n)`
/// (the root's own draw from stream 0): counter-based, so a node's values do not depend on the
/// order of the queries, on the batch, or on the thread.
///
/// **Queries.** ``values(at:)`` descends from the root to the node whose end point is `t`: exact
/// for the dyadic times `lower + k·(upper − lower)/2^L`, `L ≤ maximumDepth` (times within a
/// quarter of the finest spacing count as that node, so grids computed in `Float` hit their
/// nodes). Other times are read inside a leaf of width `(upper − lower)/2^maximumDepth` from the
/// conditional mean of the path given the leaf, `W(l + u) = W(l) + ρΔW + 6ρ(1 − ρ)H`, `ρ = u/w`
/// (the Gaussian conditional mean; Foster et al. 2020), an error of order `√(leaf width)` (≈ 10⁻³
/// of a unit interval at the default depth 20). The descent is cached: consecutive queries share their common ancestors,
/// so a sweep along a dyadic grid costs O(1) node splits per query, and the last two points
/// queried are remembered. All tree arithmetic is in `Double`, whatever the solver's precision.
///
/// ```swift
/// var noise = RowStreams(seed: 7, rows: 0..<n)
/// var paths = BrownianPaths(streams: &noise, dimension: d, over: 0...1)
/// var dW = Matrix<Double>(rows: n, columns: d), dZ = dW
/// paths.increments(from: 0.25, to: 0.5, brownian: &dW, timeIntegral: &dZ)   // refinable
/// ```
public struct BrownianPaths: Sendable {
  /// The interval the paths live on.
  public let lower: Double
  /// The end of the interval.
  public let upper: Double
  /// The dimension `d` of each path.
  public let dimension: Int
  /// Bisection levels below which times are interpolated (20 by default).
  public let maximumDepth: Int
  /// One key per row: the seed of that row's tree.
  public let keys: [UInt64]

  /// The cached descent: `node[k]` is the heap index of the level-`k` node on the path to the
  /// last point computed, and `start`, `startIntegral`, `increment`, `area` hold, for every row
  /// and column, `W(l)`, `Z(l) = ∫_lower^l W`, `ΔW` and `H` of that node (level `k` at offset
  /// `k·count·d`, row-major).
  @usableFromInline var node: [UInt64]
  @usableFromInline var depth: Int
  @usableFromInline var start: [Double]
  @usableFromInline var startIntegral: [Double]
  @usableFromInline var increment: [Double]
  @usableFromInline var area: [Double]
  /// The last two points computed: time, `W(t)`, `Z(t)` (least recent first).
  @usableFromInline var cache: [(time: Double, w: [Double], z: [Double])] = []

  /// Paths for the rows of `streams`, each keyed by one draw from its row's stream.
  ///
  /// - Parameters:
  ///   - streams: one stream per row; each advances by one draw.
  ///   - dimension: `d ≥ 1`.
  ///   - interval: `[lower, upper]`, `lower < upper`.
  ///   - maximumDepth: the deepest bisection level (1…60).
  public init(
    streams: inout RowStreams, dimension: Int, over interval: ClosedRange<Double>, maximumDepth: Int = 20
  ) {
    let keys = streams.generators.indices.map { streams.generators[$0].next() }
    self.init(keys: keys, dimension: dimension, over: interval, maximumDepth: maximumDepth)
  }

  /// Paths for the global rows `rows` of `seed`, independent of the batch the rows are in.
  public init(
    seed: UInt64, rows: Range<Int>, dimension: Int, over interval: ClosedRange<Double>,
    maximumDepth: Int = 20
  ) {
    var streams = RowStreams(seed: seed ^ 0xB5AD_4ECE_DA1C_E2A9, rows: rows)
    self.init(streams: &streams, dimension: dimension, over: interval, maximumDepth: maximumDepth)
  }

  /// Paths with the given per-row keys.
  public init(keys: [UInt64], dimension: Int, over interval: ClosedRange<Double>, maximumDepth: Int = 20) {
    precondition(dimension >= 1, "BrownianPaths needs a positive dimension, got \(dimension)")
    precondition(
      interval.lowerBound < interval.upperBound, "BrownianPaths needs an interval, got \(interval)")
    precondition((1...60).contains(maximumDepth), "BrownianPaths: maximumDepth \(maximumDepth) not in 1...60")
    self.lower = interval.lowerBound
    self.upper = interval.upperBound
    self.dimension = dimension
    self.maximumDepth = maximumDepth
    self.keys = keys
    let size = keys.count * dimension
    let levels = maximumDepth + 1
    node = [UInt64](repeating: 1, count: levels)
    depth = 0
    start = [Double](repeating: 0, count: size * levels)
    startIntegral = start
    increment = start
    area = start
    // The root: ΔW ~ N(0, w), H ~ N(0, w/12), from stream 0 of every row's key.
    let w = upper - lower
    for i in keys.indices {
      var g = Xoshiro256(seed: keys[i], stream: 0)
      for j in 0..<dimension {
        let (z1, z2) = Double.randomNormalPair(using: &g)
        increment[i * dimension + j] = w.squareRoot() * z1
        area[i * dimension + j] = (w / 12).squareRoot() * z2
      }
    }
  }

  /// The number of rows (paths).
  public var count: Int { keys.count }

  /// The width of the finest level, `(upper − lower)/2^maximumDepth`.
  public var resolution: Double { (upper - lower) / Double(UInt64(1) << UInt64(maximumDepth)) }

  /// `W(t) − W(lower)` and `Z(t) = ∫_lower^t (W(u) − W(lower)) du` for every row (`count × d`,
  /// row-major), exact at dyadic times (see the type's discussion).
  public mutating func values(at t: Double) -> (w: [Double], z: [Double]) {
    if let hit = cache.first(where: { $0.time == t }) { return (hit.w, hit.z) }
    let point = compute(at: t)
    if cache.count == 2 { cache.removeFirst() }
    cache.append((t, point.w, point.z))
    return point
  }

  /// The interval `[l, r]` of the level-`k` node with heap index `n`.
  @usableFromInline
  func bounds(level k: Int, node n: UInt64) -> (Double, Double) {
    let scale = Double(UInt64(1) << UInt64(k))
    let position = Double(n - (UInt64(1) << UInt64(k)))
    let span = upper - lower
    return (lower + span * (position / scale), lower + span * ((position + 1) / scale))
  }

  /// Walks up the cached descent to the deepest node containing `t`, down to the node that ends
  /// at `t` (or the leaf holding it), and reads the point.
  @usableFromInline
  mutating func compute(at t: Double) -> (w: [Double], z: [Double]) {
    let tolerance = resolution / 4
    precondition(
      t >= lower - tolerance && t <= upper + tolerance,
      "BrownianPaths on [\(lower), \(upper)] queried at \(t)")
    while depth > 0 {
      let (l, r) = bounds(level: depth, node: node[depth])
      if t >= l - tolerance && t <= r + tolerance { break }
      depth -= 1
    }
    while true {
      let (l, r) = bounds(level: depth, node: node[depth])
      if abs(t - l) <= tolerance { return read(fraction: 0) }
      if abs(t - r) <= tolerance { return read(fraction: 1) }
      if depth == maximumDepth { return read(fraction: (t - l) / (r - l)) }
      split(toRight: t >= (l + r) / 2)
    }
  }

  /// Bisects the current node and moves to its left or right half.
  @usableFromInline
  mutating func split(toRight: Bool) {
    let k = depth
    let parent = node[k]
    let (l, r) = bounds(level: k, node: parent)
    let half = (r - l) / 2
    let (noiseD, noiseE) = ((half / 2).squareRoot(), (half / 6).squareRoot())
    let d = dimension
    let size = keys.count * d
    let (here, below) = (k * size, (k + 1) * size)
    let keys = self.keys
    start.withUnsafeMutableBufferPointer { w in
      startIntegral.withUnsafeMutableBufferPointer { z in
        increment.withUnsafeMutableBufferPointer { dW in
          area.withUnsafeMutableBufferPointer { a in
            for i in keys.indices {
              var g = Xoshiro256(seed: keys[i], stream: parent)
              for j in 0..<d {
                let (z1, z2) = Double.randomNormalPair(using: &g)
                let (p, c) = (here + i * d + j, below + i * d + j)
                // D = 3H + √(w'/2)·z₁, S = 2H − D/2, E = √(w'/6)·z₂.
                let bigD = 3 * a[p] + noiseD * z1
                let s = 2 * a[p] - bigD / 2
                let bigE = noiseE * z2
                let left = (dW[p] + bigD) / 2
                let leftArea = (s + bigE) / 2
                if toRight {
                  w[c] = w[p] + left
                  z[c] = z[p] + half * w[p] + half * (left / 2 + leftArea)
                  dW[c] = (dW[p] - bigD) / 2
                  a[c] = (s - bigE) / 2
                } else {
                  (w[c], z[c], dW[c], a[c]) = (w[p], z[p], left, leftArea)
                }
              }
            }
          }
        }
      }
    }
    depth = k + 1
    node[depth] = 2 * parent + (toRight ? 1 : 0)
  }

  /// The point at `l + ρw` in the current node: exact at `ρ = 0, 1`, the conditional mean given
  /// the node's `(ΔW, H)` in between.
  @usableFromInline
  func read(fraction rho: Double) -> (w: [Double], z: [Double]) {
    let k = depth
    let (l, r) = bounds(level: k, node: node[k])
    let width = r - l
    let u = rho * width
    let size = keys.count * dimension
    let level = (k * size)..<((k + 1) * size)
    var w = Array(start[level])
    var z = Array(startIntegral[level])
    if rho == 0 { return (w, z) }
    for e in w.indices {
      let (dW, h) = (increment[level.lowerBound + e], area[level.lowerBound + e])
      z[e] += u * w[e] + dW * u * rho / 2 + 6 * h * (u * rho / 2 - u * rho * rho / 3)
      w[e] += rho * dW + 6 * rho * (1 - rho) * h
    }
    return (w, z)
  }

  /// The increments of every row's path from `s` to `t` (either direction), in the direction of
  /// integration: with `h = |t − s|` and `B(u) = W(s ± u) − W(s)` the path read from `s` towards
  /// `t`,
  ///
  ///     ΔB = W(t) − W(s),   I₍₁,₀₎ = ∫₀ʰ B(u) du = ±(Z(t) − Z(s)) − h·(W(s) − W(lower)).
  ///
  /// `B` is a Brownian motion in `u` either way (time reversal), so a reverse-time solver reads
  /// the same pair `(ΔW, I₍₁,₀₎/h)` a forward one does. Steps `[a, b]`, `[b, c]` compose:
  /// `ΔB_ac = ΔB_ab + ΔB_bc`, `I_ac = I_ab + I_bc + |c − b|·ΔB_ab`.
  ///
  /// - Parameters:
  ///   - s: the start of the step.
  ///   - t: its end.
  ///   - brownian: receives `ΔB`, `count × d`.
  ///   - timeIntegral: receives `I₍₁,₀₎`, `count × d`.
  public mutating func increments<Scalar: BLASScalar>(
    from s: Double, to t: Double, brownian: inout Matrix<Scalar>, timeIntegral: inout Matrix<Scalar>
  ) {
    brownian.ensureShape(rows: count, columns: dimension)
    timeIntegral.ensureShape(rows: count, columns: dimension)
    let a = values(at: s)
    let b = values(at: t)
    let h = abs(t - s)
    let sign: Double = t >= s ? 1 : -1
    brownian.withUnsafeMutableBufferPointer { dW in
      timeIntegral.withUnsafeMutableBufferPointer { dZ in
        for e in a.w.indices {
          dW[e] = Scalar(b.w[e] - a.w[e])
          dZ[e] = Scalar(sign * (b.z[e] - a.z[e]) - h * a.w[e])
        }
      }
    }
  }

  /// The Brownian increments `ΔB = W(t) − W(s)` of every row (no time integral).
  public mutating func increment<Scalar: BLASScalar>(
    from s: Double, to t: Double, into brownian: inout Matrix<Scalar>
  ) {
    brownian.ensureShape(rows: count, columns: dimension)
    let a = values(at: s)
    let b = values(at: t)
    brownian.withUnsafeMutableBufferPointer { dW in
      for e in a.w.indices { dW[e] = Scalar(b.w[e] - a.w[e]) }
    }
  }
}
