import Foundation
import LinearAlgebra

/// How the command line uses the cores: the library's own threads split each batch (a training
/// step, a sampling run, a likelihood chunk) into one block per core, and OpenBLAS runs
/// single-threaded inside each block. OpenBLAS's thread count is set once, at start-up, before
/// any BLAS call, so nothing ever changes it while a product runs, and the two kinds of threads
/// never oversubscribe the cores (2 trainer threads on top of 2 BLAS threads ran 7× slower).
enum Workers {
  /// One per active core, at most 8.
  static let count = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

  /// Rows per sampling batch: 512, a whole number of the sampler's 256-row tiles.
  static let samplingBatch = 512

  /// Makes OpenBLAS single-threaded; call first thing in the process.
  static func configure() { BLAS.threadCount = 1 }
}
