public import LinearAlgebra
import RealModule

/// The unbiased estimate of the squared maximum mean discrepancy with a Gaussian kernel
/// k(a, b) = exp(−‖a − b‖² / (2h²)) (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3):
///
///     MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ) / (n(n−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (m(m−1)) − 2 Σᵢⱼ k(xᵢ, yⱼ) / (nm)
///
/// Its expectation is the population MMD², which is 0 exactly when the distributions agree, so
/// the estimate scatters around 0 (and can be slightly negative) for equal distributions.
///
/// ```swift
/// let h = medianHeuristicBandwidth(x, y)
/// let mmd2 = squaredMaximumMeanDiscrepancy(x, y, bandwidth: h)
/// ```
///
/// - Parameters:
///   - x: `n × d` samples, n ≥ 2.
///   - y: `m × d` samples, m ≥ 2.
///   - bandwidth: the kernel width h > 0.
/// - Returns: MMD²ᵤ.
/// - Complexity: O((n + m)² d) in blocked BLAS `gemm`s and O((n + m)²) exponentials; memory
///   O((n + m) · 256).
@inlinable
public func squaredMaximumMeanDiscrepancy<S: BLASScalar>(_ x: Matrix<S>, _ y: Matrix<S>, bandwidth: Double)
  -> Double
{
  precondition(
    x.rows >= 2 && y.rows >= 2, "MMD needs at least 2 samples in each set, got \(x.rows) and \(y.rows)")
  precondition(bandwidth > 0, "MMD needs a positive bandwidth, got \(bandwidth)")
  let sums = PairwiseDistanceSums(x, y)
  let scale = S(-1 / (2 * bandwidth * bandwidth))
  let kernel: (S) -> Double = { d2 in Double(S.exp(scale * d2)) }
  let n = Double(x.rows)
  let m = Double(y.rows)
  let kxx = sums.withinSum(first: true, kernel) / (n * (n - 1))
  let kyy = sums.withinSum(first: false, kernel) / (m * (m - 1))
  let kxy = sums.crossSum(kernel) / (n * m)
  return kxx + kyy - 2 * kxy
}

/// The median heuristic for the Gaussian kernel's bandwidth: the median Euclidean distance
/// between distinct points of the pooled sample (Gretton et al. 2012).
///
/// At most `maxPoints` pooled points, evenly strided, are used, so the cost stays bounded.
///
/// - Parameters:
///   - x: `n × d` samples.
///   - y: `m × d` samples (may be empty).
///   - maxPoints: the largest number of pooled points used (≥ 2).
/// - Returns: the median pairwise distance.
/// - Complexity: O(k² log k) for k = min(n + m, maxPoints).
@inlinable
public func medianHeuristicBandwidth<S: BLASScalar>(
  _ x: Matrix<S>, _ y: Matrix<S>, maxPoints: Int = 1000
) -> Double {
  precondition(x.columns == y.columns, "Sample sets of \(x.shapeDescription) and \(y.shapeDescription)")
  precondition(maxPoints >= 2, "maxPoints must be at least 2")
  let total = x.rows + y.rows
  precondition(total >= 2, "The median heuristic needs at least 2 points")
  let k = Swift.min(total, maxPoints)
  var pooled = Matrix<S>(rows: k, columns: x.columns)
  for r in 0..<k {
    let i = r * total / k
    let row = i < x.rows ? x.row(i) : y.row(i - x.rows)
    pooled.setRow(r, to: row)
  }
  var distances = [Double]()
  distances.reserveCapacity(k * (k - 1) / 2)
  for i in 0..<k {
    for j in (i + 1)..<k {
      var s = 0.0
      for c in 0..<pooled.columns {
        let t = Double(pooled[i, c]) - Double(pooled[j, c])
        s += t * t
      }
      distances.append(s.squareRoot())
    }
  }
  distances.sort()
  let count = distances.count
  return count % 2 == 1 ? distances[count / 2] : (distances[count / 2 - 1] + distances[count / 2]) / 2
}

/// The energy distance (Székely & Rizzo 2013, "Energy statistics"), estimated without bias:
///
///     ℰ = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖
///
/// with the within-sample terms averaged over distinct pairs. ℰ ≥ 0 with equality exactly when
/// the distributions agree (√ℰ is a metric); for equal distributions the estimate scatters
/// around 0.
///
/// ```swift
/// let e = energyDistance(generated, reference)
/// ```
///
/// - Parameters:
///   - x: `n × d` samples, n ≥ 2.
///   - y: `m × d` samples, m ≥ 2.
/// - Returns: the estimate of ℰ.
/// - Complexity: O((n + m)² d) in blocked BLAS `gemm`s.
@inlinable
public func energyDistance<S: BLASScalar>(_ x: Matrix<S>, _ y: Matrix<S>) -> Double {
  precondition(
    x.rows >= 2 && y.rows >= 2,
    "The energy distance needs at least 2 samples in each set, got \(x.rows) and \(y.rows)")
  let sums = PairwiseDistanceSums(x, y)
  let distance: (S) -> Double = { d2 in Double(d2.squareRoot()) }
  let n = Double(x.rows)
  let m = Double(y.rows)
  let dxy = sums.crossSum(distance) / (n * m)
  let dxx = sums.withinSum(first: true, distance) / (n * (n - 1))
  let dyy = sums.withinSum(first: false, distance) / (m * (m - 1))
  return 2 * dxy - dxx - dyy
}
