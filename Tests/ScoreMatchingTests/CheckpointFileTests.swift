import Datasets
import DiffusionProcesses
import Foundation
import LinearAlgebra
import ScoreMatching
import ScoreNetworks
import TestSupport
import Testing

/// A trainer of standardised ring data after `steps` steps.
func checkpointTrainer(steps: Int) throws -> Trainer<MLP<Double>, VPSDE<Double>, DatasetSource<Double>> {
  let source = try DatasetSource(ringData(rows: 60, seed: 92), conditioningColumns: 1)
  var trainer = try Trainer(
    process: VPSDE<Double>(), architecture: smallNetwork(condition: 1), source: source,
    configuration: TrainingConfiguration(seed: 93, batchSize: 20), standardizer: try source.fitStandardizer())
  for _ in 0..<steps { try trainer.step() }
  return trainer
}

/// Checkpoints are reproducible bit for bit too: the same run writes the same bytes.
@Test func identicalRunsWriteIdenticalCheckpoints() throws {
  let urls = [temporaryURL("first.safetensors"), temporaryURL("second.safetensors")]
  defer { for url in urls { try? FileManager.default.removeItem(at: url) } }
  for url in urls { try checkpointTrainer(steps: 3).saveCheckpoint(to: url) }
  #expect(try Data(contentsOf: urls[0]) == Data(contentsOf: urls[1]))
}

/// A checkpoint damaged on disk — a flipped bit, a NaN tensor, impossible statistics or
/// standard deviations — is refused with an error naming the file, before it can poison a run.
@Test func damagedCheckpointsAreRefused() throws {
  let url = temporaryURL("damaged.safetensors")
  defer { try? FileManager.default.removeItem(at: url) }
  let trainer = try checkpointTrainer(steps: 2)
  try trainer.saveCheckpoint(to: url)
  let (tensors, metadata) = try SafeTensors.read(from: url, as: Double.self)
  func resumed() -> TrainingError? {
    do {
      _ = try Trainer(resumingFrom: url, process: VPSDE<Double>(), source: trainer.source)
      return nil
    } catch { return error }
  }
  #expect(resumed() == nil)

  var data = try Data(contentsOf: url)
  data[data.count - 1] ^= 0x10
  try data.write(to: url)
  guard case .checkpointFile(_, .checksumMismatch) = resumed() else {
    Issue.record("a flipped bit was accepted: \(String(describing: resumed()))")
    return
  }

  for name in ["model.embedding.frequencies", "ema.layers.1.bias", "adam.exp_avg_sq.layers.0.weight"] {
    var damaged = NamedTensors<Double>()
    for t in tensors.entries {
      var values = t.values
      if t.name == name { values.withUnsafeMutableBufferPointer { $0[0] = .infinity } }
      damaged.append(name: t.name, shape: t.shape, values: values)
    }
    #expect(damaged.names.contains(name))
    try SafeTensors.write(damaged, metadata: metadata, to: url)
    guard case .incompatibleCheckpoint(url.path, let reason) = resumed() else {
      Issue.record("∞ in \(name) was accepted: \(String(describing: resumed()))")
      continue
    }
    #expect(reason.contains(name))
  }

  let nanBits = String(Double.nan.bitPattern, radix: 16)
  let infinityBits = String(Double.infinity.bitPattern, radix: 16)
  for (key, value, word) in [
    ("score_sde.standardizer", #"{"means":[0,0,0],"standardDeviations":[1,0,1]}"#, "standardDeviations[1]"),
    ("score_sde.loss.accumulator_bits", nanBits, "accumulator"),
    ("score_sde.loss.last_bits", infinityBits, "last"),
    ("score_sde.loss.last_bits", nanBits, "last"),
  ] {
    var edited = metadata
    edited[key] = value
    try SafeTensors.write(tensors, metadata: edited, to: url)
    guard case .incompatibleCheckpoint(url.path, let reason) = resumed() else {
      Issue.record("\(key) = \(value) was accepted: \(String(describing: resumed()))")
      continue
    }
    #expect(reason.contains(key) && reason.contains(word), "\(reason)")
  }
  var invalid = trainer.configuration
  invalid.emaDecay = 2
  var edited = metadata
  edited["score_sde.training.configuration"] = String(
    decoding: try JSONEncoder().encode(invalid), as: UTF8.self)
  try SafeTensors.write(tensors, metadata: edited, to: url)
  guard case .incompatibleCheckpoint(url.path, let reason) = resumed() else {
    Issue.record("an invalid configuration was accepted: \(String(describing: resumed()))")
    return
  }
  #expect(reason.contains("emaDecay"))
}
