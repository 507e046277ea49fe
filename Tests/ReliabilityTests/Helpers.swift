import Foundation
import ScoreSDE
import Testing

/// Compiles only when `T` is `Sendable`; the call documents the requirement.
func requireSendable<T: Sendable>(_: T.Type) {}

/// The little-endian bytes of `value`.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A `.npy` file with the given header dictionary (version 1.0) followed by `payload`.
func npyFile(header dictionary: [UInt8], payload: [UInt8] = []) -> [UInt8] {
  var text = dictionary
  while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
  text.append(0x0A)
  return [0x93] + Array("NUMPY".utf8) + [1, 0] + littleEndianBytes(UInt16(text.count)) + text + payload
}

/// A safetensors file: the 8-byte header length, the header JSON, then `payload`.
func safeTensorsFile(header json: String, payload: [UInt8] = []) -> Data {
  let h = Array(json.utf8)
  return Data(littleEndianBytes(UInt64(h.count)) + h + payload)
}

/// The small network every model test uses: 2-D data, width 16, depth 2.
func smallArchitecture() -> MLPConfiguration {
  MLPConfiguration(
    inputDimension: 2, conditionDimension: 0, timeEmbedding: .gaussianFourier(frequencies: 4, scale: 4),
    width: 16, depth: 2)
}

/// A model trained for `steps` steps on the checkerboard with `seed`, in `Scalar`.
func trainSmallModel<Scalar: BLASScalar>(
  _: Scalar.Type = Scalar.self, steps: Int = 30, seed: UInt64 = 7
) throws -> Trainer<MLP<Scalar>, VPSDE<Scalar>, DistributionSource<Checkerboard, Scalar>> {
  var trainer = try Trainer(
    process: VPSDE<Scalar>(), architecture: smallArchitecture(),
    source: DistributionSource<Checkerboard, Scalar>(Checkerboard()),
    configuration: TrainingConfiguration(seed: seed, batchSize: 64, steps: steps, learningRate: 3e-3))
  try trainer.train()
  return trainer
}

/// A trained model shared by the determinism and concurrency tests (trained once per process).
let sharedModel: TrainedModel<MLP<Double>> = {
  do {
    return try trainSmallModel(Double.self, steps: 40).trainedModel(data: "checkerboard")
  } catch {
    fatalError("cannot train the shared test model: \(error)")
  }
}()

/// `DatasetSource` refuses `data` with `DataError.nonFinite` naming the first bad entry.
func expectNonFiniteRefusal<S: BLASScalar>(
  _ data: Matrix<S>, row: Int, column: Int, count: Int, sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    _ = try DatasetSource(data)
    Issue.record("non-finite data were accepted", sourceLocation: sourceLocation)
  } catch {
    guard case .nonFinite(_, let r, let c, let value, let n) = error else {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
      return
    }
    #expect(r == row && c == column && n == count && !value.isFinite, sourceLocation: sourceLocation)
  }
}
