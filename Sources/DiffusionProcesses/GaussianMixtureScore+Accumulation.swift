import LinearAlgebra
import RealModule

extension GaussianMixtureScore {
  /// One pass over the components with a streaming log-sum-exp: per row, a running maximum `M`
  /// of `ℓₖ = log wₖ + log Nₖ`, the normaliser `Z = Σₖ e^{ℓₖ − M}`, and the weighted sums of `sₖ`,
  /// `‖sₖ‖² − tr Pₖ` and `(v·sₖ)sₖ − Pₖv`, all rescaled by `e^{M_old − M_new}` when the maximum
  /// grows. Returns what was asked for (`score` is also computed when the others need it).
  @inlinable
  func accumulate(
    _ x: Matrix<Scalar>, at t: Scalar, score wantScore: Bool, divergence wantDivergence: Bool,
    probe: Matrix<Scalar>?
  ) -> (logDensity: [Scalar], score: Matrix<Scalar>?, divergence: [Scalar]?, vjp: Matrix<Scalar>?) {
    let n = x.rows
    let d = dimension
    let wantVJP = probe != nil
    let needScore = wantScore || wantDivergence || wantVJP
    let (a, s) = process.marginal(at: t)
    let b = process.marginalShift(at: t)
    let empty = Matrix<Scalar>(rows: 0, columns: d)
    let probe = probe ?? empty
    var maximum = [Scalar](repeating: -.infinity, count: n)
    var normaliser = [Scalar](repeating: 0, count: n)
    var quadraticSum = [Scalar](repeating: 0, count: n)
    var scoreSum = needScore ? Matrix<Scalar>(rows: n, columns: d) : empty
    var vjpSum = wantVJP ? Matrix<Scalar>(rows: n, columns: d) : empty
    for k in components.indices where weights[k] > 0 {
      let logWeight = Scalar.log(weights[k])
      let (logN, scoreK) = components[k].evaluate(
        x, scale: a, shift: b, standardDeviation: s, withScore: needScore)
      let traceK = wantDivergence ? components[k].traceOfPrecision(scale: a, standardDeviation: s) : 0
      let precisionProbe =
        wantVJP ? components[k].precisionTimes(probe, scale: a, standardDeviation: s) : empty
      (scoreK ?? empty).withUnsafeBufferPointer { sk in
        precisionProbe.withUnsafeBufferPointer { pp in
          probe.withUnsafeBufferPointer { pv in
            scoreSum.withUnsafeMutableBufferPointer { ss in
              vjpSum.withUnsafeMutableBufferPointer { vs in
                for i in 0..<n {
                  let l = logWeight + logN[i]
                  if l == -.infinity || l.isNaN { continue }
                  let rows = (i * d)..<((i + 1) * d)
                  if l > maximum[i] {
                    let c = Scalar.exp(maximum[i] - l)
                    normaliser[i] *= c
                    quadraticSum[i] *= c
                    if needScore { for j in rows { ss[j] *= c } }
                    if wantVJP { for j in rows { vs[j] *= c } }
                    maximum[i] = l
                  }
                  let w = Scalar.exp(l - maximum[i])
                  normaliser[i] += w
                  guard needScore else { continue }
                  for j in rows { ss[j] += w * sk[j] }
                  if wantDivergence {
                    var q: Scalar = 0
                    for j in rows { q += sk[j] * sk[j] }
                    quadraticSum[i] += w * (q - traceK)
                  }
                  if wantVJP {
                    var dot: Scalar = 0
                    for j in rows { dot += pv[j] * sk[j] }
                    for j in rows { vs[j] += w * (dot * sk[j] - pp[j]) }
                  }
                }
              }
            }
          }
        }
      }
    }
    let logDensity = (0..<n).map { maximum[$0] + Scalar.log(normaliser[$0]) }
    guard needScore else { return (logDensity, nil, nil, nil) }
    var divergence = [Scalar](repeating: 0, count: wantDivergence ? n : 0)
    scoreSum.withUnsafeMutableBufferPointer { ss in
      probe.withUnsafeBufferPointer { pv in
        vjpSum.withUnsafeMutableBufferPointer { vs in
          for i in 0..<n {
            let rows = (i * d)..<((i + 1) * d)
            let inverse = 1 / normaliser[i]
            var norm2: Scalar = 0
            for j in rows {
              ss[j] *= inverse
              norm2 += ss[j] * ss[j]
            }
            if wantDivergence { divergence[i] = quadraticSum[i] * inverse - norm2 }
            if wantVJP {
              var dot: Scalar = 0
              for j in rows { dot += pv[j] * ss[j] }
              for j in rows { vs[j] = vs[j] * inverse - dot * ss[j] }
            }
          }
        }
      }
    }
    return (logDensity, scoreSum, wantDivergence ? divergence : nil, wantVJP ? vjpSum : nil)
  }
}
