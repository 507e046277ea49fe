// Data parallelism inside one forward/backward pass: with `BLAS.threadCount = T > 1` a batch of
// at least 2·128 rows is cut into T row blocks that run concurrently, each calling BLAS
// single-threaded on its own rows (GEMM, bias, activation and its derivative together), and
// each block's weight gradient is a partial sum over its rows, added up at the end of the layer.
// At the batch sizes of score matching (hundreds to a few thousand rows, widths 128–512) this
// beats OpenBLAS's own threading, which splits every GEMM separately and synchronises after each,
// and it runs the element-wise passes on all threads too.
import Dispatch
public import LinearAlgebra

/// `count` contiguous row blocks of `rows` rows, run concurrently.
@usableFromInline
struct RowBlocks: Sendable {
  /// Fewest rows per block worth a thread of its own.
  @usableFromInline static let minimumRows = 128

  @usableFromInline let rows: Int
  @usableFromInline let count: Int

  @inlinable
  init(rows: Int, threads: Int, minimumRows: Int = Self.minimumRows) {
    self.rows = rows
    self.count = Swift.max(1, Swift.min(threads, rows / minimumRows))
  }

  /// The rows of block `b`.
  @inlinable
  func range(_ b: Int) -> Range<Int> { (rows * b / count)..<(rows * (b + 1) / count) }

  /// Runs `body` for every block concurrently, with OpenBLAS single-threaded meanwhile.
  /// Runs `body` for every block, concurrently when there are several (no BLAS inside).
  @inlinable
  func forEachConcurrently(_ body: @Sendable (Int) -> Void) {
    if count == 1 {
      body(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
  }

  @inlinable
  func run(_ body: @Sendable (Int) -> Void) {
    BLAS.withSingleThreadedCalls { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
  }
}

extension MLP {
  /// How a batch of `n` rows is split: one block per BLAS thread, none for layer-normalised
  /// networks (which keep the single-block path).
  @inlinable
  func rowBlocks(rows n: Int) -> RowBlocks {
    RowBlocks(rows: n, threads: configuration.layerNorm ? 1 : BLAS.threadCount)
  }

  /// The forward pass of ``forward(_:times:condition:into:workspace:)`` after the input is
  /// filled, block by block (no layer normalisation).
  @inlinable
  func forwardInBlocks(
    _ blocks: RowBlocks, into out: inout Matrix<Scalar>, workspace ws: inout MLPWorkspace<Scalar>
  ) {
    let c = configuration
    let h = c.width
    let activation = c.activation
    for l in 0..<c.depth {
      let layer = parameters.layers[l]
      let source = l == 0 ? ws.input : ws.hidden[l - 1]
      let k = source.columns
      let skip = c.residual && l > 0
      source.withUnsafeBufferPointer { src in
        ws.hidden[l].withUnsafeMutableBufferPointer { v in
          ws.derivatives[l].withUnsafeMutableBufferPointer { d in
            layer.weight.withUnsafeBufferPointer { w in
              layer.bias.withUnsafeBufferPointer { b in
                nonisolated(unsafe) let (src, v, d, w, b) = (
                  src.baseAddress!, v.baseAddress!, d.baseAddress!, w.baseAddress!, b.baseAddress!
                )
                blocks.run { block in
                  let rows = blocks.range(block)
                  let (lo, m) = (rows.lowerBound, rows.count)
                  Scalar._gemm(
                    transposeA: false, transposeB: true, m: m, n: h, k: k, alpha: 1, a: src + lo * k, lda: k,
                    b: w, ldb: k, beta: 0, c: v + lo * h, ldc: h)
                  applyBiasAndActivation(
                    v + lo * h, derivative: d + lo * h, bias: b, residual: skip ? src + lo * k : nil, rows: m,
                    columns: h, activation: activation)
                }
              }
            }
          }
        }
      }
    }
    let output = parameters.layers[c.depth]
    let dOut = output.outputDimension
    ws.hidden[c.depth - 1].withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { o in
        output.weight.withUnsafeBufferPointer { w in
          output.bias.withUnsafeBufferPointer { b in
            nonisolated(unsafe) let (src, o, w, b) = (
              src.baseAddress!, o.baseAddress!, w.baseAddress!, b.baseAddress!
            )
            blocks.run { block in
              let rows = blocks.range(block)
              let (lo, m) = (rows.lowerBound, rows.count)
              Scalar._gemm(
                transposeA: false, transposeB: true, m: m, n: dOut, k: h, alpha: 1, a: src + lo * h, lda: h,
                b: w,
                ldb: h, beta: 0, c: o + lo * dOut, ldc: dOut)
              applyBiasAndActivation(
                o + lo * dOut, derivative: nil, bias: b, residual: nil, rows: m, columns: dOut,
                activation: .identity)
            }
          }
        }
      }
    }
  }

  /// The backward pass of ``backpropagate(_:workspace:gradients:accumulate:inputGradient:wantsInputGradient:)``
  /// block by block (no layer normalisation); the bias gradients are already zeroed unless
  /// accumulating.
  @inlinable
  func backpropagateInBlocks(
    _ blocks: RowBlocks, _ outputGradient: Matrix<Scalar>, workspace ws: inout MLPWorkspace<Scalar>,
    gradients: inout MLPGradients<Scalar>, beta: Scalar, inputGradient: inout Matrix<Scalar>,
    wantsInputGradient: Bool
  ) {
    let c = configuration
    let (h, depth) = (c.width, c.depth)
    ws.preparePartials(blocks: blocks.count, layers: parameters.layers)
    // Output layer: ∂L/∂W = Gᵀ h_L, ∂L/∂b = Σ G, δh_L = G W.
    let dOut = c.inputDimension
    let output = parameters.layers[depth]
    let last = ws.hidden[depth - 1]
    withLayerGradient(&gradients, depth) { gradient in
      outputGradient.withUnsafeBufferPointer { g in
        last.withUnsafeBufferPointer { hl in
          output.weight.withUnsafeBufferPointer { w in
            ws.gradient.withUnsafeMutableBufferPointer { delta in
              ws.partialWeights[depth].withUnsafeMutableBufferPointer { pw in
                ws.partialBiases[depth].withUnsafeMutableBufferPointer { pb in
                  gradient.weight.withUnsafeMutableBufferPointer { gw in
                    gradient.bias.withUnsafeMutableBufferPointer { gb in
                      nonisolated(unsafe) let (g, hl, w, delta) = (
                        g.baseAddress!, hl.baseAddress!, w.baseAddress!, delta.baseAddress!
                      )
                      nonisolated(unsafe) let (pw, pb, gw, gb) = (
                        pw.baseAddress, pb.baseAddress, gw.baseAddress!, gb.baseAddress!
                      )
                      blocks.run { block in
                        let rows = blocks.range(block)
                        let (lo, m) = (rows.lowerBound, rows.count)
                        let (wTarget, bTarget) =
                          block == 0 ? (gw, gb) : (pw! + (block - 1) * dOut * h, pb! + (block - 1) * dOut)
                        if block > 0 { bTarget.update(repeating: 0, count: dOut) }
                        Scalar._gemm(
                          transposeA: true, transposeB: false, m: dOut, n: h, k: m, alpha: 1,
                          a: g + lo * dOut,
                          lda: dOut, b: hl + lo * h, ldb: h, beta: block == 0 ? beta : 0, c: wTarget, ldc: h)
                        accumulateColumnSums(g + lo * dOut, rows: m, columns: dOut, into: bTarget)
                        Scalar._gemm(
                          transposeA: false, transposeB: false, m: m, n: h, k: dOut, alpha: 1,
                          a: g + lo * dOut,
                          lda: dOut, b: w, ldb: h, beta: 0, c: delta + lo * h, ldc: h)
                      }
                      addPartials(
                        blocks.count, weights: pw, biases: pb, into: gw, gb, size: dOut * h, bias: dOut)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    if wantsInputGradient { refreshInputWeights(&ws.inputWeights) }
    for l in stride(from: depth - 1, through: 0, by: -1) {
      let layer = parameters.layers[l]
      let source = l == 0 ? ws.input : ws.hidden[l - 1]
      let derivative = ws.derivatives[l]
      let k = source.columns
      let residual = c.residual
      let inputColumns = c.inputDimension
      withLayerGradient(&gradients, l) { gradient in
        source.withUnsafeBufferPointer { src in
          derivative.withUnsafeBufferPointer { d in
            layer.weight.withUnsafeBufferPointer { w in
              ws.gradient.withUnsafeMutableBufferPointer { delta in
                ws.scratch.withUnsafeMutableBufferPointer { s in
                  ws.inputWeights.withUnsafeBufferPointer { wi in
                    inputGradient.withUnsafeMutableBufferPointer { ig in
                      ws.partialWeights[l].withUnsafeMutableBufferPointer { pw in
                        ws.partialBiases[l].withUnsafeMutableBufferPointer { pb in
                          gradient.weight.withUnsafeMutableBufferPointer { gw in
                            gradient.bias.withUnsafeMutableBufferPointer { gb in
                              nonisolated(unsafe) let (src, d, w, delta, s) = (
                                src.baseAddress!, d.baseAddress!, w.baseAddress!, delta.baseAddress!,
                                s.baseAddress!
                              )
                              nonisolated(unsafe) let (wi, ig, pw, pb, gw, gb) = (
                                wi.baseAddress, ig.baseAddress, pw.baseAddress, pb.baseAddress,
                                gw.baseAddress!,
                                gb.baseAddress!
                              )
                              blocks.run { block in
                                let rows = blocks.range(block)
                                let (lo, m) = (rows.lowerBound, rows.count)
                                let (wTarget, bTarget) =
                                  block == 0 ? (gw, gb) : (pw! + (block - 1) * h * k, pb! + (block - 1) * h)
                                if block > 0 { bTarget.update(repeating: 0, count: h) }
                                // δz = δh ⊙ σ′, accumulating ∂L/∂b.
                                multiplyByDerivative(
                                  delta + lo * h, derivative: d + lo * h, into: s + lo * h, rows: m,
                                  probes: 1,
                                  columns: h, biasGradient: bTarget)
                                Scalar._gemm(
                                  transposeA: true, transposeB: false, m: h, n: k, k: m, alpha: 1,
                                  a: s + lo * h,
                                  lda: h, b: src + lo * k, ldb: k, beta: block == 0 ? beta : 0, c: wTarget,
                                  ldc: k)
                                if l > 0 {
                                  Scalar._gemm(
                                    transposeA: false, transposeB: false, m: m, n: k, k: h, alpha: 1,
                                    a: s + lo * h,
                                    lda: h, b: w, ldb: k, beta: residual ? 1 : 0, c: delta + lo * k, ldc: k)
                                } else if wantsInputGradient {
                                  Scalar._gemm(
                                    transposeA: false, transposeB: true, m: m, n: inputColumns, k: h,
                                    alpha: 1,
                                    a: s + lo * h, lda: h, b: wi!, ldb: h, beta: 0,
                                    c: ig! + lo * inputColumns,
                                    ldc: inputColumns)
                                }
                              }
                              addPartials(
                                blocks.count, weights: pw, biases: pb, into: gw, gb, size: h * k, bias: h)
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Runs `body` on layer `l` of `gradients` moved out of its array, so that its weight and bias
/// can be written at once without copying.
@inlinable
func withLayerGradient<S: BLASScalar>(
  _ gradients: inout MLPGradients<S>, _ l: Int, _ body: (inout Dense<S>) -> Void
) {
  var layer = Dense<S>(weight: Matrix(rows: 0, columns: 0), bias: Matrix(rows: 1, columns: 0))
  swap(&layer, &gradients.layers[l])
  body(&layer)
  swap(&layer, &gradients.layers[l])
}

/// Adds the partial gradients of blocks 1… (stacked in `weights`, `biases`) into block 0's.
@inlinable
func addPartials<S: BLASScalar>(
  _ blocks: Int, weights: UnsafeMutablePointer<S>?, biases: UnsafeMutablePointer<S>?,
  into gw: UnsafeMutablePointer<S>, _ gb: UnsafeMutablePointer<S>, size: Int, bias: Int
) {
  for b in 1..<blocks {
    let pw = weights! + (b - 1) * size
    for i in 0..<size { gw[i] += pw[i] }
    let pb = biases! + (b - 1) * bias
    for i in 0..<bias { gb[i] += pb[i] }
  }
}
