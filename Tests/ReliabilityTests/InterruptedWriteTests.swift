import Foundation
import ScoreSDE
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs `body` with the process's file-size limit (`RLIMIT_FSIZE`) at `bytes`, so that a write
/// past it fails part-way with `EFBIG` (as on a full disk), then restores the limit. `SIGXFSZ` is
/// ignored so that the failed write returns an error instead of killing the process.
///
/// The limit is process-wide: the suite using it is serialized, and no other test of the package
/// writes a file of a mebibyte or more.
func withFileSizeLimit<T>(_ bytes: Int, _ body: () throws -> T) throws -> T {
  var old = rlimit()
  #if canImport(Glibc)
    let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
  #else
    let resource = RLIMIT_FSIZE
  #endif
  guard getrlimit(resource, &old) == 0 else { throw POSIXError(.EPERM) }
  var limited = old
  limited.rlim_cur = rlim_t(bytes)
  let previousHandler = signal(SIGXFSZ, SIG_IGN)
  guard setrlimit(resource, &limited) == 0 else { throw POSIXError(.EPERM) }
  defer {
    _ = setrlimit(resource, &old)
    _ = signal(SIGXFSZ, previousHandler)
  }
  return try body()
}

/// Every file the library writes goes to a temporary name and is renamed into place: a write
/// interrupted part-way (here by the file-size limit, as by a full disk) throws, leaves the
/// previous file byte for byte, and leaves no stray temporary file beside it.
@Suite(.serialized) struct InterruptedWriteTests {
  static let limit = 1 << 20

  /// Writes the old version with `write(old)`, then checks that `write(new)` under the limit
  /// fails and changes nothing in the directory.
  func check(
    _ name: String, sourceLocation: SourceLocation = #_sourceLocation,
    writeOld: (URL) throws -> Void, writeNew: (URL) throws -> Void
  ) throws {
    let directory = try temporaryDirectory("interrupted")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent(name)
    try writeOld(url)
    let before = try Data(contentsOf: url)
    #expect(before.count < Self.limit, sourceLocation: sourceLocation)
    let failed = try withFileSizeLimit(Self.limit) { () -> Bool in
      do {
        try writeNew(url)
        return false
      } catch {
        return true
      }
    }
    #expect(failed, "the write of \(name) did not hit the limit", sourceLocation: sourceLocation)
    #expect(try Data(contentsOf: url) == before, "\(name) changed", sourceLocation: sourceLocation)
    let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(left == [name], "stray files: \(left)", sourceLocation: sourceLocation)
    // Without the limit the same write goes through.
    try writeNew(url)
    #expect(try Data(contentsOf: url).count > Self.limit, sourceLocation: sourceLocation)
  }

  /// 200 000 × 2 normal draws (3.2 MB as binary, more as text).
  var large: Matrix<Double> {
    var rng = Xoshiro256(seed: 1)
    return Matrix.randomNormal(rows: 200_000, columns: 2, using: &rng)
  }

  @Test func numPyFile() throws {
    try check(
      "data.npy", writeOld: { try NumPyFile.write(Matrix<Double>([[1, 2]]), to: $0) },
      writeNew: { try NumPyFile.write(large, to: $0) })
  }

  @Test func csvFile() throws {
    try check(
      "data.csv", writeOld: { try CSVFile.write(Matrix<Double>([[1, 2]]), to: $0) },
      writeNew: { try CSVFile.write(large, to: $0) })
  }

  @Test func safeTensorsFile() throws {
    var old = NamedTensors<Double>()
    old.append(name: "w", shape: [2], values: Matrix([[1, 2]]))
    var new = NamedTensors<Double>()
    new.append(name: "w", shape: [200_000, 2], values: large)
    try check(
      "t.safetensors", writeOld: { try SafeTensors.write(old, to: $0) },
      writeNew: { try SafeTensors.write(new, to: $0) })
  }

  @Test func modelFile() throws {
    var rng = Xoshiro256(seed: 3)
    let wide = MLPConfiguration(
      inputDimension: 2, conditionDimension: 0, timeEmbedding: .gaussianFourier(frequencies: 4, scale: 4),
      width: 512, depth: 3)
    let big = TrainedModel(
      network: MLP<Double>(configuration: wide, using: &rng), process: sharedModel.process,
      parameterization: sharedModel.parameterization, training: sharedModel.training)
    try check(
      "model.safetensors", writeOld: { try sharedModel.save(to: $0) }, writeNew: { try big.save(to: $0) })
  }

  @Test func checkpoint() throws {
    let small = try trainSmallModel(Double.self, steps: 2)
    let wide = MLPConfiguration(
      inputDimension: 2, conditionDimension: 0, timeEmbedding: .gaussianFourier(frequencies: 4, scale: 4),
      width: 512, depth: 3)
    let big = try Trainer(
      process: VPSDE<Double>(), architecture: wide,
      source: DistributionSource<Checkerboard, Double>(Checkerboard()),
      configuration: TrainingConfiguration(batchSize: 8, steps: 1))
    try check(
      "checkpoint.safetensors", writeOld: { try small.saveCheckpoint(to: $0) },
      writeNew: { try big.saveCheckpoint(to: $0) })
  }

  @Test func svgFile() throws {
    let few = Plots.scatter(samples: Matrix<Double>([[0, 0], [1, 1]]), title: "old")
    let many = Plots.scatter(samples: large, title: "new", maximumPoints: 200_000)
    try check("plot.svg", writeOld: { try few.write(to: $0) }, writeNew: { try many.write(to: $0) })
  }

  /// A destination that is a directory cannot be replaced: a typed error, and the directory stays.
  @Test func aDirectoryInTheWayIsAnError() throws {
    let directory = try temporaryDirectory("in-the-way")
    defer { try? FileManager.default.removeItem(at: directory) }
    let target = directory.appendingPathComponent("data.npy")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
    #expect(throws: FileFormatError.self) { try NumPyFile.write(Matrix<Double>([[1]]), to: target) }
    var isDirectory: ObjCBool = false
    #expect(
      FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory) && isDirectory.boolValue)
  }
}
