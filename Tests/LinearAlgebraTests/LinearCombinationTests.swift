import LinearAlgebra
import Synchronization
import Testing

@Suite struct LinearCombinationTests {
  func check<Scalar: BLASScalar>(_: Scalar.Type) {
    let x = Matrix<Scalar>([[1, 2], [3, 4]])
    let k = Matrix<Scalar>([[0.5, -1], [2, 0]])
    var out = Matrix<Scalar>(rows: 2, columns: 2)
    out.assign(x, adding: k, scaledBy: 2)
    #expect(out == Matrix([[2, 0], [7, 4]]))

    var y = x
    y.scale(by: 3, adding: k, scaledBy: 2)
    #expect(y == Matrix([[4, 4], [13, 12]]))

    var z = x
    z.scale(by: -1, adding: k, scaledBy: 2, x, scaledBy: 0.5)
    #expect(z == Matrix([[0.5, -3], [2.5, -2]]))
    // Entry i is a·zᵢ + b·yᵢ + c·wᵢ evaluated in that order.
    var w = Matrix<Scalar>([[0.1, 0.2]])
    let (a, b, c): (Scalar, Scalar, Scalar) = (0.3, 0.7, 1.1)
    let p = Matrix<Scalar>([[0.3, 0.5]])
    let q = Matrix<Scalar>([[0.9, 0.4]])
    let expected = (0..<2).map { j in a * w[0, j] + b * p[0, j] + c * q[0, j] }
    w.scale(by: a, adding: p, scaledBy: b, q, scaledBy: c)
    #expect(w.elements == expected)
  }

  @Test(arguments: [false, true])
  func combinationsInBothPrecisions(double: Bool) {
    if double { check(Double.self) } else { check(Float.self) }
  }

  @Test func ensureShapeKeepsAMatchingBufferAndResizesOtherwise() {
    var m = Matrix<Double>([[1, 2, 3]])
    m.ensureShape(rows: 1, columns: 3)
    #expect(m == Matrix([[1, 2, 3]]))
    m.ensureShape(of: Matrix<Double>(rows: 2, columns: 2))
    #expect(m.rows == 2 && m.columns == 2)
  }
}

@Suite struct ConcurrentRowBlockTests {
  @Test(arguments: [(0, 3), (1, 3), (10, 3), (10, 10), (10, 20), (7, 1)])
  func evenBlocksCoverTheRowsInOrder(rows: Int, count: Int) {
    let blocks = RowBlockPartition.blocks(rows: rows, count: count)
    #expect(blocks.count == min(rows, count))
    #expect(blocks.first?.lowerBound ?? 0 == 0)
    #expect(blocks.last?.upperBound ?? 0 == rows)
    for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
    let lengths = blocks.map(\.count)
    #expect((lengths.max() ?? 0) - (lengths.min() ?? 0) <= 1)
    #expect(lengths.allSatisfy { $0 >= 1 })
  }

  @Test func fixedSizeBlocks() {
    #expect(RowBlockPartition.blocks(rows: 10, size: 4) == [0..<4, 4..<8, 8..<10])
    #expect(RowBlockPartition.blocks(rows: 8, size: 4) == [0..<4, 4..<8])
    #expect(RowBlockPartition.blocks(rows: 0, size: 4).isEmpty)
    #expect(RowBlockPartition.blocks(rows: 10, count: 3) == [0..<3, 3..<6, 6..<10])
  }

  @Test(arguments: [1, 2, 3, 8])
  func everyBlockRunsOnceWhateverTheWorkers(workers: Int) {
    let blocks = RowBlockPartition.blocks(rows: 100, size: 7)
    let visits = Mutex([Int](repeating: 0, count: 100))
    forEachConcurrently(blocks, workers: workers) { _, rows in
      visits.withLock { v in for i in rows { v[i] += 1 } }
    }
    #expect(visits.withLock { $0 } == [Int](repeating: 1, count: 100))
    let sums = mapConcurrently(blocks, workers: workers) { b, rows in b * 1000 + rows.reduce(0, +) }
    #expect(sums == blocks.enumerated().map { b, rows in b * 1000 + rows.reduce(0, +) })
  }

  @Test func rowBlocksRunConcurrentlyAndCoverTheRows() {
    let seen = Mutex([Range<Int>?](repeating: nil, count: 4))
    forEachRowBlockConcurrently(rows: 10, blockCount: 4) { b, rows in seen.withLock { $0[b] = rows } }
    #expect(seen.withLock { $0 } == RowBlockPartition.blocks(rows: 10, count: 4))
  }
}
