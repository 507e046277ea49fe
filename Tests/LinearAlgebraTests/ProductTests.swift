import LinearAlgebra
import TestSupport
import Testing

/// Shapes `(m, k, n)` for op(A) m×k and op(B) k×n, odd sizes included.
let productShapes: [(Int, Int, Int)] = [
  (1, 1, 1), (7, 13, 5), (64, 3, 9), (3, 64, 2), (13, 1, 7), (1, 17, 1), (33, 31, 29), (0, 4, 3), (4, 0, 3),
]

func checkProducts<S: BLASScalar>(_: S.Type) {
  var rng = Xoshiro256(seed: 11)
  for (m, k, n) in productShapes {
    for ta in [false, true] {
      for tb in [false, true] {
        let a = Matrix<S>.randomNormal(rows: ta ? k : m, columns: ta ? m : k, using: &rng)
        let b = Matrix<S>.randomNormal(rows: tb ? n : k, columns: tb ? k : n, using: &rng)
        let expected = naiveProduct(a, b, transposingA: ta, transposingB: tb)
        let c = Matrix.product(a, b, transposingA: ta, transposingB: tb)
        #expect(c.rows == m && c.columns == n)
        let tolerance = roundingTolerance(S.self, terms: k, factor: 4) * S(max(1, k)).squareRoot()
        #expect(
          maxAbsDifference(c, expected) <= tolerance * S(max(k, 1)),
          "\(S.self) \(m)×\(k)×\(n) ta=\(ta) tb=\(tb)")
      }
    }
  }
}

@Test func productsMatchTripleLoopFloat() { checkProducts(Float.self) }
@Test func productsMatchTripleLoopDouble() { checkProducts(Double.self) }

func checkAccumulation<S: BLASScalar>(_: S.Type) {
  var rng = Xoshiro256(seed: 3)
  let a = Matrix<S>.randomNormal(rows: 7, columns: 13, using: &rng)
  let b = Matrix<S>.randomNormal(rows: 13, columns: 5, using: &rng)
  let c0 = Matrix<S>.randomNormal(rows: 7, columns: 5, using: &rng)
  var c = c0
  c.formProduct(a, b, alpha: 2, beta: -0.5)
  let expected = naiveProduct(a, b) * 2 + c0 * -0.5
  #expect(maxAbsDifference(c, expected) < 100 * S.ulpOfOne * 13)
  // β = 0 discards the old contents, NaN included.
  var d = Matrix<S>(rows: 7, columns: 5, repeating: .nan)
  d.formProduct(a, b)
  #expect(d.isFinite)
  #expect(maxAbsDifference(d, naiveProduct(a, b)) < 100 * S.ulpOfOne * 13)
}

@Test func productAccumulatesFloat() { checkAccumulation(Float.self) }
@Test func productAccumulatesDouble() { checkAccumulation(Double.self) }

@Test func matrixVectorProduct() {
  let a = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
  #expect(a.multiplied(by: [1, 0, -1]) == [-2, -2])
  #expect((a * a.transposed()) == Matrix([[14, 32], [32, 77]]))
}
