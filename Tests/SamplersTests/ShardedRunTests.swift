import DiffusionProcesses
import LinearAlgebra
import Samplers
import Testing

/// `RowShard` cuts `0..<total` into `n` ordered, disjoint, covering ranges that start on
/// multiples of the alignment, as even as whole blocks allow.
@Test func rowShardsPartitionTheRowsInAlignedBlocks() throws {
  for total in [0, 1, 7, 64, 300, 1000, 4097] {
    for n in [1, 2, 3, 4, 7, 50] {
      for alignment in [1, 64, 512] {
        let ranges = try (1...n).map { try RowShard($0, of: n).rows(of: total, alignment: alignment) }
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == total)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        let blocks = (total + alignment - 1) / alignment
        for range in ranges {
          #expect(range.lowerBound % alignment == 0 || range.lowerBound == total)
          // Whole blocks, spread evenly: every shard gets ⌊B/n⌋ or ⌈B/n⌉ of them.
          let held = (Swift.min(range.upperBound, total) - range.lowerBound + alignment - 1) / alignment
          #expect(
            held >= blocks / n && held <= (blocks + n - 1) / n, "\(total) rows, \(n) shards, \(alignment)")
        }
      }
    }
  }
  #expect(try RowShard(parsing: "2/4").rows(of: 10_000, alignment: 512) == 2560..<5120)
  #expect(try RowShard(parsing: "1/3").rows(of: 10) == 0..<3)
  // Huge counts do not overflow: ⌊k·B/n⌋ is computed in full width.
  let last = try RowShard(1_000_000, of: 1_000_000).rows(of: Int.max, alignment: 1)
  #expect(last.upperBound == Int.max && last.count > 0)
}

/// Bad shard specifications are refused with a message that says what `k/n` means.
@Test(arguments: ["0/4", "5/4", "0/0", "1/0", "-1/4", "abc", "2", "2/4/8", "/4", "2/", " 2/4", "1/2000000"])
func malformedShardsAreRefused(text: String) {
  #expect(throws: RowShardError.self, "\(text)") { try RowShard(parsing: text) }
}

/// A run cut into shards is the run: for every sampler kind, the four shards' samples
/// (`sample(rows:)`), concatenated in order, equal one call's samples bit for bit — the
/// adaptive kinds included, because the shards start on multiples of the batch size, so that
/// every batch (which chooses its own steps) holds the same samples. Cutting the adaptive
/// probability flow elsewhere does change the bits, which is why the alignment matters.
@Test(arguments: SamplerName.allCases.filter { !$0.needsPhaseSpace })
func shardsConcatenateToTheUnshardedRun(kind: SamplerName) throws {
  let sde = VPSDE<Double>()
  let oracle = MixtureData.oracle(sde)
  var options = SamplingOptions<Double>(kind: batchTestKind(kind), seed: 11)
  options.batchSize = 64
  let sampler = Sampler(process: sde, score: oracle, options: options)
  let whole = try sampler.sample(count: 300, dimension: 2).samples
  var joined = Matrix<Double>(rows: 0, columns: 2)
  for k in 1...4 {
    let rows = try RowShard(k, of: 4).rows(of: 300, alignment: 64)
    let part = try sampler.sample(rows: rows, dimension: 2).samples
    #expect(part.rows == rows.count)
    joined = joined.appendingRows(part)
  }
  #expect(joined == whole, "\(kind)")
  if kind == .adaptive {
    let misaligned = try sampler.sample(rows: 100..<300, dimension: 2).samples
    #expect(misaligned != whole.rows(100..<300), "adaptive steps chosen per batch should see the cut")
  }
}

/// Likelihoods in fixed global blocks do not depend on the thread count or on where the rows
/// are cut (at multiples of the block), with adaptive steps and Hutchinson probes alike, and
/// equal one call over all rows to rounding with fixed steps.
@Test func blockedLikelihoodIsTheSameWhateverTheShardsAndThreads() throws {
  let sde = VPSDE<Double>()
  let oracle = MixtureData.oracle(sde)
  let data = likelihoodData(sde, mixture: true)
  let methods: [(DivergenceMethod, ODEIntegration<Double>)] = [
    (.exact, .standard), (.hutchinson(probe: .rademacher, seed: 5), .rungeKutta4(steps: 10)),
  ]
  for (divergence, integration) in methods {
    let likelihood = ProbabilityFlowLikelihood(
      process: sde, score: oracle, divergence: divergence, integration: integration)
    let whole = try likelihood.logLikelihood(of: data, firstRow: 0, blockRows: 30, threads: 1)
    let threaded = try likelihood.logLikelihood(of: data, firstRow: 0, blockRows: 30, threads: 3)
    #expect(threaded.logLikelihoods == whole.logLikelihoods, "\(divergence): threads")
    #expect(threaded.latents == whole.latents)
    var joined: [Double] = []
    for k in 1...4 {
      let rows = try RowShard(k, of: 4).rows(of: data.rows, alignment: 30)
      joined += try likelihood.logLikelihood(
        of: data.rows(rows), firstRow: rows.lowerBound, blockRows: 30, threads: 2
      ).logLikelihoods
    }
    #expect(joined == whole.logLikelihoods, "\(divergence): shards")
    if case .rungeKutta4 = integration {
      let one = try likelihood.logLikelihood(of: data)
      let worst = zip(whole.logLikelihoods, one.logLikelihoods).map { abs($0 - $1) }.max()!
      #expect(worst <= 1e-11, "\(divergence): blocks against one call, \(worst)")
    }
  }
}

extension Matrix {
  /// `self` with the rows of `other` below.
  fileprivate func appendingRows(_ other: Matrix) -> Matrix {
    Matrix(rows: rows + other.rows, columns: other.columns, elements: elements + other.elements)
  }
}
