internal import CLinearAlgebra
import LinearAlgebra

/// The machine's own `sgemm`/`dgemm` rate (raw cblas calls) beside the same products through
/// `Matrix.formProduct`, so that the wrapper's cost and the BLAS peak are both visible.
struct GemmBenchmark {
  let seconds: Double

  /// GFLOP/s of `C = A·B` for `n × n` matrices, through `Matrix` and through raw cblas.
  func run<S: BLASScalar>(_: S.Type, m: Int, n: Int, k: Int) -> (wrapper: Double, raw: Double) {
    var rng = Xoshiro256(seed: 1)
    let a = Matrix<S>.randomNormal(rows: m, columns: k, using: &rng)
    let b = Matrix<S>.randomNormal(rows: k, columns: n, using: &rng)
    var c = Matrix<S>(rows: m, columns: n)
    let flops = 2 * Double(m) * Double(n) * Double(k)
    let wrapped = measure(seconds: seconds) { c.formProduct(a, b) }
    var ae = a.elements
    var be = b.elements
    var ce = c.elements
    let raw = measure(seconds: seconds) {
      ae.withUnsafeMutableBufferPointer { pa in
        be.withUnsafeMutableBufferPointer { pb in
          ce.withUnsafeMutableBufferPointer { pc in
            rawGemm(S.self, m, n, k, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
          }
        }
      }
    }
    return (flops / wrapped.median / 1e9, flops / raw.median / 1e9)
  }

  private func rawGemm<S: BLASScalar>(
    _: S.Type, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>,
    _ c: UnsafeMutablePointer<S>
  ) {
    if S.self == Float.self {
      a.withMemoryRebound(to: Float.self, capacity: m * k) { a in
        b.withMemoryRebound(to: Float.self, capacity: k * n) { b in
          c.withMemoryRebound(to: Float.self, capacity: m * n) { c in
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b,
              Int32(n), 0, c, Int32(n))
          }
        }
      }
    } else {
      a.withMemoryRebound(to: Double.self, capacity: m * k) { a in
        b.withMemoryRebound(to: Double.self, capacity: k * n) { b in
          c.withMemoryRebound(to: Double.self, capacity: m * n) { c in
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b,
              Int32(n), 0, c, Int32(n))
          }
        }
      }
    }
  }
}

/// Standard-normal fill throughput, in numbers per second.
func normalFillRate<S: BLASScalar>(_: S.Type, seconds: Double) -> Double {
  var rng = Xoshiro256(seed: 3)
  var m = Matrix<S>(rows: 1000, columns: 1000)
  let t = measure(seconds: seconds) { m.fillNormal(using: &rng) }
  return Double(m.count) / t.median
}
