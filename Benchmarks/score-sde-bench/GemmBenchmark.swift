import Dispatch
import LinearAlgebra

/// One row-major GEMM `C (m×n) = op(A) · op(B)` with inner dimension `k`.
struct GemmShape: Hashable {
  var m: Int
  var n: Int
  var k: Int
  var transposingA = false
  var transposingB = false

  var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The GEMMs of an MLP with layer sizes `sizes` (`sizes[0]` inputs … `sizes.last` outputs).
struct MLPGemms {
  let sizes: [Int]

  var layers: [(input: Int, output: Int)] { (0..<(sizes.count - 1)).map { (sizes[$0], sizes[$0 + 1]) } }

  /// Forward pass on `rows` rows: `H_out = H_in · W` for every layer.
  func forward(rows: Int) -> [GemmShape] { layers.map { GemmShape(m: rows, n: $0.output, k: $0.input) } }

  /// Backward pass of a training step: the weight gradients `H_inᵀ · G` of every layer and the
  /// input gradients `G · Wᵀ` of every layer but the first (the input needs none).
  func backward(rows: Int) -> [GemmShape] {
    var shapes: [GemmShape] = []
    for (l, layer) in layers.enumerated().reversed() {
      shapes.append(GemmShape(m: layer.input, n: layer.output, k: rows, transposingA: true))
      if l > 0 { shapes.append(GemmShape(m: rows, n: layer.input, k: layer.output, transposingB: true)) }
    }
    return shapes
  }

  /// Input-gradient (pullback) GEMMs of `probes` one-hot probes per row down to the `d` data
  /// columns: exact divergence by `d` vector–Jacobian products.
  func pullback(rows: Int, dataColumns d: Int) -> [GemmShape] {
    var shapes: [GemmShape] = []
    for (l, layer) in layers.enumerated().reversed() {
      shapes.append(GemmShape(m: rows * d, n: l == 0 ? d : layer.input, k: layer.output, transposingB: true))
    }
    return shapes
  }
}

/// Times raw `?gemm` calls on a list of shapes, back to back: the library's own mapping of
/// ``BLASScalar`` onto `cblas_sgemm`/`cblas_dgemm`, on raw pointers, without ``Matrix``.
struct GemmBenchmark {
  let seconds: Double

  /// GFLOP/s of calling cblas on `shapes` in order, repeatedly.
  func rate<S: BLASScalar>(_: S.Type, shapes: [GemmShape], split: Int = 1) -> Double {
    var rng = Xoshiro256(seed: 1)
    var a = shapes.map { Matrix<S>.randomNormal(rows: $0.m, columns: $0.k, using: &rng).elements }
    var b = shapes.map { Matrix<S>.randomNormal(rows: $0.k, columns: $0.n, using: &rng).elements }
    var c = shapes.map { [S](repeating: 0, count: $0.m * $0.n) }
    let flops = shapes.reduce(0) { $0 + $1.flops }
    let t = measure(seconds: seconds) {
      for i in shapes.indices {
        a[i].withUnsafeMutableBufferPointer { pa in
          b[i].withUnsafeMutableBufferPointer { pb in
            c[i].withUnsafeMutableBufferPointer { pc in
              if split == 1 {
                rawGemm(shapes[i], pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
              } else {
                let sh = shapes[i]
                nonisolated(unsafe) let (a, b, c) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: split) { part in
                  if sh.m >= sh.n {
                    let lo = sh.m * part / split
                    let hi = sh.m * (part + 1) / split
                    var s2 = sh
                    s2.m = hi - lo
                    let lda = sh.transposingA ? sh.m : sh.k
                    rawGemm(s2, a + (sh.transposingA ? lo : lo * lda), b, c + lo * sh.n, lda: lda, ldc: sh.n)
                  } else {
                    let lo = sh.n * part / split
                    let hi = sh.n * (part + 1) / split
                    var s2 = sh
                    s2.n = hi - lo
                    let ldb = sh.transposingB ? sh.k : sh.n
                    rawGemm(s2, a, b + (sh.transposingB ? lo * ldb : lo), c + lo, ldb: ldb, ldc: sh.n)
                  }
                }
              }
            }
          }
        }
      }
    }
    return flops / t.median / 1e9
  }

  private func rawGemm<S: BLASScalar>(
    _ s: GemmShape, _ a: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>, _ c: UnsafeMutablePointer<S>,
    lda la: Int? = nil, ldb lb: Int? = nil, ldc lc: Int? = nil
  ) {
    S._gemm(
      transposeA: s.transposingA, transposeB: s.transposingB, m: s.m, n: s.n, k: s.k, alpha: 1, a: a,
      lda: la ?? (s.transposingA ? s.m : s.k), b: b, ldb: lb ?? (s.transposingB ? s.k : s.n), beta: 0, c: c,
      ldc: lc ?? s.n)
  }
}
