import Foundation
import LinearAlgebra
import Testing

/// The URL of a fixture file under Fixtures/.
func fixture(_ name: String) throws -> URL {
  let parts = name.split(separator: ".")
  return try #require(
    Bundle.module.url(
      forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Fixtures"),
    "missing fixture \(name)")
}

/// The 4 × 3 matrix a[i, j] = i + j/4 − 1.5 stored in the .npy fixtures.
func fixtureMatrix<S: BLASScalar>(_: S.Type) -> Matrix<S> {
  var m = Matrix<S>(rows: 4, columns: 3)
  for i in 0..<4 {
    for j in 0..<3 { m[i, j] = S(i) + S(j) / 4 - S(1.5) }
  }
  return m
}

/// The 5 × 1 column v[i] = 0.125 i − 1 stored in the 1-D .npy fixtures.
func fixtureColumn<S: BLASScalar>(_: S.Type) -> Matrix<S> {
  Matrix(rows: 5, columns: 1, elements: (0..<5).map { S(0.125) * S($0) - 1 })
}

/// ∫∫ f over the box [lo₁, hi₁] × [lo₂, hi₂] by the midpoint rule with step `h`, where `f`
/// takes a batch of points (rows) and returns one value per row.
func midpointIntegral2D(
  _ lo1: Double, _ hi1: Double, _ lo2: Double, _ hi2: Double, step h: Double,
  _ f: (Matrix<Double>) -> [Double]
) -> Double {
  let n1 = Int(((hi1 - lo1) / h).rounded())
  let n2 = Int(((hi2 - lo2) / h).rounded())
  var points = Matrix<Double>(rows: n1 * n2, columns: 2)
  for a in 0..<n1 {
    for b in 0..<n2 {
      points[a * n2 + b, 0] = lo1 + (Double(a) + 0.5) * h
      points[a * n2 + b, 1] = lo2 + (Double(b) + 0.5) * h
    }
  }
  return f(points).reduce(0, +) * h * h
}

/// Whether `python3 -c "import numpy"` succeeds on this machine.
let numpyIsAvailable: Bool = (try? runPython("import numpy")) != nil

/// Runs `python3 -c script args…`; returns its standard output, throws when it fails.
@discardableResult
func runPython(_ script: String, arguments: [String] = []) throws -> String {
  struct PythonFailed: Error, CustomStringConvertible {
    let description: String
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let out = output.fileHandleForReading.readDataToEndOfFile()
  let err = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw PythonFailed(description: "python3 failed: " + String(decoding: err, as: UTF8.self))
  }
  return String(decoding: out, as: UTF8.self)
}

/// The bit patterns of a matrix's entries, for bit-exact comparisons (NaN payloads included).
func bitPatterns<S: BLASScalar>(_ m: Matrix<S>) -> [UInt64] {
  m.elements.map { v in withUnsafeBytes(of: v) { raw in raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } }
}

/// A matrix of random values of every kind: normal, huge, tiny, subnormal, ±0, ±∞ and NaN.
func awkwardMatrix<S: BLASScalar>(_: S.Type, rows: Int, columns: Int, seed: UInt64) -> Matrix<S> {
  var rng = Xoshiro256(seed: seed)
  var m = Matrix<S>.randomNormal(rows: rows, columns: columns, using: &rng)
  let specials: [S] = [
    0, -0.0, S.infinity, -S.infinity, S.nan, S.leastNonzeroMagnitude, -S.leastNormalMagnitude,
    S.greatestFiniteMagnitude, S.ulpOfOne, 1 / 3, S(1e30) / 7, S(1e-30) / 7,
  ]
  m.withUnsafeMutableBufferPointer { e in
    for (k, v) in specials.enumerated() where k < e.count { e[k] = v }
    for k in specials.count..<e.count where k % 3 == 0 {
      e[k] *= S.pow(10, S(Int(rng.next() % 60) - 30))
    }
  }
  return m
}
