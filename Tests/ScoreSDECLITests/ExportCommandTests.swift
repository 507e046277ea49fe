import Foundation
import Testing

/// `score-sde export --pytorch`: what it writes, what it refuses, and the "Training further with
/// PyTorch" walkthrough (the Scaling out article) run command by command.
@Suite("score-sde export") struct ExportCommandTests {
  let folder: URL

  init() throws { folder = try CommandLineTool.scratchFolder() }

  /// Trains a tiny model in `folder` as `name`.
  func trainModel(_ name: String = "model.safetensors", architecture: String = "mlp") throws {
    let outcome = try CommandLineTool.run(
      [
        "train", "--data", "checkerboard", "--out", name, "--steps", "10", "--width", "8", "--depth", "1",
        "--batch", "32", "--architecture", architecture,
      ], in: folder)
    try #require(outcome.status == 0, "training failed: \(outcome.standardError)")
  }

  @Test(arguments: ["mlp", "resmlp"])
  func writesTheModuleAndACopyOfTheModel(architecture: String) throws {
    try trainModel(architecture: architecture)
    let outcome = try CommandLineTool.run(
      ["export", "--pytorch", "model.safetensors", "exported"], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    let exported = folder.appendingPathComponent("exported")
    #expect(try CommandLineTool.files(in: exported) == ["model.safetensors", "scoresde_model.py"])
    let original = try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))
    #expect(try Data(contentsOf: exported.appendingPathComponent("model.safetensors")) == original)
    let source = try String(contentsOf: exported.appendingPathComponent("scoresde_model.py"), encoding: .utf8)
    #expect(source.contains("- network: \(architecture) {"))
    #expect(source.contains("def load(") && source.contains("def save("))
    #expect(outcome.standardOutput.contains("scoresde_model.py"))
    // Again into the same folder: the files are replaced.
    let again = try CommandLineTool.run(["export", "--pytorch", "model.safetensors", "exported"], in: folder)
    #expect(again.status == 0, "\(again.standardError)")
  }

  @Test func exportsIntoTheModelsOwnFolderWithoutCopyingItOntoItself() throws {
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("m"), withIntermediateDirectories: false)
    try trainModel("m/model.safetensors")
    let before = try Data(contentsOf: folder.appendingPathComponent("m/model.safetensors"))
    let outcome = try CommandLineTool.run(["export", "--pytorch", "m/model.safetensors", "m"], in: folder)
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(try Data(contentsOf: folder.appendingPathComponent("m/model.safetensors")) == before)
    #expect(try CommandLineTool.files(in: folder.appendingPathComponent("m")).contains("scoresde_model.py"))
  }

  @Test func refusesBadInputAndWritesNothing() throws {
    try trainModel()
    // No format.
    var outcome = try CommandLineTool.run(["export", "model.safetensors", "out"], in: folder)
    #expect(outcome.status != 0 && outcome.standardError.contains("--pytorch"))
    // A missing model.
    outcome = try CommandLineTool.run(["export", "--pytorch", "absent.safetensors", "out"], in: folder)
    #expect(
      outcome.status != 0 && outcome.standardError.contains("absent.safetensors"), "\(outcome.standardError)")
    // A corrupt model: one flipped byte in the weights (the CRC-32 catches it).
    var bytes = try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))
    bytes[bytes.count - 3] ^= 0x10
    try bytes.write(to: folder.appendingPathComponent("corrupt.safetensors"))
    outcome = try CommandLineTool.run(["export", "--pytorch", "corrupt.safetensors", "out"], in: folder)
    #expect(
      outcome.status != 0 && outcome.standardError.contains("corrupt.safetensors"), "\(outcome.standardError)"
    )
    // Not a safetensors file at all.
    try Data("not a model".utf8).write(to: folder.appendingPathComponent("text.safetensors"))
    outcome = try CommandLineTool.run(["export", "--pytorch", "text.safetensors", "out"], in: folder)
    #expect(
      outcome.status != 0 && outcome.standardError.contains("text.safetensors"), "\(outcome.standardError)")
    // A folder given as the model.
    outcome = try CommandLineTool.run(["export", "--pytorch", ".", "out"], in: folder)
    #expect(outcome.status != 0)
    // The destination is a file.
    try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
    outcome = try CommandLineTool.run(["export", "--pytorch", "model.safetensors", "file"], in: folder)
    #expect(outcome.status != 0 && outcome.standardError.contains("is a file"), "\(outcome.standardError)")
    #expect(try Data(contentsOf: folder.appendingPathComponent("file")) == Data("x".utf8))
    // A destination whose parent does not exist.
    outcome = try CommandLineTool.run(
      ["export", "--pytorch", "model.safetensors", "no/such/out"], in: folder)
    #expect(outcome.status != 0 && outcome.standardError.contains("no/such/out"), "\(outcome.standardError)")
    // Nothing was created by the refused runs.
    #expect(
      try CommandLineTool.files(in: folder)
        == ["corrupt.safetensors", "file", "model.safetensors", "text.safetensors"])
  }

  // MARK: - The walkthrough

  /// The commands of "Training further with PyTorch", in order, exactly as the article shows
  /// them (keep the two in step); ``walkthroughScript`` is its `train_ddp.py`.
  static let walkthroughCommands = [
    """
    python3 -c "import numpy as np; r = np.random.default_rng(0); np.save('data.npy', \
    np.concatenate([r.normal(-2, 0.5, (5000, 2)), r.normal(2, 0.5, (5000, 2))]))"
    """,
    "score-sde train --data data.npy --out model.safetensors --steps 2000",
    "score-sde export --pytorch model.safetensors exported/",
    "torchrun --nproc_per_node=4 train_ddp.py",
    "score-sde sample --model further.safetensors --count 2000 --out samples.npy",
    "score-sde nll --model further.safetensors --data data.npy",
  ]

  /// The article's `train_ddp.py`.
  static let walkthroughScript = """
    import os, sys
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    sys.path.insert(0, "exported")
    import scoresde_model as m

    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")

    net = m.load("exported/model.safetensors", device=device)
    data = np.load("data.npy")[rank::world]          # each rank trains on its own shard
    ddp = DDP(net, device_ids=[device.index] if device.type == "cuda" else None)
    average = m.train(ddp, data, steps=2000, batch_size=512, learning_rate=1e-3, seed=0)
    if rank == 0:
        m.save(average, "further.safetensors", like="exported/model.safetensors",
               extra_metadata={"score_sde.pytorch.steps": "2000"})
    dist.destroy_process_group()
    """

  /// The sizes shrunk so that a debug build runs the walkthrough in seconds: fewer rows and
  /// steps, two CPU processes instead of four GPUs. Nothing else in the commands changes.
  static let shrink = [
    ("(5000, 2)", "(100, 2)"), ("--steps 2000", "--steps 20"), ("steps=2000", "steps=20"),
    ("--nproc_per_node=4", "--nproc_per_node=2"), ("--count 2000", "--count 100"),
  ]

  static let python = ProcessInfo.processInfo.environment["SCORE_SDE_PYTHON"] ?? "python3"
  static let pythonHasTorch: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-c", "import numpy, torch, torch.distributed"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }()

  @Test(
    "Every command of 'Training further with PyTorch' runs (train, export, torchrun DDP, sample, nll)",
    .enabled(
      if: pythonHasTorch, "\(python) has no torch (set SCORE_SDE_PYTHON to an interpreter that has it)"))
  func trainingFurtherWithPyTorchWalkthroughRuns() throws {
    // `score-sde`, `python3` and `torchrun` as the article's reader has them.
    let bin = folder.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: false)
    let tool = try #require(CommandLineTool.executable)
    try FileManager.default.createSymbolicLink(
      at: bin.appendingPathComponent("score-sde"), withDestinationURL: tool)
    let wrappers = [
      "python3": "exec \(Self.python) \"$@\"",
      "torchrun": "exec \(Self.python) -m torch.distributed.run --standalone \"$@\"",
    ]
    for (name, body) in wrappers {
      let url = bin.appendingPathComponent(name)
      try "#!/bin/sh\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }
    // Every shrinking applies (else the test would quietly run the article's full sizes).
    let text = Self.walkthroughScript + Self.walkthroughCommands.joined(separator: "\n")
    for (from, _) in Self.shrink { try #require(text.contains(from), "\(from) is not in the walkthrough") }
    var script = Self.walkthroughScript
    for (from, to) in Self.shrink { script = script.replacingOccurrences(of: from, with: to) }
    try script.write(to: folder.appendingPathComponent("train_ddp.py"), atomically: true, encoding: .utf8)
    for command in Self.walkthroughCommands {
      var line = command
      for (from, to) in Self.shrink { line = line.replacingOccurrences(of: from, with: to) }
      let outcome = try CommandLineTool.shell(
        "PATH=\"\(bin.path):$PATH\" OMP_NUM_THREADS=1 \(line)", in: folder)
      try #require(outcome.status == 0, "\(line) failed: \(outcome.standardError)")
    }
    let samples = try Data(contentsOf: folder.appendingPathComponent("samples.npy"))
    #expect(samples.count > 100 * 2 * 4)
    // The model trained further differs from the exported one, and carries the added key.
    let further = try Data(contentsOf: folder.appendingPathComponent("further.safetensors"))
    let exported = try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))
    #expect(further != exported)
    #expect(String(decoding: further.prefix(4096), as: UTF8.self).contains("score_sde.pytorch.steps"))
  }
}
