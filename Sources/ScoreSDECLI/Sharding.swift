import ArgumentParser
import Foundation
import Samplers

/// `--shard k/n` of `sample` and `nll`: which rows of the whole run this process computes, and
/// the file it writes them to.
///
/// Shards are numbered from 1, like Slurm's `--array=1-n`. Shard `k` of `n` writes
/// `out.shard-k-of-n.ext` beside `--out` (`k` zero-padded to the width of `n`, so that a shell
/// glob lists the shards in order), and `score-sde merge --out out.ext …` joins them into the
/// file one unsharded run writes, byte for byte.
enum Sharding {
  /// Parses `--shard`, or throws a `ValidationError` that says what `k/n` means.
  static func parse(_ text: String?) throws -> RowShard? {
    guard let text else { return nil }
    do {
      return try RowShard(parsing: text)
    } catch {
      throw ValidationError("--shard: \(error.description)")
    }
  }

  /// `path` with `.shard-k-of-n` before its extension (`out.npy` → `out.shard-2-of-4.npy`,
  /// `out.npy` with shard 3 of 12 → `out.shard-03-of-12.npy`), or `path` itself without a shard.
  static func path(_ path: String, shard: RowShard?) -> String {
    guard let shard else { return path }
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension
    let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
    let width = String(shard.count).count
    let k = String(repeating: "0", count: width - String(shard.index).count) + String(shard.index)
    return "\(stem).shard-\(k)-of-\(shard.count)" + (ext.isEmpty ? "" : ".\(ext)")
  }

  /// The shard's `k` and `n` and the unsharded path, if `path` is named like a shard's file
  /// (`stem.shard-k-of-n.ext`).
  static func parseName(_ path: String) -> (index: Int, count: Int, whole: String)? {
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension
    let withoutExtension = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
    guard let marker = withoutExtension.range(of: ".shard-", options: .backwards) else { return nil }
    let parts = withoutExtension[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[1] == "of", let k = Int(parts[0]), let n = Int(parts[2]) else { return nil }
    return (k, n, String(withoutExtension[..<marker.lowerBound]) + (ext.isEmpty ? "" : ".\(ext)"))
  }

  /// A line for the user about the rows a shard covers (or that it is empty).
  static func summary(_ shard: RowShard, rows: Range<Int>, of total: Int, unit: String, alignment: Int)
    -> String
  {
    guard rows.isEmpty else {
      return "shard \(shard) holds \(unit) \(rows.lowerBound + 1)…\(rows.upperBound) of \(total)"
    }
    return "shard \(shard) holds no \(unit) (shards are whole blocks of \(alignment) \(unit) and the run has "
      + "fewer blocks than shards); it writes an empty file, which `score-sde merge` accepts"
  }
}
