public import LinearAlgebra

/// A data set split into disjoint training and test rows.
public struct DataSplit<S: BLASScalar>: Sendable {
  /// The training rows, in their original order.
  public let train: Matrix<S>
  /// The test rows, in their original order.
  public let test: Matrix<S>
  /// The indices (into the original data, ascending) of the training rows.
  public let trainIndices: [Int]
  /// The indices (into the original data, ascending) of the test rows.
  public let testIndices: [Int]
}

/// Splits the rows of `data` at random into a training and a test set.
///
/// The rows are shuffled by a Fisher–Yates shuffle driven by `rng` (each swap index is
/// `⌊k · next() / 2⁶⁴⌋`, so the split depends only on the seed, not on the Swift standard
/// library's shuffling algorithm); the first `round(testFraction · n)` shuffled rows form the
/// test set. Both parts keep the original row order.
///
/// ```swift
/// var rng = Xoshiro256(seed: 3)
/// let split = trainTestSplit(x, testFraction: 0.2, using: &rng)
/// ```
///
/// - Parameters:
///   - data: the samples, one per row.
///   - testFraction: the fraction of rows in the test set, in [0, 1].
///   - rng: the source of randomness.
/// - Returns: the two parts and their row indices.
/// - Complexity: O(n · d).
public func trainTestSplit<S: BLASScalar, G: RandomNumberGenerator>(
  _ data: Matrix<S>, testFraction: Double, using rng: inout G
) -> DataSplit<S> {
  precondition(
    testFraction >= 0 && testFraction <= 1,
    "trainTestSplit: testFraction must be in [0, 1], got \(testFraction)")
  let n = data.rows
  var order = Array(0..<n)
  var k = n
  while k > 1 {
    let j = Int(rng.next().multipliedFullWidth(by: UInt64(k)).high)
    k -= 1
    order.swapAt(k, j)
  }
  let testCount = Int((testFraction * Double(n)).rounded())
  let testIndices = order[0..<testCount].sorted()
  let trainIndices = order[testCount...].sorted()
  return DataSplit(
    train: data.gatheringRows(trainIndices), test: data.gatheringRows(testIndices),
    trainIndices: trainIndices, testIndices: testIndices)
}

extension Matrix {
  /// The rows at `indices`, in that order, as a new matrix.
  @usableFromInline
  func gatheringRows(_ indices: [Int]) -> Matrix {
    var out = Matrix(rows: indices.count, columns: columns)
    let c = columns
    withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for (r, i) in indices.enumerated() {
          precondition(i >= 0 && i < rows, "Row \(i) out of range for a \(shapeDescription) matrix")
          for j in 0..<c { dst[r * c + j] = src[i * c + j] }
        }
      }
    }
    return out
  }
}
