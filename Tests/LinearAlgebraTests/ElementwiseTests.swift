import LinearAlgebra
import TestSupport
import Testing

@Test func elementwiseArithmetic() {
  let a = Matrix<Float>([[1, 2, 3], [4, 5, 6]])
  let b = Matrix<Float>([[6, 5, 4], [3, 2, 1]])
  #expect(a + b == Matrix(rows: 2, columns: 3, repeating: 7))
  #expect(a - b == Matrix([[-5, -3, -1], [1, 3, 5]]))
  #expect(a * 2 == Matrix([[2, 4, 6], [8, 10, 12]]))
  #expect(-a == a * -1)
  #expect(a.multipliedElementwise(by: b) == Matrix([[6, 10, 12], [12, 10, 6]]))
  var c = a
  c.add(b, scaledBy: 0.5)
  #expect(c == Matrix([[4, 4.5, 5], [5.5, 6, 6.5]]))
  c.addToEachRow([1, 0, -1])
  #expect(c == Matrix([[5, 4.5, 4], [6.5, 6, 5.5]]))
  c.scaleRows(by: [2, 0])
  #expect(c == Matrix([[10, 9, 8], [0, 0, 0]]))
  c.scaleColumns(by: [1, 0, 0.5])
  #expect(c == Matrix([[10, 0, 4], [0, 0, 0]]))
  c.assign(a)
  #expect(c == a)
  c.apply { $0 * $0 }
  #expect(c == Matrix([[1, 4, 9], [16, 25, 36]]))
  #expect(a.transposed() == Matrix([[1, 4], [2, 5], [3, 6]]))
  #expect(a.transposed().transposed() == a)
}

@Test func reductions() {
  let a = Matrix<Double>([[3, 4], [1, -2], [0, 0]])
  #expect(a.sum() == 6)
  #expect(a.columnSums() == [4, 2])
  #expect(a.rowSums() == [7, -1, 0])
  #expect(a.squaredRowNorms() == [25, 5, 0])
  #expect(a.rowNorms()[0] == 5)
  #expect(a.maxAbs() == 4)
  #expect(abs(a.frobeniusNorm() - 30.0.squareRoot()) < 1e-15)
  #expect(a.columnMeans() == [4.0 / 3, 2.0 / 3])
  #expect(!Matrix<Double>([[1, .nan]]).isFinite)
  #expect(!Matrix<Double>([[1, .infinity]]).isFinite)
  #expect(a.isFinite)
}

@Test func covarianceOfKnownSample() {
  let x = Matrix<Double>([[1, 2], [3, 6], [5, 10]])
  // Columns (1,3,5) and (2,6,10): variances 4 and 16, covariance 8.
  #expect(maxAbsDifference(x.covariance(), Matrix([[4, 8], [8, 16]])) < 1e-12)
}

@Test func copyOnWrite() {
  let a = Matrix<Double>([[1, 2], [3, 4]])
  var b = a
  b[0, 0] = 9
  #expect(a[0, 0] == 1)
  #expect(b[0, 0] == 9)
  var c = a
  c.resize(rows: 4, columns: 1)
  #expect(c.elements == a.elements && c.rows == 4)
  #expect(a.rows(1..<2) == Matrix([[3, 4]]))
  #expect(a.row(1) == [3, 4] && a.column(1) == [2, 4])
}

@Test func shapeMismatchIsAPreconditionNamingBothShapes() async {
  await #expect(processExitsWith: .failure) {
    var c = Matrix<Double>(rows: 2, columns: 2)
    c.formProduct(Matrix(rows: 2, columns: 3), Matrix(rows: 4, columns: 2))
  }
  await #expect(processExitsWith: .failure) {
    _ = Matrix<Float>(rows: 2, columns: 3) + Matrix<Float>(rows: 3, columns: 2)
  }
}

/// `copyRows` moves a block of rows to any row of another matrix and leaves every other entry
/// alone: gathering, scattering, and a block that ends at the last row; a block that does not
/// fit stops the program.
@Test func copyRowsMovesABlockAndNothingElse() async {
  let source = Matrix<Double>([[1, 2], [3, 4], [5, 6], [7, 8]])
  var target = Matrix<Double>(rows: 5, columns: 2, repeating: -1)
  target.copyRows(1..<3, of: source, to: 3)
  #expect(target == Matrix([[-1, -1], [-1, -1], [-1, -1], [3, 4], [5, 6]]))
  var gathered = Matrix<Double>(rows: 2, columns: 2)
  gathered.copyRows(2..<4, of: source, to: 0)
  #expect(gathered == source.rows(2..<4))
  target.copyRows(0..<0, of: source, to: 5)
  #expect(target.rows(3..<5) == source.rows(1..<3))
  await #expect(processExitsWith: .failure) {
    var small = Matrix<Double>(rows: 2, columns: 2)
    small.copyRows(0..<2, of: Matrix<Double>(rows: 3, columns: 2), to: 1)
  }
}
