import LinearAlgebra
import Samplers
import TestSupport
import Testing

/// The increments of `paths` over `[s, t]` as arrays.
func brownianIncrements(_ paths: inout BrownianPaths, from s: Double, to t: Double) -> (
  w: [Double], z: [Double]
) {
  var dW = Matrix<Double>(rows: paths.count, columns: paths.dimension)
  var dZ = dW
  paths.increments(from: s, to: t, brownian: &dW, timeIntegral: &dZ)
  return (dW.elements, dZ.elements)
}

/// The joint law of a step's pair over 20 000 one-dimensional paths on `[0, 1]`, forwards and
/// backwards, on dyadic and off-grid (interpolated) steps of a tree queried once per interval:
/// `E ΔW = E ΔZ = 0`, `Var ΔW = h`, `Cov(ΔW, ΔZ) = h²/2`, `Var ΔZ = h³/3`, each within 4.5
/// standard errors of the sample statistic (computed from the Gaussian fourth moments:
/// `Var(s²) ≈ 2σ⁴/n`, `Var(s_xy) ≈ (σ_x²σ_y² + σ_xy²)/n`); and increments over disjoint steps are
/// uncorrelated.
@Test(arguments: [(0.25, 0.5), (0.5, 0.25), (0.125, 0.875), (0.3, 0.7), (0.9, 0.05)])
func brownianIncrementsHaveTheExactJointLaw(s: Double, t: Double) {
  let n = 20_000
  var paths = BrownianPaths(seed: 11, rows: 0..<n, dimension: 1, over: 0...1)
  let (w, z) = brownianIncrements(&paths, from: s, to: t)
  let h = abs(t - s)
  let (vw, vz, cwz) = (h, h * h * h / 3, h * h / 2)
  let mw = SampleMoments(w)
  let mz = SampleMoments(z)
  let covariance = zip(w, z).map { ($0 - mw.mean) * ($1 - mz.mean) }.reduce(0, +) / Double(n - 1)
  let count = Double(n)
  #expect(abs(mw.mean) < 4.5 * (vw / count).squareRoot(), "[\(s), \(t)]: E ΔW = \(mw.mean)")
  #expect(abs(mz.mean) < 4.5 * (vz / count).squareRoot(), "[\(s), \(t)]: E ΔZ = \(mz.mean)")
  #expect(
    abs(mw.variance - vw) < 4.5 * vw * (2 / count).squareRoot(),
    "[\(s), \(t)]: Var ΔW = \(mw.variance), h = \(h)")
  #expect(
    abs(mz.variance - vz) < 4.5 * vz * (2 / count).squareRoot(),
    "[\(s), \(t)]: Var ΔZ = \(mz.variance) vs \(vz)")
  #expect(
    abs(covariance - cwz) < 4.5 * ((vw * vz + cwz * cwz) / count).squareRoot(),
    "[\(s), \(t)]: Cov = \(covariance) vs \(cwz)")
  // The next step along, [t, t ± h/2], is independent of this one.
  let next = brownianIncrements(
    &paths, from: t, to: t + (t > s ? 1 : -1) * Swift.min(h / 2, t > s ? 1 - t : t))
  let mn = SampleMoments(next.w)
  let cross = zip(w, next.w).map { ($0 - mw.mean) * ($1 - mn.mean) }.reduce(0, +) / Double(n - 1)
  #expect(
    abs(cross) < 4.5 * (vw * mn.variance / count).squareRoot(),
    "[\(s), \(t)]: disjoint steps correlate: \(cross)")
}

/// Consistency under refinement: on the same paths (3-D, 40 rows), the increments over `[a, c]`
/// equal those over `[a, b]` and `[b, c]` composed, `ΔW_ac = ΔW_ab + ΔW_bc` and
/// `ΔZ_ac = ΔZ_ab + ΔZ_bc + |c − b|·ΔW_ab`, forwards and backwards, for dyadic and off-grid `b`;
/// and a dyadic grid of 64 steps sums to the grid of 8 steps on every coarse step. A second tree
/// with the same keys queried in another order gives the same numbers to rounding (the draws are
/// counter-based, not sequential; a point reached as the right end of one node or the left end of
/// the next sums the same terms in another order).
@Test func brownianIncrementsComposeUnderRefinement() {
  var paths = BrownianPaths(seed: 3, rows: 0..<40, dimension: 3, over: -1...2)
  for (a, b, c) in [(-1.0, 0.5, 2.0), (2.0, 0.3, -0.4), (0.125, 0.3125, 1.25), (1.9, 1.0, -0.999)] {
    let whole = brownianIncrements(&paths, from: a, to: c)
    let first = brownianIncrements(&paths, from: a, to: b)
    let second = brownianIncrements(&paths, from: b, to: c)
    for e in whole.w.indices {
      #expect(abs(whole.w[e] - (first.w[e] + second.w[e])) < 1e-12, "ΔW over [\(a), \(b), \(c)]")
      let composed = first.z[e] + second.z[e] + abs(c - b) * first.w[e]
      #expect(abs(whole.z[e] - composed) < 1e-12, "ΔZ over [\(a), \(b), \(c)]: \(whole.z[e]) vs \(composed)")
    }
  }
  // A grid of 2⁶ steps against one of 2³ steps on the same path, in reverse time.
  let span = 3.0
  var fine = BrownianPaths(keys: paths.keys, dimension: 3, over: -1...2)
  var coarse = BrownianPaths(keys: paths.keys, dimension: 3, over: -1...2)
  for k in 0..<8 {
    let (s, t) = (2 - span * Double(k) / 8, 2 - span * Double(k + 1) / 8)
    let target = brownianIncrements(&coarse, from: s, to: t)
    var (w, z) = ([Double](repeating: 0, count: 120), [Double](repeating: 0, count: 120))
    for m in 0..<8 {
      let (u, v) = (s - span * Double(m) / 64, s - span * Double(m + 1) / 64)
      let step = brownianIncrements(&fine, from: u, to: v)
      for e in w.indices {
        z[e] += step.z[e] + (span / 64) * w[e]
        w[e] += step.w[e]
      }
    }
    for e in w.indices {
      #expect(abs(w[e] - target.w[e]) < 1e-12 && abs(z[e] - target.z[e]) < 1e-12, "coarse step \(k)")
    }
  }
  var reordered = BrownianPaths(keys: paths.keys, dimension: 3, over: -1...2)
  let late = brownianIncrements(&reordered, from: 1.25, to: 0.125)
  let early = brownianIncrements(&paths, from: 1.25, to: 0.125)
  #expect(zip(late.w + late.z, early.w + early.z).allSatisfy { abs($0 - $1) < 1e-12 })
}

/// A row's path depends only on the seed and its global index: rows 5..<12 of a tree for rows
/// 0..<12 equal a tree for rows 5..<12 alone, and the stream-keyed paths of ``RowStreams`` (one
/// draw per row) agree across batch splits too; another seed gives another path.
@Test func brownianPathsDoNotDependOnTheBatch() {
  var whole = BrownianPaths(seed: 8, rows: 0..<12, dimension: 2, over: 0...1)
  var part = BrownianPaths(seed: 8, rows: 5..<12, dimension: 2, over: 0...1)
  let a = brownianIncrements(&whole, from: 0.7, to: 0.2)
  let b = brownianIncrements(&part, from: 0.7, to: 0.2)
  #expect(Array(a.w[10...]) == b.w && Array(a.z[10...]) == b.z)
  var streamsWhole = RowStreams(seed: 8, rows: 0..<12)
  var streamsPart = RowStreams(seed: 8, rows: 5..<12)
  var keyedWhole = BrownianPaths(streams: &streamsWhole, dimension: 2, over: 0...1)
  var keyedPart = BrownianPaths(streams: &streamsPart, dimension: 2, over: 0...1)
  #expect(
    Array(brownianIncrements(&keyedWhole, from: 1, to: 0.5).w[10...])
      == brownianIncrements(&keyedPart, from: 1, to: 0.5).w)
  var other = BrownianPaths(seed: 9, rows: 0..<12, dimension: 2, over: 0...1)
  #expect(brownianIncrements(&other, from: 0.7, to: 0.2).w != a.w)
}
