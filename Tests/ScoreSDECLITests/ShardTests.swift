import Datasets
import Foundation
import LinearAlgebra
import Testing

/// `--shard k/n` and `score-sde merge`: four shards merged are the unsharded run's file, byte
/// for byte, for every sampler (the adaptive ones included) and for `nll`, in .npy and CSV; bad
/// shard specifications and bad merges fail with a message and leave no file; and the commands
/// of the ScalingOut article run as written.
@Suite(.serialized) struct ShardTests {
  let folder: URL
  /// A small model trained once for the suite.
  static let modelFolder: URL = {
    let folder = try! CommandLineTool.scratchFolder()
    let outcome = try! CommandLineTool.run(
      [
        "train", "--data", "checkerboard", "--out", "model.safetensors", "--steps", "30", "--width", "16",
        "--depth", "1", "--batch", "64",
      ], in: folder)
    precondition(outcome.status == 0, "training the suite's model failed: \(outcome.standardError)")
    return folder
  }()

  init() throws { folder = try CommandLineTool.scratchFolder() }

  var model: String { Self.modelFolder.appendingPathComponent("model.safetensors").path }

  func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let outcome = try CommandLineTool.run(arguments, in: folder)
    #expect(outcome.status == 0, "\(arguments): \(outcome.standardError)", sourceLocation: sourceLocation)
    return outcome.standardOutput
  }

  func bytes(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

  /// Runs `arguments + --shard k/4` for k = 1…4, merges the four files into `merged`, and
  /// returns the merge's output.
  func shardAndMerge(_ arguments: [String], out: String, merged: String) throws -> String {
    let ext = URL(fileURLWithPath: out).pathExtension
    let stem = String(out.dropLast(ext.count + 1))
    var shards: [String] = []
    for k in 1...4 {
      _ = try run(arguments + ["--out", out, "--shard", "\(k)/4"])
      shards.append("\(stem).shard-\(k)-of-4.\(ext)")
    }
    return try run(["merge", "--out", merged] + shards)
  }

  /// 1300 samples are three 512-row blocks: shard 1 is empty, shards 2–4 hold 512, 512 and 276
  /// rows, and the merge equals one run of 1300 for every sampler.
  @Test(arguments: [
    "em", "pc", "ancestral", "sra", "adaptive-sde", "ode", "euler", "heun", "adaptive", "dpm", "edm-heun",
    "euler-a", "ddim", "dpm-sde",
  ])
  func shardedSamplesMergeToTheUnshardedFile(sampler: String) throws {
    var settings = ["sample", "--model", model, "--count", "1300", "--seed", "4", "--sampler", sampler]
    if !sampler.hasPrefix("adaptive") { settings += ["--steps", "3"] }
    _ = try run(settings + ["--out", "whole.npy"])
    _ = try shardAndMerge(settings, out: "part.npy", merged: "merged.npy")
    #expect(try bytes("merged.npy") == bytes("whole.npy"), "\(sampler)")
    let empty: Matrix<Double> = try NumPyFile.read(
      from: folder.appendingPathComponent("part.shard-1-of-4.npy"))
    #expect(empty.rows == 0 && empty.columns == 2)
    let last: Matrix<Double> = try NumPyFile.read(
      from: folder.appendingPathComponent("part.shard-4-of-4.npy"))
    #expect(last.rows == 276)
  }

  @Test func shardedCSVSamplesMergeToTheUnshardedFile() throws {
    let settings = ["sample", "--model", model, "--count", "1100", "--steps", "4"]
    _ = try run(settings + ["--out", "whole.csv"])
    _ = try shardAndMerge(settings, out: "part.csv", merged: "merged.csv")
    #expect(try bytes("merged.csv") == bytes("whole.csv"))
  }

  /// 600 points are five 125-point blocks; the merge equals one run, in .npy (adaptive
  /// integration) and CSV (fixed RK4 steps), and prints the unsharded run's mean and standard
  /// error.
  @Test func shardedLikelihoodsMergeToTheUnshardedFile() throws {
    let adaptive = ["nll", "--model", model, "--data", "checkerboard", "--count", "600", "--seed", "3"]
    let whole = try run(adaptive + ["--out", "whole.npy"])
    let merge = try shardAndMerge(adaptive, out: "part.npy", merged: "merged.npy")
    #expect(try bytes("merged.npy") == bytes("whole.npy"))
    let mean = try #require(whole.firstMatch(of: /mean NLL (\S+) ± (\S+) nats per point \(600 points\)/))
    #expect(merge.contains("mean \(mean.1) ± \(mean.2) over 600 rows"), "\(whole)\n\(merge)")
    let fixed = adaptive + ["--steps", "4"]
    _ = try run(fixed + ["--out", "whole.csv"])
    _ = try shardAndMerge(fixed, out: "part.csv", merged: "merged.csv")
    #expect(try bytes("merged.csv") == bytes("whole.csv"))
  }

  /// Rows read from a file shard like fresh ones: 1100 points are nine blocks, and shards 3 and
  /// 4 start past the first 500-point chunk, which they read but do not integrate.
  @Test func shardedLikelihoodsOfAFile() throws {
    var rng = Xoshiro256(seed: 9)
    let points: Matrix<Double> = Checkerboard().sample(count: 1100, using: &rng)
    try NumPyFile.write(points, to: folder.appendingPathComponent("points.npy"))
    let settings = ["nll", "--model", model, "--data", "points.npy", "--steps", "2"]
    _ = try run(settings + ["--out", "whole.npy"])
    _ = try shardAndMerge(settings, out: "part.npy", merged: "merged.npy")
    #expect(try bytes("merged.npy") == bytes("whole.npy"))
  }

  /// More shards than blocks: the empty shards write empty files (a header only), the merge of
  /// all of them is still the unsharded file, and the zero-padded names sort in shard order.
  @Test func moreShardsThanRows() throws {
    let settings = ["sample", "--model", model, "--count", "10", "--steps", "3"]
    _ = try run(settings + ["--out", "whole.csv"])
    var shards: [String] = []
    for k in 1...12 {
      let output = try run(settings + ["--out", "s.csv", "--shard", "\(k)/12"])
      #expect(output.contains(k == 12 ? "holds samples 1…10 of 10" : "holds no samples"), "\(output)")
      shards.append(String(format: "s.shard-%02d-of-12.csv", k))
    }
    #expect(try CommandLineTool.files(in: folder).filter { $0.hasPrefix("s.") } == shards)
    _ = try run(["merge", "--out", "merged.csv"] + shards)
    #expect(try bytes("merged.csv") == bytes("whole.csv"))
  }

  // MARK: - Bad input: a message, a non-zero exit, no file left behind.

  func expectFailure(_ arguments: [String], mentioning text: String) throws {
    let before = try CommandLineTool.files(in: folder)
    let outcome = try CommandLineTool.run(arguments, in: folder)
    #expect(outcome.status != 0, "\(arguments) should fail")
    #expect(outcome.standardError.contains(text), "\(arguments): \(outcome.standardError)")
    #expect(try CommandLineTool.files(in: folder) == before, "\(arguments) left a file behind")
  }

  @Test func badShardSpecifications() throws {
    let sample = ["sample", "--model", model, "--out", "s.npy", "--count", "10", "--steps", "3"]
    for bad in ["0/0", "5/4", "0/4", "abc", "2", "-1/4", "3/2000000"] {
      try expectFailure(sample + ["--shard", bad], mentioning: "--shard")
    }
    try expectFailure(sample + ["--shard", "5/4"], mentioning: "shards are numbered 1…4, got 5")
    try expectFailure(sample + ["--shard", "abc"], mentioning: "expected k/n such as 2/4")
    try expectFailure(sample + ["--shard", "1/2", "--plot", "p.svg"], mentioning: "--plot")
    try expectFailure(
      ["nll", "--model", model, "--data", "moons", "--count", "10", "--shard", "1/2"], mentioning: "--out")
    try expectFailure(
      ["nll", "--model", model, "--data", "moons", "--out", "n.npy", "--shard", "9/4"], mentioning: "--shard")
  }

  @Test func badMerges() throws {
    let settings = ["sample", "--model", model, "--count", "600", "--steps", "3", "--out", "s.npy"]
    for k in 1...2 { _ = try run(settings + ["--shard", "\(k)/2"]) }
    _ = try run(Array(settings.dropLast(2)) + ["--out", "s.csv", "--shard", "1/2"])
    try NumPyFile.write(
      Matrix<Double>(rows: 3, columns: 3, repeating: 1), to: folder.appendingPathComponent("three.npy"))
    try NumPyFile.write(
      Matrix<Float>(rows: 3, columns: 2, repeating: 1), to: folder.appendingPathComponent("single.npy"))
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("folder.npy"), withIntermediateDirectories: false)
    try Data("not numpy".utf8).write(to: folder.appendingPathComponent("junk.npy"))
    try Data("a,b\n1,2\n".utf8).write(to: folder.appendingPathComponent("ab.csv"))
    try Data("1,2\n".utf8).write(to: folder.appendingPathComponent("bare.csv"))
    try Data("1,2,3\n".utf8).write(to: folder.appendingPathComponent("wide.csv"))
    let one = "s.shard-1-of-2.npy"
    let two = "s.shard-2-of-2.npy"
    try expectFailure(["merge", "--out", "m.npy", one, "three.npy"], mentioning: "3 column(s)")
    try expectFailure(["merge", "--out", "m.npy", one, "single.npy"], mentioning: "<f4")
    try expectFailure(["merge", "--out", "m.npy", one, "missing.npy"], mentioning: "missing.npy")
    try expectFailure(["merge", "--out", "m.npy", one, "folder.npy"], mentioning: "folder.npy")
    try expectFailure(["merge", "--out", "m.npy", one, "junk.npy"], mentioning: "junk.npy")
    try expectFailure(["merge", "--out", "m.npy", two, one], mentioning: "give shards 1…2 in order")
    try expectFailure(["merge", "--out", "m.npy", one], mentioning: "shard 2 is missing")
    try expectFailure(["merge", "--out", "m.npy", one, "s.shard-1-of-2.csv"], mentioning: "must be a .npy")
    try expectFailure(["merge", "--out", one, one, two], mentioning: "destroy the input")
    try expectFailure(["merge", "--out", "m.npy"], mentioning: "shard files")
    try expectFailure(["merge", "--out", "m.txt", one, two], mentioning: ".npy or .csv")
    try expectFailure(["merge", "--out", "m.csv", "ab.csv", "bare.csv"], mentioning: "header")
    try expectFailure(["merge", "--out", "m.csv", "bare.csv", "wide.csv"], mentioning: "3 column(s)")
  }

  // MARK: - The article's commands

  /// Runs every shell block of the "Sharded sampling and likelihoods" section of ScalingOut.md
  /// with the built tool on the `PATH`: the Slurm script once per array task (1…4, with
  /// `SLURM_ARRAY_TASK_ID` set, as `sbatch --array=1-4` would), then the other blocks in order.
  /// The `cmp` block must print `identical`, and the sharded `nll` must merge to the unsharded
  /// file.
  @Test func scalingOutArticleCommandsRunAsWritten() throws {
    try FileManager.default.copyItem(
      at: Self.modelFolder.appendingPathComponent("model.safetensors"),
      to: folder.appendingPathComponent("model.safetensors"))
    let article = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Documentation/ScoreSDE.docc/ScalingOut.md")
    let text = try String(contentsOf: article, encoding: .utf8)
    let section = try #require(text.range(of: "## Sharded sampling and likelihoods"))
    let end = text.range(of: "\n## ", range: section.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
    let blocks = text[section.upperBound..<end].split(
      separator: "```bash\n", omittingEmptySubsequences: false
    )
    .dropFirst().map { String($0.prefix(upTo: $0.range(of: "```")!.lowerBound)) }
    let slurm = try #require(blocks.first { $0.contains("#SBATCH --array=1-4") })
    #expect(blocks.count >= 5, "\(blocks.count) shell blocks")
    for task in 1...4 {
      let outcome = try shell(slurm, environment: ["SLURM_ARRAY_TASK_ID": "\(task)"])
      #expect(outcome.status == 0, "Slurm task \(task): \(outcome.standardError)")
    }
    var printed = ""
    for block in blocks where block != slurm {
      let outcome = try shell(block)
      #expect(outcome.status == 0, "\(block): \(outcome.standardError)")
      printed += outcome.standardOutput
    }
    #expect(printed.contains("identical\n"), "\(printed)")
    let nll = try #require(blocks.first { $0.contains("score-sde nll") })
    let unsharded = nll.split(separator: "\n").first!.replacingOccurrences(
      of: #"^.*score-sde nll"#, with: "score-sde nll", options: .regularExpression)
    #expect(unsharded.hasSuffix("\\"))
    let line = unsharded.dropLast() + " --out whole-nll.csv"
    #expect(try shell(String(line)).status == 0)
    #expect(try bytes("nll.csv") == bytes("whole-nll.csv"))
  }

  /// Runs `script` with `/bin/bash` (the article's Slurm script is a bash script) in the
  /// folder, with the built `score-sde` first on the `PATH`.
  func shell(_ script: String, environment: [String: String] = [:]) throws -> CommandLineTool.Outcome {
    let tool = try #require(CommandLineTool.executable)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-e", "-c", script]
    process.currentDirectoryURL = folder
    var variables = ProcessInfo.processInfo.environment
    variables["PATH"] = tool.deletingLastPathComponent().path + ":" + (variables["PATH"] ?? "/usr/bin:/bin")
    process.environment = variables.merging(environment) { $1 }
    return try CommandLineTool.capture(process)
  }
}
