import LinearAlgebra
import TestSupport
import Testing

/// A random symmetric positive-definite matrix `B Bᵀ + n I`.
func randomSPD<S: BLASScalar>(_ n: Int, using rng: inout Xoshiro256) -> Matrix<S> {
  let b = Matrix<S>.randomNormal(rows: n, columns: n, using: &rng)
  return Matrix.product(b, b, transposingB: true) + Matrix.identity(n) * S(n)
}

func checkFactorizations<S: BLASScalar>(_: S.Type) throws {
  var rng = Xoshiro256(seed: 5)
  for n in [1, 2, 7, 30] {
    let a: Matrix<S> = randomSPD(n, using: &rng)
    let scale = a.frobeniusNorm()
    let tol = S(200) * S(n) * S.ulpOfOne

    // Cholesky: L Lᵀ = A, L lower triangular.
    let l = try a.cholesky()
    #expect(maxAbsDifference(Matrix.product(l, l, transposingB: true), a) <= tol * scale)
    for i in 0..<n { for j in (i + 1)..<n { #expect(l[i, j] == 0) } }

    // Eigen: V Λ Vᵀ = A, Vᵀ V = I, eigenvalues ascending.
    let (values, v) = try a.symmetricEigendecomposition()
    var vl = v
    vl.scaleColumns(by: values)
    #expect(maxAbsDifference(Matrix.product(vl, v, transposingB: true), a) <= tol * scale)
    #expect(maxAbsDifference(Matrix.product(v, v, transposingA: true), .identity(n)) <= tol)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })

    // Solve: A x = b, for a general (non-symmetric) A too.
    let g = a + Matrix<S>.randomNormal(rows: n, columns: n, using: &rng)
    let b = Matrix<S>.randomNormal(rows: n, columns: 3, using: &rng)
    let x = try g.solve(b)
    #expect(maxAbsDifference(g * x, b) <= S(50) * tol * g.frobeniusNorm() * x.frobeniusNorm())
    let chol = try Cholesky(a)
    #expect(maxAbsDifference(a * chol.solve(b), b) <= S(50) * tol * scale * chol.solve(b).frobeniusNorm())
    let y = chol.solveLower(b)
    #expect(maxAbsDifference(l * y, b) <= S(50) * tol * l.frobeniusNorm() * y.frobeniusNorm())
    let z = chol.solveLowerTransposed(b)
    #expect(maxAbsDifference(l.transposed() * z, b) <= S(50) * tol * l.frobeniusNorm() * z.frobeniusNorm())

    // Log-determinant: LU and Cholesky against the sum of log-eigenvalues.
    let logEigen = values.reduce(S(0)) { $0 + S.log($1) }
    let (logAbs, sign) = try a.logDeterminant()
    #expect(sign == 1)
    #expect(abs(logAbs - logEigen) <= tol * S(10) * max(1, abs(logEigen)))
    #expect(abs(chol.logDeterminant - logEigen) <= tol * S(10) * max(1, abs(logEigen)))

    // Inverse.
    let inv = try a.inverse()
    #expect(maxAbsDifference(a * inv, .identity(n)) <= S(50) * tol * scale * inv.frobeniusNorm())
  }
}

@Test func factorizationsReconstructFloat() throws { try checkFactorizations(Float.self) }
@Test func factorizationsReconstructDouble() throws { try checkFactorizations(Double.self) }

@Test func determinantSignAndValue() throws {
  let a = Matrix<Double>([[0, 2], [3, 0]])  // det = −6, needs a row swap
  let (logAbs, sign) = try a.logDeterminant()
  #expect(sign == -1)
  #expect(abs(logAbs - Double.log(6)) < 1e-14)
}

@Test func notPositiveDefiniteThrows() {
  let a = Matrix<Double>([[1, 2], [2, 1]])  // eigenvalues 3 and −1
  #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, leadingMinor: 2)) { try a.cholesky() }
  let f = Matrix<Float>([[-1, 0], [0, 1]])
  #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, leadingMinor: 1)) { try Cholesky(f) }
}

@Test func singularAndNonFiniteThrow() {
  let s = Matrix<Double>([[1, 2], [2, 4]])
  #expect(throws: LinearAlgebraError.singular(order: 2, pivot: 2)) { try s.solve(.identity(2)) }
  #expect(throws: LinearAlgebraError.self) { try s.inverse() }
  let n = Matrix<Double>([[1, .nan], [0, 1]])
  #expect(throws: LinearAlgebraError.nonFinite(operation: "Cholesky")) { try n.cholesky() }
  #expect(throws: LinearAlgebraError.self) { try n.symmetricEigendecomposition() }
  #expect(throws: LinearAlgebraError.self) { try n.solve(.identity(2)) }
}
